package dev.leeway.uplift.learners;

import static org.apache.spark.sql.functions.col;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** T-learner: mu_1 fitted on granted rows, mu_0 on denied rows; tau(x) = mu_1(x) - mu_0(x). */
public final class TLearner extends UpliftEstimator {
  public TLearner(String uid) {
    super(uid);
  }

  @Override
  protected Map<String, Model<?>> fitParts(Dataset<Row> rows) {
    return arms(this, rows);
  }

  /** mu_0 and mu_1: {@code learner}'s regression of the outcome on denied and on granted rows. */
  static Map<String, Model<?>> arms(UpliftEstimator learner, Dataset<Row> rows) {
    Map<String, Model<?>> parts = new LinkedHashMap<>();
    parts.put("mu0", learner.regress(rows.filter(col(T).equalTo(0)), Y));
    parts.put("mu1", learner.regress(rows.filter(col(T).equalTo(1)), Y));
    return parts;
  }

  @Override
  public VectorScorer scorer(Map<String, Model<?>> parts) {
    var mu0 = FlatForest.of((GBTRegressionModel) parts.get("mu0"));
    var mu1 = FlatForest.of((GBTRegressionModel) parts.get("mu1"));
    return VectorScorer.ofArrays(VectorScorer.difference(mu1, mu0));
  }
}
