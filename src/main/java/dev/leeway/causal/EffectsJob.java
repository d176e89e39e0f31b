package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import dev.leeway.io.Files;
import dev.leeway.io.RunLayout;
import dev.leeway.outcomes.OutcomeCols;
import dev.leeway.outcomes.OutcomesJob;
import dev.leeway.run.Stage;
import dev.leeway.run.StageContext;
import dev.leeway.run.StageResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * The effects stage: reads runs/&lt;date&gt;/outcomes/requests and writes runs/&lt;date&gt;/effects/ with the
 * estimates, balance and ROI tables (Parquet), the per-request nuisance predictions, and summary.json for the
 * report.
 */
public final class EffectsJob implements Stage {
  public static final String NAME = "effects";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public StageResult run(StageContext ctx) throws Exception {
    SparkSession spark = ctx.spark();
    Dataset<Row> requests = OutcomesJob.readRequests(ctx, "estimate effects");
    FileSystem fs = Files.of(ctx.layout().runDir(), spark.sparkContext().hadoopConfiguration());
    Path staging = ctx.layout().newStagingDir(NAME);
    Path work = new Path(staging, "_work");
    try {
      EffectsEstimator.Result r = new EffectsEstimator(ctx.config()).estimate(requests,
          RunLayout.materializer(spark, work));
      double threshold = ctx.config().effects().smdThreshold();
      write(EffectsTables.estimates(spark, r.estimates()), staging, "estimates");
      write(EffectsTables.balance(spark, r.balance(), threshold), staging, "balance");
      write(EffectsTables.roi(spark, r.roi()), staging, "roi");
      write(rowsTable(r.rows(), EffectsEstimator.outcomes(ctx.config())), staging, "rows");
      Map<String, Object> summary = Summary.of(ctx, r);
      ctx.layout().writeAtomically(new Path(staging, "summary.json"), JSON.writeValueAsString(summary));
      fs.delete(work, true);
      ctx.layout().publish(staging, NAME);
      Path published = ctx.layout().stageDir(NAME);
      Map<String, Object> metrics = new LinkedHashMap<>(r.population());
      metrics.put("policies_flagged_for_balance", summary.get("policies_flagged_for_balance"));
      List<String> warnings = new ArrayList<>();
      for (Object p : (List<?>) summary.get("policies_flagged_for_balance")) {
        warnings.add("policy " + p + ": weighted |SMD| above " + threshold + " for some feature; read its estimates "
            + "with care");
      }
      return new StageResult(NAME, Map.of(), List.of(published.toString()), warnings, metrics);
    } finally {
      ctx.layout().discard(staging);
    }
  }

  private static void write(Dataset<Row> d, Path staging, String name) {
    d.coalesce(1).write().mode(SaveMode.ErrorIfExists).parquet(new Path(staging, name).toString());
  }

  /** Per request: fold, propensity, overlap and each outcome model's predictions (for audits and uplift models). */
  private static Dataset<Row> rowsTable(Dataset<Row> scored, List<EffectOutcome> outcomes) {
    List<Column> cols = new ArrayList<>(List.of(col(Cols.EXCEPTION_ID), col(Cols.CUSTOMER_ID), col(Cols.POLICY),
        col(FeatureCols.SEGMENT), col(Cols.TEAM), col(OutcomeCols.TREATED), col(CrossFit.FOLD).as("fold"),
        col(Nuisance.E_RAW).as("propensity_raw"), col(EffectsEstimator.E).as("propensity"),
        col(EffectsEstimator.OVERLAP).as("in_overlap")));
    for (EffectOutcome o : outcomes) {
      cols.add(col(o.mu(0)).as("mu0_" + o.name()));
      cols.add(col(o.mu(1)).as("mu1_" + o.name()));
    }
    return scored.select(cols.toArray(Column[]::new));
  }
}
