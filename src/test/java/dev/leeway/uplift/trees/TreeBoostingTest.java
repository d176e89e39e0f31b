package dev.leeway.uplift.trees;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.VectorRows;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-task booster learns what MLlib's distributed one learns (held-out error on a planted non-linear
 * function with noise, side by side), obeys the tree settings, is repeatable, and its MLlib model predicts, saves
 * and loads like one MLlib fitted.
 */
class TreeBoostingTest {
  private static final HistogramGbt.Settings SETTINGS = new HistogramGbt.Settings(40, 4, 0.1, 20, 0.8, 32, 7);
  private static final int F = 6;

  /** A step in x0, an interaction of x1 and a 0/1 x2, a smooth x3; x4 and x5 are noise. */
  private static double truth(double[] x) {
    return (x[0] > 0.3 ? 1.0 : 0.0) + (x[2] > 0.5 ? 0.8 * x[1] : -0.4 * x[1]) + 0.5 * Math.sin(2 * x[3]);
  }

  private static double[][] features(int n, long seed) {
    Random r = new Random(seed);
    double[][] x = new double[n][F];
    for (double[] row : x) {
      for (int j = 0; j < F; j++) {
        row[j] = j == 2 ? r.nextInt(2) : r.nextGaussian();
      }
    }
    return x;
  }

  private static double heldOutError(GBTRegressionModel m, double[][] test) {
    double sse = 0;
    for (double[] x : test) {
      double e = m.predict(Vectors.dense(x)) - truth(x);
      sse += e * e;
    }
    return sse / test.length;
  }

  @Test
  void learnsAsWellAsMllibAndRoundTripsAsItsModel(@TempDir Path tmp) throws Exception {
    double[][] x = features(4000, 1);
    double[] y = new double[x.length];
    Random noise = new Random(2);
    for (int i = 0; i < x.length; i++) {
      y[i] = truth(x[i]) + noise.nextGaussian();
    }
    Dataset<Row> train = VectorRows.of(x, y).repartition(3).cache();
    double[][] test = features(2000, 3);

    GBTRegressionModel ours = TreeBoosting.fit(train, "f", "y", "p", SETTINGS, 1_000_000);
    GBTRegressionModel mllib = TreeBoosting.fit(train, "f", "y", "p", SETTINGS, 0);
    double oursError = heldOutError(ours, test);
    double mllibError = heldOutError(mllib, test);
    double varianceOfTruth = 0.6; // the truth's spread, well above what a fit leaves
    assertTrue(oursError < 0.25 * varianceOfTruth, "held-out error " + oursError);
    assertTrue(oursError < 1.2 * mllibError, "ours " + oursError + " against MLlib " + mllibError);
    assertEquals(40, ours.getNumTrees());
    assertEquals("p", ours.getPredictionCol());

    // transform() and predict() agree, and the saved model predicts the same after loading.
    List<Row> scored = ours.transform(VectorRows.of(test, new double[test.length])).select("f", "p").collectAsList();
    for (Row r : scored) {
      assertEquals(ours.predict((Vector) r.get(0)), r.getDouble(1), 1e-12);
    }
    String path = tmp.resolve("m").toString();
    ours.save(path);
    GBTRegressionModel loaded = GBTRegressionModel.load(path);
    for (double[] t : test) {
      assertEquals(ours.predict(Vectors.dense(t)), loaded.predict(Vectors.dense(t)), 1e-12);
    }
    assertTrue(Files.exists(tmp.resolve("m")));
    assertTrue(ours.featureImportances().apply(0) > ours.featureImportances().apply(4),
        "the step feature matters more than noise: " + ours.featureImportances());
  }

  @Test
  void treesKeepTheirSettingsAndRepeat() {
    double[][] x = features(1500, 4);
    double[] flat = new double[x.length * F];
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      System.arraycopy(x[i], 0, flat, i * F, F);
      y[i] = truth(x[i]);
    }
    HistogramGbt.Ensemble a = HistogramGbt.fit(flat, y, F, SETTINGS);
    HistogramGbt.Ensemble b = HistogramGbt.fit(flat, y, F, SETTINGS);
    for (int m = 0; m < a.trees().length; m++) {
      HistogramGbt.Tree t = a.trees()[m];
      assertArrayEquals(t.prediction(), b.trees()[m].prediction(), "same rows and seed, same model");
      assertTrue(depth(t, 0) <= 4, "max depth");
      for (int n = 0; n < t.nodes(); n++) {
        assertTrue(t.count()[n] >= 20 || n == 0, "min instances per node: " + t.count()[n]);
      }
    }
    assertEquals(1.0, a.weights()[0]);
    assertEquals(0.1, a.weights()[1]);
    double[] probe = {0.5, 1, 1, 0, 0, 0};
    assertEquals(truth(probe), a.predict(probe), 0.35);
  }

  private static int depth(HistogramGbt.Tree t, int n) {
    return t.feature()[n] < 0 ? 0 : 1 + Math.max(depth(t, t.left()[n]), depth(t, t.right()[n]));
  }

  @Test
  void cutPointsSeparateDistinctValuesAndNanGoesRight() {
    assertArrayEquals(new double[] {0.5}, HistogramGbt.thresholds(new double[] {0, 1, 1, 0, Double.NaN}, 32));
    assertArrayEquals(new double[0], HistogramGbt.thresholds(new double[] {3, 3, 3}, 32));
    double[] many = new double[1000];
    for (int i = 0; i < many.length; i++) {
      many[i] = i;
    }
    double[] cuts = HistogramGbt.thresholds(many, 4);
    assertArrayEquals(new double[] {250.5, 500.5, 750.5}, cuts);
    assertEquals(0, HistogramGbt.bin(cuts, 250.5), "a value on a cut point goes left of it");
    assertEquals(1, HistogramGbt.bin(cuts, 251));
    assertEquals(3, HistogramGbt.bin(cuts, Double.NaN));
  }

  @Test
  void badRowsAreNamed() {
    assertThrows(IllegalArgumentException.class, () -> HistogramGbt.fit(new double[0], new double[0], 2, SETTINGS));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> HistogramGbt.fit(new double[] {1, 2}, new double[] {1, Double.NaN}, 1, SETTINGS));
    assertTrue(e.getMessage().contains("row 1"), e.getMessage());
  }
}
