package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import dev.leeway.features.ModelFeatures;
import java.util.List;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.Predictor;
import org.apache.spark.ml.classification.ProbabilisticClassificationModel;
import org.apache.spark.ml.functions;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Fold assignment and model fitting helpers for cross-fitting. */
public final class CrossFit {
  public static final String FOLD = "__fold";

  private CrossFit() {}

  /** Adds the fold column: a deterministic function of the id and the seed. */
  public static Dataset<Row> assignFolds(Dataset<Row> data, String idCol, int folds, long seed) {
    return data.withColumn(FOLD, pmod(xxhash64(col(idCol), lit(seed)), lit(folds)).cast("int"));
  }

  /** Fits a learner on the feature vector against {@code labelCol}. */
  public static Model<?> fit(Predictor<?, ?, ?> learner, Dataset<Row> train, String labelCol) {
    learner.setFeaturesCol(ModelFeatures.VECTOR);
    learner.setLabelCol(labelCol);
    learner.setPredictionCol("__pred");
    return (Model<?>) learner.fit(train);
  }

  /**
   * Adds {@code outputCol} with the model's score: the probability of class 1 for classifiers, the prediction for
   * regressors; the model's own helper columns are dropped.
   */
  public static Dataset<Row> score(Model<?> model, Dataset<Row> rows, String outputCol) {
    Dataset<Row> scored = model.transform(rows);
    Column value = model instanceof ProbabilisticClassificationModel<?, ?> m
        ? functions.vector_to_array(col(m.getProbabilityCol()), "float64").getItem(1)
        : col("__pred");
    scored = scored.withColumn(outputCol, value);
    for (String helper : new String[] {"__pred", "rawPrediction", "probability"}) {
      if (List.of(scored.columns()).contains(helper)) {
        scored = scored.drop(helper);
      }
    }
    return scored;
  }
}
