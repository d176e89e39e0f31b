package dev.leeway.uplift.learners;

import static org.apache.spark.sql.functions.col;

import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A learner that exists only in the tests, registered through configuration (leeway.train.learner_classes): it
 * ranks by the outcome predicted for granted rows. It shows that a new learner is one class and a line of config.
 */
public final class GrantedResponseLearner extends UpliftEstimator {
  public GrantedResponseLearner(String uid) {
    super(uid);
  }

  @Override
  protected Map<String, Model<?>> fitParts(Dataset<Row> rows) {
    return Map.of("mu1", regress(rows.filter(col(T).equalTo(1)), Y));
  }

  @Override
  public VectorScorer scorer(Map<String, Model<?>> parts) {
    return ((GBTRegressionModel) parts.get("mu1"))::predict;
  }
}
