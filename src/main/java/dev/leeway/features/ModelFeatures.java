package dev.leeway.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log1p;
import static org.apache.spark.sql.functions.when;

import dev.leeway.config.LeewayConfig.FeatureSettings;
import dev.leeway.contract.Cols;
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

  private final List<String> numeric;
  private final List<String> categorical;

  /** Customer features plus the request's policy, team and channel (they shape who is granted). */
  public ModelFeatures(FeatureSettings settings) {
    this(settings, true);
  }

  /**
   * Customer features and the policy, plus the request's team and channel when {@code requestContext} (known when
   * a request is made, not when a customer is scored for a policy ahead of any request).
   */
  public ModelFeatures(FeatureSettings settings, boolean requestContext) {
    this.numeric = List.copyOf(FeatureCols.numeric(settings));
    List<String> cats = new ArrayList<>(FeatureCols.categorical(settings));
    cats.add(Cols.POLICY);
    if (requestContext) {
      cats.addAll(List.of(Cols.TEAM, OutcomeCols.REQUEST_CHANNEL));
    }
    this.categorical = List.copyOf(cats);
  }

  /** The features a saved model was trained with. */
  public ModelFeatures(List<String> numeric, List<String> categorical) {
    this.numeric = List.copyOf(numeric);
    this.categorical = List.copyOf(categorical);
  }

  /** Every input column the vector is built from, numeric first. */
  public List<String> inputColumns() {
    List<String> out = new ArrayList<>(numeric());
    out.addAll(categorical);
    return out;
  }

  public List<String> numeric() {
    return numeric;
  }

  public List<String> categorical() {
    return categorical;
  }

  private static boolean isFlag(String c) {
    return c.startsWith("has_") || c.equals(FeatureCols.RISK_FLAG) || c.equals(FeatureCols.CHURNED_BEFORE);
  }

  /** Fits the encoding (category lists) on {@code data} and returns it with the feature vector added. */
  public Dataset<Row> assemble(Dataset<Row> data) {
    Dataset<Row> prepared = prepare(data);
    return transform(fit(prepared), prepared);
  }

  /** Adds the model inputs: numeric features on both scales, categories with nulls as {@code UNKNOWN}. */
  public Dataset<Row> prepare(Dataset<Row> data) {
    Dataset<Row> d = data;
    for (String c : numeric()) {
      Column x = col(c).cast("double");
      d = d.withColumn("__m_" + c, x);
      if (!isFlag(c)) {
        // Both scales: assignment may be linear in a feature (tenure) or in its order of magnitude (value, spend).
        d = d.withColumn("__m_log_" + c, log1p(greatest(x, lit(0.0))));
      }
    }
    for (String c : categorical) {
      d = d.withColumn("__c_" + c, when(col(c).isNull(), lit(FeatureCols.UNKNOWN)).otherwise(col(c)));
    }
    return d;
  }

  /** Fits the category encoding and the assembler on prepared data; a model saves and reloads it whole. */
  public PipelineModel fit(Dataset<Row> prepared) {
    List<String> inputs = new ArrayList<>();
    for (String c : numeric()) {
      inputs.add("__m_" + c);
      if (!isFlag(c)) {
        inputs.add("__m_log_" + c);
      }
    }
    String[] cleaned = categorical.stream().map(c -> "__c_" + c).toArray(String[]::new);
    String[] indexed = categorical.stream().map(c -> "__i_" + c).toArray(String[]::new);
    String[] encoded = categorical.stream().map(c -> "__o_" + c).toArray(String[]::new);
    inputs.addAll(List.of(encoded));
    PipelineStage[] stages = {
        new StringIndexer().setInputCols(cleaned).setOutputCols(indexed).setHandleInvalid("keep")
            .setStringOrderType("alphabetAsc"),
        new OneHotEncoder().setInputCols(indexed).setOutputCols(encoded).setHandleInvalid("keep"),
        new VectorAssembler().setInputCols(inputs.toArray(String[]::new)).setOutputCol(VECTOR)
    };
    return new Pipeline().setStages(stages).fit(prepared);
  }

  /** Adds {@link #VECTOR} with a fitted encoding and drops the helper columns. */
  public static Dataset<Row> transform(PipelineModel encoding, Dataset<Row> prepared) {
    Dataset<Row> out = encoding.transform(prepared);
    List<String> helpers = new ArrayList<>();
    for (String c : out.columns()) {
      if (c.startsWith("__m_") || c.startsWith("__c_") || c.startsWith("__i_") || c.startsWith("__o_")) {
        helpers.add(c);
      }
    }
    return out.drop(helpers.toArray(String[]::new));
  }
}
