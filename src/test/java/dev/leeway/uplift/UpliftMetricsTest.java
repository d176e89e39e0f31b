package dev.leeway.uplift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Qini coefficient, AUUC, uplift@k and the stored curve points from Spark agree with scikit-uplift itself on rows
 * with ties in the score, for a 0/1 and a count outcome.
 */
class UpliftMetricsTest {
  // customer id, score, t, y (0/1), y (count). Tie groups: 0.8 (3 units), 0.5 (4), 0.1 (2), 0.0 (2), -0.1 (3).
  private static final Object[][] ROWS = {
      {"c01", 0.9, 1, 1, 2}, {"c02", 0.8, 0, 0, 0}, {"c03", 0.8, 1, 1, 1}, {"c04", 0.8, 0, 1, 3},
      {"c05", 0.6, 1, 0, 0}, {"c06", 0.5, 0, 0, 0}, {"c07", 0.5, 1, 1, 1}, {"c08", 0.5, 0, 1, 1},
      {"c09", 0.5, 1, 0, 0}, {"c10", 0.1, 0, 0, 0}, {"c11", 0.1, 1, 1, 2}, {"c12", 0.0, 0, 1, 1},
      {"c13", 0.0, 1, 0, 0}, {"c14", -0.1, 0, 0, 0}, {"c15", -0.1, 1, 1, 1}, {"c16", -0.1, 0, 0, 0}};

  /**
   * Computed with scikit-uplift 0.5.1 (numpy 1.24.2, scikit-learn 1.2.1) on ROWS, passed in descending id order so
   * that its stable sort puts tied units in ascending id order, our tie-break:
   * {@code qini_auc_score(y, s, t)}, {@code uplift_auc_score(y, s, t)},
   * {@code uplift_at_k(y, s, t, strategy='overall', k=0.1/0.2/0.3)} (NaN: the top int(16 * 0.1) = 1 unit holds no
   * control unit), {@code qini_curve(y, s, t)} and {@code uplift_curve(y, s, t)}; "reverse" ranks by -score.
   * For the count outcome sklift 0.5.1 refuses a non-binary y ({@code check_is_binary}); the same calls were made
   * with that check replaced by a no-op, and the AUUC's perfect curve was
   * {@code uplift_curve(y, 2 * (r == t) + (r if cr > tn else t), t)} with r = (y &gt; 0), the project's reading of
   * {@code perfect_uplift_curve} for counts.
   */
  private record Reference(double qini, double auuc, Double at10, Double at20, Double at30, double[] x, double[] q,
      double[] u) {}

  private static final double[] X_MODEL = {1, 4, 5, 9, 11, 13, 16};
  private static final double[] X_REVERSE = {3, 5, 7, 11, 12, 15, 16};
  private static final Map<String, Reference> SKLIFT = Map.of(
      "binary/model", new Reference(-0.038297872340425546, -0.11090448013524942, null, 1.0, 0.5, X_MODEL,
          new double[] {1.0, 1.0, 0.5, 0.5, 1.6, 0.5, 2.0},
          new double[] {1.0, 2.0, 0.8333333333333331, 0.8999999999999998, 2.9333333333333327, 0.9285714285714282,
              4.0}),
      "binary/reverse", new Reference(-3.7794826370218094e-17, 0.081149619611158, null, 1.0, 0.6666666666666667,
          X_REVERSE, new double[] {1.0, 0.33333333333333337, 1.25, 1.3333333333333333, 1.0, 1.375, 2.0},
          new double[] {3.0, 0.8333333333333335, 2.9166666666666665, 2.933333333333333, 2.0, 2.946428571428571,
              4.0}),
      "count/model", new Reference(-0.17114051669817262, -0.2872755659640906, null, 1.5, 0.0, X_MODEL,
          new double[] {2.0, 0.0, -1.5, -1.0, 1.2000000000000002, 0.16666666666666607, 2.0},
          new double[] {2.0, 0.0, -2.5, -1.7999999999999996, 2.1999999999999993, 0.3095238095238084, 4.0}),
      "count/reverse", new Reference(0.07939508506616255, 0.1859124482075301, null, 1.0, 0.6666666666666667,
          X_REVERSE, new double[] {1.0, 0.33333333333333337, 2.25, 2.333333333333333, 2.0, 0.625, 2.0},
          new double[] {3.0, 0.8333333333333335, 5.25, 5.133333333333334, 4.0, 1.3392857142857144, 4.0}));

