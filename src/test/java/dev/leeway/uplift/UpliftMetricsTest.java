package dev.leeway.uplift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Qini coefficient, AUUC and uplift@k from Spark agree with scikit-uplift's definitions written out directly, and
 * ties are broken by customer id.
 */
class UpliftMetricsTest {
  // customer id, score, t, y
  private static final Object[][] ROWS = {
      {"c01", 0.9, 1, 1}, {"c02", 0.8, 0, 0}, {"c03", 0.8, 1, 1}, {"c04", 0.7, 0, 1}, {"c05", 0.6, 1, 0},
      {"c06", 0.5, 0, 0}, {"c07", 0.4, 1, 1}, {"c08", 0.3, 0, 1}, {"c09", 0.2, 1, 0}, {"c10", 0.1, 0, 0},
      {"c11", 0.05, 1, 1}, {"c12", 0.0, 0, 1}, {"c13", 0.0, 1, 0}, {"c14", -0.1, 0, 0}};

  private static Dataset<Row> data() {
    StructType s = new StructType().add("ranking", DataTypes.StringType).add("customer_id", DataTypes.StringType)
        .add(UpliftMetrics.SCORE, DataTypes.DoubleType).add(UpliftMetrics.T, DataTypes.IntegerType)
        .add(UpliftMetrics.Y, DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>();
    for (Object[] r : ROWS) {
      rows.add(RowFactory.create("model", r[0], r[1], r[2], r[3]));
      // A second ranking: the reverse order.
      rows.add(RowFactory.create("reverse", r[0], -(double) r[1], r[2], r[3]));
    }
    return TestSpark.session().createDataFrame(rows, s);
  }

  /** scikit-uplift's curves: points at every unit (ties broken) or at the end of each tie group. */
  private static double[][] curve(double[] score, int[] t, int[] y, String[] id, boolean qini, boolean groupTies) {
    Integer[] order = new Integer[score.length];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }
    Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparing(i -> id[i]));
    List<double[]> pts = new ArrayList<>();
    pts.add(new double[] {0, 0});
    double nt = 0;
    double yt = 0;
    double yc = 0;
    for (int j = 0; j < order.length; j++) {
      int i = order[j];
      nt += t[i];
      yt += t[i] * y[i];
      yc += (1 - t[i]) * y[i];
      boolean last = j == order.length - 1 || !groupTies || score[order[j + 1]] != score[i];
      if (!last) {
        continue;
      }
      double x = j + 1;
      double nc = x - nt;
      double v = qini ? yt - (nc > 0 ? yc * nt / nc : 0)
          : ((nt > 0 ? yt / nt : 0) - (nc > 0 ? yc / nc : 0)) * x;
      pts.add(new double[] {x, v});
    }
    return pts.toArray(double[][]::new);
  }

  private static double auc(double[][] p) {
    double a = 0;
    for (int i = 1; i < p.length; i++) {
      a += (p[i][0] - p[i - 1][0]) * (p[i][1] + p[i - 1][1]) / 2;
    }
    return a;
  }

  private static double coefficient(double[] score, int[] t, int[] y, String[] id, boolean qini) {
    double[][] model = curve(score, t, y, id, qini, false);
    double[] perfectScore = new double[score.length];
    int cr = 0;
    int tn = 0;
    for (int i = 0; i < score.length; i++) {
      cr += (1 - t[i]) * y[i];
      tn += t[i] * (1 - y[i]);
    }
    for (int i = 0; i < score.length; i++) {
      perfectScore[i] = qini ? y[i] * t[i] - y[i] * (1 - t[i]) : 2 * (y[i] == t[i] ? 1 : 0) + (cr > tn ? y[i] : t[i]);
    }
    double[][] perfect = curve(perfectScore, t, y, id, qini, true);
    double[] end = perfect[perfect.length - 1];
    double baseline = end[0] * end[1] / 2;
    return (auc(model) - baseline) / (auc(perfect) - baseline);
  }

  @Test
  void qiniAuucAndUpliftAtDepthFollowTheirDefinitions() {
    UpliftMetrics.Output out = UpliftMetrics.evaluate(data(), List.of("ranking"), List.of("customer_id"));
    List<Row> metrics = out.metrics().orderBy("ranking").collectAsList();
    assertEquals(2, metrics.size(), "one row per ranking");
    for (Row m : metrics) {
      double sign = m.getString(m.fieldIndex("ranking")).equals("model") ? 1 : -1;
      double[] score = new double[ROWS.length];
      int[] t = new int[ROWS.length];
      int[] y = new int[ROWS.length];
      String[] id = new String[ROWS.length];
      for (int i = 0; i < ROWS.length; i++) {
        id[i] = (String) ROWS[i][0];
        score[i] = sign * (double) ROWS[i][1];
        t[i] = (int) ROWS[i][2];
        y[i] = (int) ROWS[i][3];
      }
      String what = m.getString(m.fieldIndex("ranking"));
      assertEquals(coefficient(score, t, y, id, true), m.getDouble(m.fieldIndex("qini")), 1e-12, what + " qini");
      assertEquals(coefficient(score, t, y, id, false), m.getDouble(m.fieldIndex("auuc")), 1e-12, what + " auuc");
      assertEquals(14L, m.getLong(m.fieldIndex("n")), what + " n");
      assertEquals(7L, m.getLong(m.fieldIndex("treated")), what + " treated");
    }
    Row model = metrics.get(0);
    // Top 30% of 14 = the first 5 units (c02 before c03 at the tie 0.8): treated c01, c03, c05 (2 of 3 responded),
    // control c02, c04 (1 of 2).
    assertEquals(2.0 / 3 - 1.0 / 2, model.getDouble(model.fieldIndex("uplift_at_30")), 1e-12, "uplift@30%");
    // Top 10%: ceil(1.4) = 2 units, c01 (treated, responded) and c02 (control, did not).
    assertEquals(1.0, model.getDouble(model.fieldIndex("uplift_at_10")), 1e-12, "uplift@10% breaks the tie by id");

    List<Row> curve = out.curves().filter("ranking = 'model'").orderBy("depth").collectAsList();
    assertEquals(14, curve.size(), "fewer units than curve points: every unit is a point");
    assertEquals(1.0, curve.get(curve.size() - 1).getDouble(curve.get(0).fieldIndex("fraction")), 1e-12, "ends at 1");
  }

  @Test
  void aCellWithoutRespondersHasNoQiniRatherThanAnError() {
    StructType s = new StructType().add("ranking", DataTypes.StringType).add("customer_id", DataTypes.StringType)
        .add(UpliftMetrics.SCORE, DataTypes.DoubleType).add(UpliftMetrics.T, DataTypes.IntegerType)
        .add(UpliftMetrics.Y, DataTypes.IntegerType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      rows.add(RowFactory.create("model", "c" + i, (double) i, i % 2, 0));
    }
    Row m = UpliftMetrics.evaluate(TestSpark.session().createDataFrame(rows, s), List.of("ranking"),
        List.of("customer_id")).metrics().first();
    assertTrue(m.isNullAt(m.fieldIndex("qini")), "undefined, not a division error");
    assertEquals(0.0, m.getDouble(m.fieldIndex("uplift_at_30")), 0.0);
  }
}
