package dev.leeway.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.leeway.features.ModelFeatures;
import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The one-pass linear outcome models: each fold's model sees only the other folds, each arm and outcome only its
 * own mature rows, and exact linear data is fitted exactly.
 */
class LinearOutcomeModelsTest {
  private static Dataset<Row> rows() {
    StructType s = new StructType().add(ModelFeatures.VECTOR, SQLDataTypes.VectorType())
        .add(CrossFit.FOLD, DataTypes.IntegerType).add("t", DataTypes.DoubleType)
        .add("y", DataTypes.DoubleType).add("z", DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 60; i++) {
      double x1 = i % 7;
      double x2 = (i * 3) % 5;
      int fold = i % 3;
      double t = i % 2;
      // Arm 0: y = 1 + 2 x1 - x2; arm 1: y = 5 + x1. Fold 2 breaks the rule, so models for folds 0 and 1 must
      // not have seen it. z is mature only for every third row, and then z = 10 - x2; a constant feature rides along.
      double y = fold == 2 ? 100.0 : t == 0 ? 1 + 2 * x1 - x2 : 5 + x1;
      Double z = i % 3 == 1 || i % 3 == 0 ? 10 - x2 : null;
      rows.add(RowFactory.create(i % 4 == 0 ? Vectors.dense(x1, x2, 4.0) : Vectors.sparse(3,
          new int[] {0, 1, 2}, new double[] {x1, x2, 4.0}), fold, t, y, z));
    }
    return TestSpark.session().createDataFrame(rows, s);
  }

  @Test
  void eachFoldIsFittedOnTheOtherFoldsAndEachOutcomeOnItsMatureRows() {
    LinearOutcomeModels.Fit fit = new LinearOutcomeModels(3, 0.0).fit(rows(), "t", List.of("y", "z"));
    double[][][][] c = fit.coefficients();
    // Fold 2's model was fitted on folds 0 and 1, where the rule holds exactly.
    assertArrayNear(new double[] {1, 2, -1, 0}, c[0][0][2], "y, arm 0, fold 2");
    assertArrayNear(new double[] {5, 1, 0, 0}, c[0][1][2], "y, arm 1, fold 2");
    // z is mature in folds 0 and 1 only: fold 2's model uses both; fold 0's model only fold 1.
    assertArrayNear(new double[] {10, 0, -1, 0}, c[1][0][2], "z, arm 0, fold 2");
    assertArrayNear(new double[] {10, 0, -1, 0}, c[1][1][0], "z, arm 1, fold 0");

    Dataset<Row> scored = LinearOutcomeModels.score(rows(), c[0][0], "mu");
    for (Row r : scored.filter(CrossFit.FOLD + " = 2").select(ModelFeatures.VECTOR, "mu").collectAsList()) {
      double[] x = ((org.apache.spark.ml.linalg.Vector) r.get(0)).toArray();
      assertEquals(1 + 2 * x[0] - x[1], r.getDouble(1), 1e-8, "prediction for fold 2 from its own model");
    }
  }

  @Test
  void anArmWithoutMatureRowsPredictsZero() {
    Dataset<Row> onlyControls = rows().filter("t = 0");
    LinearOutcomeModels.Fit fit = new LinearOutcomeModels(3, 0.001).fit(onlyControls, "t", List.of("y"));
    assertEquals(0.0, fit.coefficients()[0][1][0][0], 0.0, "no treated rows: no model");
  }

  private static void assertArrayNear(double[] expected, double[] actual, String what) {
    assertEquals(expected.length, actual.length, what + ": length");
    for (int i = 0; i < expected.length; i++) {
      assertEquals(expected[i], actual[i], 1e-6, what + ": coefficient " + i);
    }
  }
}