  /** Both outcomes and both rankings; the count outcome carries an explicit weight of 1. */
  private static Dataset<Row> data() {
    StructType s = new StructType().add("outcome", DataTypes.StringType).add("ranking", DataTypes.StringType)
        .add("customer_id", DataTypes.StringType).add("other_order", DataTypes.IntegerType)
        .add(UpliftMetrics.SCORE, DataTypes.DoubleType).add(UpliftMetrics.T, DataTypes.IntegerType)
        .add(UpliftMetrics.Y, DataTypes.IntegerType).add(UpliftMetrics.W, DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < ROWS.length; i++) {
      Object[] r = ROWS[i];
      for (String outcome : List.of("binary", "count")) {
        Object y = outcome.equals("binary") ? r[3] : r[4];
        rows.add(RowFactory.create(outcome, "model", r[0], -i, r[1], r[2], y, 1.0));
        rows.add(RowFactory.create(outcome, "reverse", r[0], -i, -(double) r[1], r[2], y, 1.0));
      }
    }
    return TestSpark.session().createDataFrame(rows, s);
  }

  private static void assertAt(Double expected, Row m, String column, String what) {
    if (expected == null) {
      assertTrue(m.isNullAt(m.fieldIndex(column)), what + " " + column + " is undefined (sklift: NaN)");
    } else {
      assertEquals(expected, m.getDouble(m.fieldIndex(column)), 1e-12, what + " " + column);
    }
  }

  @Test
  void metricsAndCurvesMatchScikitUpliftWithTiesGrouped() {
    List<String> keys = List.of("outcome", "ranking");
    UpliftMetrics.Output out = UpliftMetrics.evaluate(data(), keys, List.of("customer_id"));
    List<Row> metrics = out.metrics().collectAsList();
    List<Row> curves = out.curves().orderBy("depth").collectAsList();
    assertEquals(4, metrics.size(), "one row per outcome and ranking");
    for (Row m : metrics) {
      String what = m.getString(0) + "/" + m.getString(1);
      Reference ref = SKLIFT.get(what);
      assertEquals(ref.qini(), m.getDouble(m.fieldIndex("qini")), 1e-12, what + " qini_auc_score");
      assertEquals(ref.auuc(), m.getDouble(m.fieldIndex("auuc")), 1e-12, what + " uplift_auc_score");
      assertAt(ref.at10(), m, "uplift_at_10", what);
      assertAt(ref.at20(), m, "uplift_at_20", what);
      assertAt(ref.at30(), m, "uplift_at_30", what);
      assertEquals(16L, m.getLong(m.fieldIndex("n")), what + " n");
      assertEquals(8L, m.getLong(m.fieldIndex("treated")), what + " treated");
      List<Row> curve = curves.stream().filter(c -> (c.getString(0) + "/" + c.getString(1)).equals(what)).toList();
      assertEquals(ref.x().length, curve.size(), what + ": a curve point at the end of each tie group only");
      for (int i = 0; i < curve.size(); i++) {
        Row c = curve.get(i);
        String at = what + " curve point " + i;
        assertEquals(ref.x()[i], c.getLong(c.fieldIndex("depth")), 0.0, at + " depth");
        assertEquals(ref.q()[i], c.getDouble(c.fieldIndex("qini")), 1e-12, at + " qini_curve");
        assertEquals(ref.u()[i], c.getDouble(c.fieldIndex("uplift_gain")), 1e-12, at + " uplift_curve");
      }
    }
  }

