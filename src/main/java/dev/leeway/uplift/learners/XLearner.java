package dev.leeway.uplift.learners;

import static org.apache.spark.sql.functions.col;

import dev.leeway.causal.CrossFit;
import dev.leeway.uplift.local.Logistic;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * X-learner (Kunzel, Sekhon, Bickel and Yu 2019), rated well for observational data where one arm is much larger
 * than the other (here: grants are rarer than denials for most policies):
 *
 * <ol>
 *   <li>mu_0 on denied rows, mu_1 on granted rows;
 *   <li>imputed effects: D_1 = Y - mu_0(x) on granted rows, D_0 = mu_1(x) - Y on denied rows;
 *   <li>tau_1 regresses D_1 on granted rows, tau_0 regresses D_0 on denied rows;
 *   <li>tau(x) = g(x) tau_0(x) + (1 - g(x)) tau_1(x), with g the propensity of a grant (a logistic model on the
 *       same features, clipped to [0.01, 0.99]): each arm's effect model is trusted where the other arm is
 *       scarce.
 * </ol>
 */
public final class XLearner extends UpliftEstimator {
  private static final double CLIP = 0.01;

  public XLearner(String uid) {
    super(uid);
  }

  @Override
  protected Map<String, Model<?>> fitParts(Dataset<Row> rows) {
    Dataset<Row> granted = rows.filter(col(T).equalTo(1));
    Dataset<Row> denied = rows.filter(col(T).equalTo(0));
    Model<?> mu0 = regress(denied, Y);
    Model<?> mu1 = regress(granted, Y);
    Dataset<Row> d1 = CrossFit.score(mu0, granted, "__mu0").withColumn("__d", col(Y).minus(col("__mu0")));
    Dataset<Row> d0 = CrossFit.score(mu1, denied, "__mu1").withColumn("__d", col("__mu1").minus(col(Y)));
    Map<String, Model<?>> parts = new LinkedHashMap<>();
    parts.put("mu0", mu0);
    parts.put("mu1", mu1);
    parts.put("tau0", regress(d0, "__d"));
    parts.put("tau1", regress(d1, "__d"));
    parts.put("g", Logistic.fit(rows, X, T, "prediction", new Logistic.Settings(1e-3, 100, 1e-6),
        context().train().singleTaskMaxRows()));
    return parts;
  }

  @Override
  public VectorScorer scorer(Map<String, Model<?>> parts) {
    var tau0 = FlatForest.of((GBTRegressionModel) parts.get("tau0"));
    var tau1 = FlatForest.of((GBTRegressionModel) parts.get("tau1"));
    var g = FlatForest.probability((LogisticRegressionModel) parts.get("g"));
    return VectorScorer.ofArrays(weighted(g, tau0, tau1));
  }

  /** A static factory: the scorer holds its models only, never the estimator. */
  private static VectorScorer.ArrayScorer weighted(VectorScorer.ArrayScorer g, VectorScorer.ArrayScorer tau0,
      VectorScorer.ArrayScorer tau1) {
    return new VectorScorer.ArrayScorer() {
      @Override
      public double score(double[] x) {
        return combine(g.score(x), tau0.score(x), tau1.score(x));
      }

      @Override
      public double[] variants(double[] x, Variations v) {
        double[] e = g.variants(x, v);
        double[] t0 = tau0.variants(x, v);
        double[] t1 = tau1.variants(x, v);
        for (int k = 0; k < e.length; k++) {
          e[k] = combine(e[k], t0[k], t1[k]);
        }
        return e;
      }
    };
  }

  /** tau = g tau_0 + (1 - g) tau_1, with the propensity g clipped. */
  private static double combine(double propensity, double tau0, double tau1) {
    double e = Math.min(1 - CLIP, Math.max(CLIP, propensity));
    return e * tau0 + (1 - e) * tau1;
  }
}
