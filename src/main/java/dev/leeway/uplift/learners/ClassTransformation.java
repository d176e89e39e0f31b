package dev.leeway.uplift.learners;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.when;

import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.classification.GBTClassificationModel;
import org.apache.spark.ml.classification.GBTClassifier;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Class transformation (Jaskowski and Jaroszewicz 2012): classifies Z = YT + (1 - Y)(1 - T); tau(x) =
 * 2 P(Z = 1 | x) - 1. Valid only for a randomised 50/50 treatment and a 0/1 outcome (an experiment such as the
 * public benchmark); training skips it for count outcomes.
 */
public final class ClassTransformation extends UpliftEstimator {
  public ClassTransformation(String uid) {
    super(uid);
  }

  @Override
  public boolean binaryOutcomeOnly() {
    return true;
  }

  @Override
  protected Map<String, Model<?>> fitParts(Dataset<Row> rows) {
    var s = context().train();
    GBTClassifier c = new GBTClassifier().setMaxIter(s.gbtMaxIter()).setMaxDepth(s.gbtMaxDepth())
        .setStepSize(s.gbtStepSize()).setMinInstancesPerNode(s.gbtMinInstancesPerNode())
        .setSubsamplingRate(s.gbtSubsamplingRate()).setMaxBins(s.gbtMaxBins()).setSeed(s.seed());
    c.setFeaturesCol(X);
    c.setLabelCol("__z");
    c.setPredictionCol("__pred");
    return Map.of("z", c.fit(rows.withColumn("__z", when(col(T).equalTo(col(Y)), 1.0).otherwise(0.0))));
  }

  @Override
  public VectorScorer scorer(Map<String, Model<?>> parts) {
    GBTClassificationModel z = (GBTClassificationModel) parts.get("z");
    return v -> 2 * z.predictProbability(v).apply(1) - 1;
  }
}
