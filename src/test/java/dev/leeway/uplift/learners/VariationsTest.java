package dev.leeway.uplift.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.leeway.support.VectorRows;
import dev.leeway.uplift.trees.HistogramGbt;
import dev.leeway.uplift.trees.TreeBoosting;
import java.util.Map;
import java.util.Random;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.junit.jupiter.api.Test;

/**
 * Every built-in learner answers a row's variations (one per feature, for reasons) from its models' structure, and
 * each answer is what scoring that variation in full gives.
 */
class VariationsTest {
  private static final HistogramGbt.Settings SETTINGS = new HistogramGbt.Settings(20, 4, 0.1, 10, 0.8, 32, 3);
  private static final int F = 6;
  /** Slots 0-1 a one-hot feature, 2 and 3-4 (a value and its log) numeric ones; 5 in no group. */
  private static final int[][] GROUPS = {{0, 1}, {2}, {3, 4}};

  private static double[][] rows(int n, int features, long seed) {
    Random r = new Random(seed);
    double[][] x = new double[n][features];
    for (double[] row : x) {
      int hot = r.nextInt(3);
      for (int j = 0; j < features; j++) {
        row[j] = j < 2 ? (hot == j ? 1 : 0) : r.nextGaussian();
      }
      row[4] = Math.log1p(Math.abs(row[3]));
      if (features > F) {
        row[F] = r.nextInt(2);
      }
    }
    return x;
  }

  private static GBTRegressionModel forest(int features, long seed) {
    double[][] x = rows(1500, features, seed);
    double[] y = new double[x.length];
    Random noise = new Random(seed + 1);
    for (int i = 0; i < x.length; i++) {
      y[i] = x[i][0] - x[i][2] * x[i][1] + Math.abs(x[i][3]) + (features > F ? 0.5 * x[i][F] * x[i][2] : 0)
          + 0.3 * noise.nextGaussian();
    }
    return TreeBoosting.fit(VectorRows.of(x, y), "f", "y", "p", SETTINGS, 1_000_000);
  }

  @Test
  void eachLearnersVariantsAreItsPredictionsOfEachVariation() {
    double[][] x = rows(400, F, 9);
    double[] t = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      t[i] = x[i][2] > 0 ? 1 : 0;
    }
    Model<?> g = new LogisticRegression().setFeaturesCol("f").setLabelCol("y").fit(VectorRows.of(x, t));
    Map<String, VectorScorer> scorers = Map.of(
        "t", new TLearner("t").scorer(Map.of("mu0", forest(F, 1), "mu1", forest(F, 2))),
        "s", new SLearner("s").scorer(Map.of("m", forest(F + 1, 3))),
        "x", new XLearner("x").scorer(Map.of("tau0", forest(F, 4), "tau1", forest(F, 5), "g", g)),
        "dr", new DrLearner("dr").scorer(Map.of("tau", forest(F, 6))),
        "response", new ResponseModel("r").scorer(Map.of("m", forest(F, 7))));
    double[] reference = rows(1, F, 11)[0];
    Variations v = new Variations(GROUPS, reference);
    scorers.forEach((name, s) -> {
      for (double[] row : rows(300, F, 12)) {
        double[] varied = s.variants(row, v);
        for (int k = 0; k < GROUPS.length; k++) {
          assertEquals(s.score(v.apply(row, k)), varied[k], 1e-9, name + " variation " + k);
        }
      }
    });
  }

  @Test
  void aSlotInTwoGroupsIsRefused() {
    assertThrows(IllegalArgumentException.class, () -> new Variations(new int[][] {{0, 1}, {1}}, new double[3]));
  }
}
