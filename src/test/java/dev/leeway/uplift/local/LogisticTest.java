package dev.leeway.uplift.local;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.VectorRows;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The single-task logistic regression solves MLlib's problem (the same coefficients as MLlib's solver run to a tight
 * tolerance, a penalty included, a constant feature included), recovers planted coefficients, and its model
 * predicts, saves and loads as MLlib's.
 */
class LogisticTest {
  private static final double[] PLANTED = {-0.5, 1.2, -0.8, 0.0, 0.4};

  /** Rows: x0, x1 Gaussian on different scales, x2 0/1, x3 constant, x4 correlated with x0; y ~ Bernoulli. */
  private static double[][] features(int n, Random r) {
    double[][] x = new double[n][4];
    for (double[] row : x) {
      row[0] = r.nextGaussian();
      row[1] = 10 * r.nextGaussian();
      row[2] = r.nextInt(2);
      row[3] = 3.0;
    }
    double[][] out = new double[n][];
    for (int i = 0; i < n; i++) {
      out[i] = new double[] {x[i][0], x[i][1], x[i][2], x[i][3], 0.7 * x[i][0] + 0.3 * r.nextGaussian()};
    }
    return out;
  }

  private static double margin(double[] x) {
    return -0.3 + PLANTED[0] * x[0] + PLANTED[1] * x[1] / 10 + PLANTED[2] * x[2] + PLANTED[4] * x[4];
  }

  private static double[] labels(double[][] x, Random r) {
    double[] y = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-margin(x[i]))) ? 1 : 0;
    }
    return y;
  }

  private static double[] flat(double[][] x) {
    double[] out = new double[x.length * x[0].length];
    for (int i = 0; i < x.length; i++) {
      System.arraycopy(x[i], 0, out, i * x[0].length, x[0].length);
    }
    return out;
  }

  @Test
  void solvesMllibsProblemAndRoundTripsAsItsModel(@TempDir Path tmp) throws Exception {
    Random r = new Random(5);
    double[][] x = features(3000, r);
    double[] y = labels(x, r);
    Dataset<Row> train = VectorRows.of(x, y).repartition(3).cache();
    Logistic.Settings settings = new Logistic.Settings(0.01, 100, 1e-9);

    LogisticRegressionModel ours = Logistic.fit(train, "f", "y", "p", settings, 1_000_000);
    LogisticRegression reference = new LogisticRegression().setRegParam(0.01).setMaxIter(1000).setTol(1e-12);
    reference.setFeaturesCol("f");
    reference.setLabelCol("y");
    LogisticRegressionModel mllib = reference.fit(train);

    assertEquals(mllib.intercept(), ours.intercept(), 1e-4, "intercept");
    for (int j = 0; j < x[0].length; j++) {
      assertEquals(mllib.coefficients().apply(j), ours.coefficients().apply(j), 1e-4,
          "coefficient " + j + ": ours " + ours.coefficients() + ", MLlib " + mllib.coefficients());
    }
    assertEquals(0.0, ours.coefficients().apply(3), "a feature that never varies gets 0");
    for (int i = 0; i < 50; i++) {
      Vector v = Vectors.dense(x[i]);
      assertEquals(mllib.predictProbability(v).apply(1), ours.predictProbability(v).apply(1), 1e-5, "row " + i);
    }

    // Above the row limit MLlib fits it, with the same settings.
    LogisticRegressionModel distributed = Logistic.fit(train, "f", "y", "p", settings, 10);
    assertEquals(ours.intercept(), distributed.intercept(), 1e-3);

    // It scores through transform like MLlib's model, and saves and loads as one.
    List<Row> scored = ours.transform(train).select("p", "probability").collectAsList();
    assertEquals(x.length, scored.size());
    String path = tmp.resolve("m").toString();
    ours.save(path);
    LogisticRegressionModel back = LogisticRegressionModel.load(path);
    assertEquals(ours.coefficients(), back.coefficients());
    assertEquals(ours.intercept(), back.intercept());
    assertEquals("p", back.getPredictionCol());
  }

  @Test
  void recoversPlantedCoefficients() {
    Random r = new Random(11);
    double[][] x = features(40_000, r);
    double[] y = labels(x, r);
    Logistic.Coefficients c = Logistic.fit(flat(x), y, 5, new Logistic.Settings(0.0, 100, 1e-9));
    double[] planted = {PLANTED[0], PLANTED[1] / 10, PLANTED[2], 0.0, PLANTED[4]};
    for (int j = 0; j < planted.length; j++) {
      // Standard errors here are about 0.02 (0.002 for x1, on ten times the scale): 0.08 is four of them.
      assertEquals(planted[j], c.beta()[j], j == 1 ? 0.008 : 0.08, "coefficient " + j);
    }
    assertEquals(-0.3, c.intercept(), 0.08, "intercept");
  }

  @Test
  void oneClassAndBadLabelsAsMllibOrNamed() {
    double[] x = {1, 2, 3, 4};
    Logistic.Coefficients allOnes = Logistic.fit(x, new double[] {1, 1, 1, 1}, 1, new Logistic.Settings(0, 100, 1e-6));
    assertEquals(Double.POSITIVE_INFINITY, allOnes.intercept(), "every label 1: as MLlib, an infinite intercept");
    assertEquals(0.0, allOnes.beta()[0]);
    // Perfectly separated rows still give a finite fit under a penalty.
    Logistic.Coefficients separated = Logistic.fit(x, new double[] {0, 0, 1, 1}, 1,
        new Logistic.Settings(1e-3, 100, 1e-9));
    assertTrue(Double.isFinite(separated.beta()[0]) && separated.beta()[0] > 0, "separated: " + separated);

    Dataset<Row> bad = VectorRows.of(new double[][] {{1}, {2}, {3}}, new double[] {0, 2, 1});
    Exception e = assertThrows(Exception.class,
        () -> Logistic.fit(bad.coalesce(1), "f", "y", "p", new Logistic.Settings(0, 100, 1e-6), 100));
    assertTrue(rootMessage(e).contains("row 1 has label 2.0"), rootMessage(e));
  }

  private static String rootMessage(Throwable t) {
    StringBuilder all = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      all.append(c.getMessage()).append(" | ");
    }
    return all.toString();
  }
}
