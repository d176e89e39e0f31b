package dev.leeway.uplift.learners;

import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A deliberately bad learner for the tests: the T-learner's ranking turned upside down (mu_0 - mu_1). Where the
 * T-learner ranks held-out customers better than random, this one ranks them as much worse.
 */
public final class ReversedTLearner extends UpliftEstimator {
  public ReversedTLearner(String uid) {
    super(uid);
  }

  @Override
  protected Map<String, Model<?>> fitParts(Dataset<Row> rows) {
    return TLearner.arms(this, rows);
  }

  @Override
  public VectorScorer scorer(Map<String, Model<?>> parts) {
    GBTRegressionModel mu0 = (GBTRegressionModel) parts.get("mu0");
    GBTRegressionModel mu1 = (GBTRegressionModel) parts.get("mu1");
    return v -> mu0.predict(v) - mu1.predict(v);
  }
}
