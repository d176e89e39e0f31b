package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;

import dev.leeway.contract.Cols;
import dev.leeway.causal.nuisance.Nuisance;
import dev.leeway.features.FeatureCols;
import dev.leeway.io.RunLayout;
import dev.leeway.outcomes.OutcomeCols;
import dev.leeway.outcomes.OutcomesJob;
import dev.leeway.run.PausePoints;
import dev.leeway.run.Stage;
import dev.leeway.run.StageContext;
import dev.leeway.run.StageResult;
import dev.leeway.tables.AuditedWrite;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The effects stage: reads runs/&lt;date&gt;/outcomes/requests and writes runs/&lt;date&gt;/effects/ with the
 * estimates, balance and ROI tables (Parquet), the per-request nuisance predictions, and summary.json for the
 * report.
 */
public final class EffectsJob implements Stage {
  public static final String NAME = "effects";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Object> shapingSettings(dev.leeway.config.LeewayConfig c) {
    return List.of(c.ingest(), c.features(), c.outcomes(), c.effects());
  }

  @Override
  public StageResult run(StageContext ctx) throws Exception {
    SparkSession spark = ctx.spark();
    Dataset<Row> requests = OutcomesJob.readRequests(ctx, "estimate effects");
    EffectsEstimator.Result r = new EffectsEstimator(ctx.config()).estimate(requests,
        RunLayout.materializer(spark, ctx.layout().workDir(NAME)));
    double threshold = ctx.config().effects().smdThreshold();
    EffectsSummary summary = EffectsSummary.of(ctx.runDate().toString(), ctx.config().effects(), r);
    AuditedWrite published = ctx.writeAuditPublish(NAME, audit -> {
      audit.write(table("estimates"), EffectsTables.estimates(spark, r.estimates()).coalesce(1));
      audit.write(table("balance"), EffectsTables.balance(spark, r.balance(), threshold).coalesce(1));
      audit.write(table("roi"), EffectsTables.roi(spark, r.roi()).coalesce(1));
      audit.write(table("rows"), rowsTable(r.rows(), EffectsEstimator.outcomes(ctx.config())));
      PausePoints.at("effects.audited");
      return audit;
    });
    // The summary follows the tables: what it describes is published when a reader sees it.
    Path summaryFile = new Path(ctx.layout().stageDir(NAME), "summary.json");
    ctx.layout().writeAtomically(summaryFile, summary.write());
    List<String> outputs = new ArrayList<>(ctx.describe(published.published()));
    outputs.add(summaryFile.toString());
    return new StageResult(NAME, Map.of(), outputs, warnings(summary), metrics(summary));
  }

  /** The published name of one of this stage's tables, e.g. effects_roi. */
  public static String table(String name) {
    return NAME + "_" + name;
  }

  /** What the console and the status file show: the population, and per policy the primary estimate. */
  private static Map<String, Object> metrics(EffectsSummary s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("requests", s.population().requests());
    m.put("excluded_as_referred_by_flexed", s.population().excludedAsReferredByFlexed());
    m.put("grants_outside_overlap", s.population().grantsOutsideOverlap());
    String primary = s.method().primaryOutcome();
    for (EffectsSummary.PolicyEffects p : s.policies()) {
      EffectsSummary.EffectFigures f = p.primary(primary);
      m.put(p.policy(), f == null || f.tooSmall() ? "too little data"
          : String.format(java.util.Locale.ROOT, "%s %+.3f [%+.3f, %+.3f] (%s; naive %+.3f)", primary,
              f.doublyRobust().estimate(), f.doublyRobust().low(), f.doublyRobust().high(), p.population(),
              f.naive().estimate()));
    }
    m.put("policies_flagged_for_balance", s.policiesFlaggedForBalance());
    m.put("policies_flagged_by_negative_control", s.policiesFlaggedByNegativeControl());
    return m;
  }

  private static List<String> warnings(EffectsSummary s) {
    List<String> out = new ArrayList<>();
    for (String p : s.policiesFlaggedForBalance()) {
      out.add("policy " + p + ": weighted |SMD| above " + s.method().smdThreshold() + " for some feature; read its "
          + "estimates with care");
    }
    for (String p : s.policiesFlaggedByNegativeControl()) {
      out.add("policy " + p + ": the negative-control outcome shows an effect a grant cannot have caused; its "
          + "estimates may carry confounding the models did not remove");
    }
    return out;
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
