package dev.leeway.uplift.learners;

import java.util.Arrays;
import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** S-learner: one model of the outcome with the treatment as the last feature; tau(x) = m(x, 1) - m(x, 0). */
public final class SLearner extends UpliftEstimator {
  private static final String XT = "__s_features";

  public SLearner(String uid) {
    super(uid);
  }

  @Override
  protected Map<String, Model<?>> fitParts(Dataset<Row> rows) {
    Dataset<Row> d = new VectorAssembler().setInputCols(new String[] {X, T}).setOutputCol(XT).transform(rows);
    return Map.of("m", regress(d, XT, Y));
  }

  @Override
  public VectorScorer scorer(Map<String, Model<?>> parts) {
    GBTRegressionModel m = (GBTRegressionModel) parts.get("m");
    return v -> m.predict(append(v, 1.0)) - m.predict(append(v, 0.0));
  }

  private static Vector append(Vector v, double t) {
    double[] a = Arrays.copyOf(v.toArray(), v.size() + 1);
    a[v.size()] = t;
    return Vectors.dense(a);
  }
}
