package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log1p;
import static org.apache.spark.sql.functions.when;

import dev.leeway.config.LeewayConfig.FeatureSettings;
import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import dev.leeway.outcomes.OutcomeCols;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.feature.OneHotEncoder;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Turns the requests table into the model input vector {@link #VECTOR}: numeric features on their own and on a
 * log scale (counts and money are skewed), flags as they are, and categorical features one-hot encoded with a slot for categories
 * not seen when fitting. The same columns feed propensity and outcome models.
 */
public final class ModelFeatures {
  public static final String VECTOR = "__features";

  private final FeatureSettings settings;
  private final List<String> categorical;

  /** Customer features plus the request's policy, team and channel (they shape who is granted). */
  public ModelFeatures(FeatureSettings settings) {
    this.settings = settings;
    this.categorical = new ArrayList<>(FeatureCols.categorical(settings));
    categorical.addAll(List.of(Cols.POLICY, Cols.TEAM, OutcomeCols.REQUEST_CHANNEL));
  }

  public List<String> numeric() {
    return FeatureCols.numeric(settings);
  }

  public List<String> categorical() {
    return categorical;
  }

  private static boolean isFlag(String c) {
    return c.startsWith("has_") || c.equals(FeatureCols.RISK_FLAG) || c.equals(FeatureCols.CHURNED_BEFORE);
  }

  /** Fits the encoding (category lists) on {@code data} and returns it with the feature vector added. */
  public Dataset<Row> assemble(Dataset<Row> data) {
    Dataset<Row> d = data;
    List<String> inputs = new ArrayList<>();
    for (String c : numeric()) {
      Column x = col(c).cast("double");
      d = d.withColumn("__m_" + c, x);
      inputs.add("__m_" + c);
      if (!isFlag(c)) {
        // Both scales: assignment may be linear in a feature (tenure) or in its order of magnitude (value, spend).
        d = d.withColumn("__m_log_" + c, log1p(greatest(x, lit(0.0))));
        inputs.add("__m_log_" + c);
      }
    }
    String[] raw = categorical.toArray(String[]::new);
    String[] cleaned = categorical.stream().map(c -> "__c_" + c).toArray(String[]::new);
    String[] indexed = categorical.stream().map(c -> "__i_" + c).toArray(String[]::new);
    String[] encoded = categorical.stream().map(c -> "__o_" + c).toArray(String[]::new);
    for (int i = 0; i < raw.length; i++) {
      d = d.withColumn(cleaned[i], when(col(raw[i]).isNull(), lit(FeatureCols.UNKNOWN)).otherwise(col(raw[i])));
    }
    inputs.addAll(List.of(encoded));
    PipelineStage[] stages = {
        new StringIndexer().setInputCols(cleaned).setOutputCols(indexed).setHandleInvalid("keep")
            .setStringOrderType("alphabetAsc"),
        new OneHotEncoder().setInputCols(indexed).setOutputCols(encoded).setHandleInvalid("keep"),
        new VectorAssembler().setInputCols(inputs.toArray(String[]::new)).setOutputCol(VECTOR)
    };
    PipelineModel model = new Pipeline().setStages(stages).fit(d);
    Dataset<Row> out = model.transform(d);
    List<String> helpers = new ArrayList<>();
    for (String c : out.columns()) {
      if (c.startsWith("__m_") || c.startsWith("__c_") || c.startsWith("__i_") || c.startsWith("__o_")) {
        helpers.add(c);
      }
    }
    return out.drop(helpers.toArray(String[]::new));
  }
}
