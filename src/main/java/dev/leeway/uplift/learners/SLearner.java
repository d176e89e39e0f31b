package dev.leeway.uplift.learners;

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
    VectorScorer.ArrayScorer m = FlatForest.of((GBTRegressionModel) parts.get("m"));
    return VectorScorer.ofArrays(VectorScorer.difference(withTreatment(m, 1.0), withTreatment(m, 0.0)));
  }

  /** m(x, t); a static factory, so the scorer holds the model only, never the estimator. */
  private static VectorScorer.ArrayScorer withTreatment(VectorScorer.ArrayScorer m, double t) {
    return new VectorScorer.ArrayScorer() {
      @Override
      public double score(double[] x) {
        return m.score(withTreatment(x, t));
      }

      /** The treatment slot is past every variation's slots, so the variations are those of x. */
      @Override
      public double[] variants(double[] x, Variations v) {
        return m.variants(withTreatment(x, t), v);
      }
    };
  }

  private static double[] withTreatment(double[] x, double t) {
    double[] a = Arrays.copyOf(x, x.length + 1);
    a[x.length] = t;
    return a;
  }
}
