package dev.leeway.uplift.learners;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.VectorRows;
import dev.leeway.uplift.trees.HistogramGbt;
import dev.leeway.uplift.trees.TreeBoosting;
import java.util.Random;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.ml.tree.ContinuousSplit;
import org.apache.spark.ml.tree.InternalNode;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/**
 * The flat walk predicts what MLlib's model predicts, for models fitted in one task and by MLlib, on values equal to
 * a split's threshold, NaN, and sparse vectors; and the logistic probability is MLlib's.
 */
class FlatForestTest {
  private static final HistogramGbt.Settings SETTINGS = new HistogramGbt.Settings(10, 4, 0.1, 10, 0.8, 32, 3);
  private static final int F = 5;

  private static double[][] features(int n, long seed) {
    Random r = new Random(seed);
    double[][] x = new double[n][F];
    for (double[] row : x) {
      for (int j = 0; j < F; j++) {
        // One-hot-like 0/1 slots and mostly-zero numbers, as assembled feature vectors have.
        row[j] = j < 2 ? r.nextInt(2) : (r.nextDouble() < 0.4 ? 0 : r.nextGaussian());
      }
    }
    return x;
  }

  @Test
  void predictsWhatMllibPredicts() {
    double[][] x = features(3000, 1);
    double[] y = new double[x.length];
    Random noise = new Random(2);
    for (int i = 0; i < x.length; i++) {
      y[i] = (x[i][0] > 0 ? 1 : 0) + x[i][2] * x[i][1] - 0.5 * Math.abs(x[i][3]) + noise.nextGaussian();
    }
    Dataset<Row> train = VectorRows.of(x, y).cache();
    for (long singleTaskMaxRows : new long[] {1_000_000, 0}) {
      GBTRegressionModel m = TreeBoosting.fit(train, "f", "y", "p", SETTINGS, singleTaskMaxRows);
      VectorScorer flat = VectorScorer.ofArrays(FlatForest.of(m));
      assertTrue(FlatForest.of(m) instanceof FlatForest, "every split is a threshold: the flat walk is used");
      double[][] probes = features(2000, 3);
      // A value exactly on the root's threshold goes left, as in MLlib; NaN goes right.
      ContinuousSplit root = (ContinuousSplit) ((InternalNode) m.trees()[0].rootNode()).split();
      probes[0][root.featureIndex()] = root.threshold();
      probes[1][root.featureIndex()] = Double.NaN;
      for (double[] p : probes) {
        Vector dense = Vectors.dense(p);
        assertEquals(m.predict(dense), flat.score(p), 1e-12, "fitted with singleTaskMaxRows " + singleTaskMaxRows);
        assertEquals(m.predict(dense), flat.score(dense.toSparse()), 1e-12, "a sparse vector");
      }
    }
  }

  @Test
  void theLogisticProbabilityIsMllibs() {
    double[][] x = features(1000, 4);
    double[] t = new double[x.length];
    Random r = new Random(5);
    for (int i = 0; i < x.length; i++) {
      t[i] = r.nextDouble() < 1 / (1 + Math.exp(-(0.5 * x[i][0] - x[i][2]))) ? 1 : 0;
    }
    LogisticRegressionModel g = new LogisticRegression().setFeaturesCol("f").setLabelCol("y").setRegParam(0.01)
        .fit(VectorRows.of(x, t));
    VectorScorer.ArrayScorer p = FlatForest.probability(g);
    for (double[] probe : features(500, 6)) {
      assertEquals(g.predictProbability(Vectors.dense(probe)).apply(1), p.score(probe), 1e-12);
    }
  }
}
