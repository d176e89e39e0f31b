package dev.leeway.uplift.learners;

import dev.leeway.uplift.trees.FlatForest;
import java.util.Arrays;
import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.feature.VectorAssembler;
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
    var m = FlatForest.of((GBTRegressionModel) parts.get("m"));
    return VectorScorer.ofArrays(x -> {
      double[] a = Arrays.copyOf(x, x.length + 1);
      a[x.length] = 1.0;
      double granted = m.score(a);
      a[x.length] = 0.0;
      return granted - m.score(a);
    });
  }
}