  @Test
  void onlyUpliftAtDepthDependsOnTheTieBreak() {
    List<String> keys = List.of("outcome", "ranking");
    Dataset<Row> d = data().filter("outcome = 'binary' and ranking = 'model'");
    Row byId = UpliftMetrics.evaluate(d, keys, List.of("customer_id")).metrics().first();
    // other_order reverses the ids: at the tie 0.8, c04 (control, responded) now comes before c03 and c02.
    Row reversed = UpliftMetrics.evaluate(d, keys, List.of("other_order")).metrics().first();
    for (String m : List.of("qini", "auuc")) {
      assertEquals(byId.getDouble(byId.fieldIndex(m)), reversed.getDouble(reversed.fieldIndex(m)), 1e-12,
          m + " groups ties, so the order within a tie group does not matter");
    }
    // Top int(16 * 0.2) = 3 units. By id: c01 (t, 1), c02 (c, 0), c03 (t, 1) -> 1 - 0. Reversed ids within the
    // tie: c01 (t, 1), c04 (c, 1), c03 (t, 1) -> 1 - 1.
    assertEquals(1.0, byId.getDouble(byId.fieldIndex("uplift_at_20")), 1e-12, "uplift@20 with ties by id");
    assertEquals(0.0, reversed.getDouble(reversed.fieldIndex("uplift_at_20")), 1e-12,
        "uplift@20 with ties by the other order");
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
    // int(10 * 0.3) = 3 units (10 * 0.3 is 3.0000000000000004 in double): both arms present, nobody responded.
    assertEquals(0.0, m.getDouble(m.fieldIndex("uplift_at_30")), 0.0);
    // int(10 * 0.1) = 1 unit, treated only: no control rate to compare with.
    assertTrue(m.isNullAt(m.fieldIndex("uplift_at_10")), "uplift@10 without a control unit is undefined");
  }
  /**
   * Weighted rows, a count outcome, many ties, a null key and a key spread over many partitions: the metrics equal
   * the pinned definitions computed directly, unit by unit, from the rows sorted by score and the tie-break.
   */
  @Test
  void weightedTiedRowsMatchTheDefinitionsComputedDirectly() {
    StructType s = new StructType().add("policy", DataTypes.StringType).add("customer_id", DataTypes.StringType)
        .add(UpliftMetrics.SCORE, DataTypes.DoubleType).add(UpliftMetrics.T, DataTypes.IntegerType)
        .add(UpliftMetrics.Y, DataTypes.IntegerType).add(UpliftMetrics.W, DataTypes.DoubleType);
    java.util.Random random = new java.util.Random(7);
    Map<String, List<Object[]>> byPolicy = new java.util.LinkedHashMap<>();
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 900; i++) {
      String policy = i % 3 == 0 ? null : i % 3 == 1 ? "A" : "B";
      Object[] r = {policy, String.format("c%04d", i), Math.floor(random.nextDouble() * 12) / 4,
          random.nextBoolean() ? 1 : 0, random.nextInt(10) < 3 ? random.nextInt(3) + 1 : 0,
          0.5 + 2 * random.nextDouble()};
      rows.add(RowFactory.create(r));
      byPolicy.computeIfAbsent(String.valueOf(policy), k -> new ArrayList<>()).add(r);
    }
    Dataset<Row> d = TestSpark.session().createDataFrame(rows, s).repartition(7);
    List<Row> metrics = UpliftMetrics.evaluate(d, List.of("policy"), List.of("customer_id")).metrics()
        .collectAsList();
    assertEquals(3, metrics.size(), "one row per policy, the null policy included");
    for (Row m : metrics) {
      List<Object[]> units = byPolicy.get(String.valueOf(m.getString(0)));
      double[] expected = direct(units);
      String what = "policy " + m.getString(0);
      assertEquals(units.size(), m.getLong(m.fieldIndex("n")), what + " n");
      assertEquals(expected[0], m.getDouble(m.fieldIndex("qini")), 1e-12, what + " qini");
      assertEquals(expected[1], m.getDouble(m.fieldIndex("auuc")), 1e-12, what + " auuc");
      assertEquals(expected[2], m.getDouble(m.fieldIndex("uplift_at_30")), 1e-12, what + " uplift@30");
    }
  }

  /** Qini, AUUC and uplift@30 of the rows, straight from the definitions (rows: policy, id, score, t, y, w). */
  private static double[] direct(List<Object[]> rows) {
    List<Object[]> model = new ArrayList<>(rows);
    model.sort(java.util.Comparator.comparingDouble((Object[] r) -> -(double) r[2])
        .thenComparing(r -> (String) r[1]));
    double[] areas = areas(model, r -> (double) r[2]);
    List<Object[]> perfectQ = new ArrayList<>(rows);
    perfectQ.sort(java.util.Comparator.comparingDouble(r -> -qiniScore(r)));
    double perfectAreaQ = areas(perfectQ, UpliftMetricsTest::qiniScore)[0];
    long controlResponders = rows.stream().filter(r -> (int) r[3] == 0 && (int) r[4] > 0).count();
    long treatedNon = rows.stream().filter(r -> (int) r[3] == 1 && (int) r[4] == 0).count();
    java.util.function.ToDoubleFunction<Object[]> upliftScore = r -> {
      int responded = (int) r[4] > 0 ? 1 : 0;
      int t = (int) r[3];
      return (responded == t ? 2 : 0) + (controlResponders > treatedNon ? responded : t);
    };
    List<Object[]> perfectU = new ArrayList<>(rows);
    perfectU.sort(java.util.Comparator.comparingDouble(r -> -upliftScore.applyAsDouble(r)));
    double perfectAreaU = areas(perfectU, upliftScore)[1];
    int top = (int) Math.floor(rows.size() * 0.3);
    double[] sums = new double[4];
    for (Object[] r : model.subList(0, top)) {
      add(sums, r);
    }
    return new double[] {(areas[0] - areas[2]) / (perfectAreaQ - areas[2]),
        (areas[1] - areas[3]) / (perfectAreaU - areas[3]), sums[2] / sums[0] - sums[3] / sums[1]};
  }

  private static double qiniScore(Object[] r) {
    return (int) r[4] * ((int) r[3] == 1 ? 1.0 : -1.0);
  }

  private static void add(double[] sums, Object[] r) {
    double w = (double) r[5];
    boolean treated = (int) r[3] == 1;
    sums[treated ? 0 : 1] += w;
    sums[treated ? 2 : 3] += w * (int) r[4];
  }

  /** Trapezoid areas through the ends of tie groups, and the random line's: area_q, area_u, baseline q and u. */
  private static double[] areas(List<Object[]> sorted, java.util.function.ToDoubleFunction<Object[]> score) {
    double[] sums = new double[4];
    double prevX = 0;
    double prevQ = 0;
    double prevU = 0;
    double areaQ = 0;
    double areaU = 0;
    for (int i = 0; i < sorted.size(); i++) {
      add(sums, sorted.get(i));
      if (i + 1 < sorted.size() && score.applyAsDouble(sorted.get(i + 1)) == score.applyAsDouble(sorted.get(i))) {
        continue;
      }
      double x = i + 1;
      double q = sums[2] - (sums[1] > 0 ? sums[3] * sums[0] / sums[1] : 0);
      double u = ((sums[0] > 0 ? sums[2] / sums[0] : 0) - (sums[1] > 0 ? sums[3] / sums[1] : 0)) * x;
      areaQ += (x - prevX) * (q + prevQ) / 2;
      areaU += (x - prevX) * (u + prevU) / 2;
      prevX = x;
      prevQ = q;
      prevU = u;
    }
    return new double[] {areaQ, areaU, prevX * prevQ / 2, prevX * prevU / 2};
  }
}
