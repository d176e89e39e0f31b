package dev.leeway.causal.nuisance;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The penalised nuisance models learn a different rule per policy, bend where a rule bends, keep small policies near
 * the pooled fit, and cross-fit exactly: fold k's model is the fit on the other folds.
 */
class PolicyModelsTest {
  private static Dataset<Row> data;
  private static final int FOLDS = 3;

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  /** Rules: UP grants more as x grows, DOWN less; SMALL (60 rows) follows UP; y is a tent in x for everyone. */
  @BeforeAll
  static void rows() {
    SplittableRandom r = new SplittableRandom(11);
    List<Row> rows = new ArrayList<>();
    String[] policies = {"UP", "DOWN", "SMALL"};
    int[] sizes = {4000, 4000, 60};
    int id = 0;
    for (int p = 0; p < policies.length; p++) {
      for (int i = 0; i < sizes[p]; i++) {
        double x = 3 * r.nextDouble();
        double slope = policies[p].equals("DOWN") ? -2.0 : 2.0;
        double t = r.nextDouble() < sigmoid(slope * (x - 1.5)) ? 1 : 0;
        double y = 2.0 * Math.max(0, 1 - Math.abs(x - 1.5)) + 0.3 * t + 0.1 * (r.nextDouble() - 0.5);
        rows.add(RowFactory.create(Vectors.dense(x, Math.log1p(x)), id % FOLDS, policies[p], t, y));
        id++;
      }
    }
    StructType s = new StructType().add("v", SQLDataTypes.VectorType()).add("fold", DataTypes.IntegerType)
        .add("policy", DataTypes.StringType).add("t", DataTypes.DoubleType).add("y", DataTypes.DoubleType);
    data = TestSpark.session().createDataFrame(rows, s).cache();
  }

  private static Design design(int knots) {
    return Design.fit(data, "v", "policy", new int[] {1}, knots, 10);
  }

  private static double predict(Design d, double[] coef, double x, String policy) {
    return d.expand(Vectors.dense(x, Math.log1p(x)), d.buffer()).dot(coef);
  }

  @Test
  void eachPolicyGetsItsOwnGrantRule() {
    Design d = design(0);
    PolicyLogistic.Fit fit = new PolicyLogistic(d, FOLDS, 1e-3, 200).fit(data, "v", "fold", "policy", "t", 0);
    double upLow = sigmoid(predict(d, fit.all()[d.group("UP")], 0.5, "UP"));
    double upHigh = sigmoid(predict(d, fit.all()[d.group("UP")], 2.5, "UP"));
    double downLow = sigmoid(predict(d, fit.all()[d.group("DOWN")], 0.5, "DOWN"));
    double downHigh = sigmoid(predict(d, fit.all()[d.group("DOWN")], 2.5, "DOWN"));
    String ctx = String.format("UP %.3f -> %.3f, DOWN %.3f -> %.3f", upLow, upHigh, downLow, downHigh);
    assertEquals(sigmoid(-2), upLow, 0.06, "UP at x = 0.5: " + ctx);
    assertEquals(sigmoid(2), upHigh, 0.06, "UP at x = 2.5: " + ctx);
    assertEquals(sigmoid(2), downLow, 0.06, "DOWN at x = 0.5: " + ctx);
    assertEquals(sigmoid(-2), downHigh, 0.06, "DOWN at x = 2.5: " + ctx);
    double smallHigh = sigmoid(predict(d, fit.all()[d.group("SMALL")], 2.5, "SMALL"));
    double pooledHigh = sigmoid(predict(d, fit.all()[d.groups()], 2.5, null));
    assertTrue(Math.abs(smallHigh - pooledHigh) < Math.abs(upHigh - pooledHigh),
        "60 requests stay closer to the pooled rule than 4,000 do: SMALL " + smallHigh + ", pooled " + pooledHigh);
  }

  @Test
  void foldModelsAreTheFitsWithoutTheirFold() {
    Design d = design(0);
    PolicyLogistic.Fit all = new PolicyLogistic(d, FOLDS, 1e-3, 200).fit(data, "v", "fold", "policy", "t", 0);
    for (int k = 0; k < FOLDS; k++) {
      PolicyLogistic.Fit without = new PolicyLogistic(d, FOLDS, 1e-3, 200)
          .fit(data.filter(col("fold").notEqual(k)), "v", "fold", "policy", "t", Long.MAX_VALUE);
      for (String p : List.of("UP", "DOWN")) {
        for (double x : new double[] {0.2, 1.5, 2.8}) {
          double a = sigmoid(predict(d, all.byFold()[k][d.group(p)], x, p));
          double b = sigmoid(predict(d, without.all()[d.group(p)], x, p));
          assertEquals(b, a, 2e-3, "fold " + k + ", " + p + " at x = " + x);
        }
      }
    }
  }

  @Test
  void oneTaskAndOneJobPerStepGiveTheSameFit() {
    Design d = design(0);
    PolicyLogistic.Fit jobs = new PolicyLogistic(d, FOLDS, 1e-3, 200).fit(data, "v", "fold", "policy", "t", 0);
    PolicyLogistic.Fit oneTask = new PolicyLogistic(d, FOLDS, 1e-3, 200)
        .fit(data, "v", "fold", "policy", "t", Long.MAX_VALUE);
    for (int g = 0; g <= d.groups(); g++) {
      assertArrayEquals(jobs.all()[g], oneTask.all()[g], 1e-9, "group " + g);
      for (int k = 0; k < FOLDS; k++) {
        assertArrayEquals(jobs.byFold()[k][g], oneTask.byFold()[k][g], 1e-9, "group " + g + ", fold " + k);
      }
    }
  }

  @Test
  void outcomeModelsBendWhereTheOutcomeBends() {
    double[] rmse = new double[2];
    for (int knots : new int[] {0, 3}) {
      Design d = design(knots);
      double[][][][][] coef = new PolicyRidge(d, FOLDS, 1e-6, 200).fit(data, "v", "fold", "policy", "t",
          List.of("y"));
      double ss = 0;
      int n = 0;
      for (double x = 0.05; x < 3; x += 0.1) {
        // The truth is a tent, 2 (1 - |x - 1.5|)+, plus 0.3 t.
        double truth = 2.0 * Math.max(0, 1 - Math.abs(x - 1.5));
        double mu0 = predict(d, coef[0][0][0][d.group("UP")], x, "UP");
        double mu1 = predict(d, coef[0][1][0][d.group("UP")], x, "UP");
        ss += Math.pow(mu0 - truth, 2) + Math.pow(mu1 - truth - 0.3, 2);
        n += 2;
      }
      rmse[knots == 0 ? 0 : 1] = Math.sqrt(ss / n);
    }
    String ctx = String.format("RMSE without knots %.3f, with 3 knots %.3f", rmse[0], rmse[1]);
    assertTrue(rmse[1] < rmse[0] / 2, "hinge terms follow the bend: " + ctx);
    assertTrue(rmse[1] < 0.12, "close to the truth: " + ctx);
  }
}
