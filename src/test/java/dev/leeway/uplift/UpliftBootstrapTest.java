package dev.leeway.uplift;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The customer-level Poisson bootstrap's standard errors: they match the spread of the metric over independently
 * simulated data sets, they see the dependence between a customer's requests, they pair rankings of the same rows,
 * and they are reproducible.
 */
class UpliftBootstrapTest {
  private static final List<String> KEYS = List.of("rep", "ranking");
  private static final List<String> TIE_BREAK = List.of("customer_id", "row_id");
  private static final StructType SCHEMA = new StructType().add("rep", DataTypes.IntegerType)
      .add("ranking", DataTypes.StringType).add("customer_id", DataTypes.StringType)
      .add("row_id", DataTypes.StringType).add(UpliftMetrics.SCORE, DataTypes.DoubleType)
      .add(UpliftMetrics.T, DataTypes.IntegerType).add(UpliftMetrics.Y, DataTypes.IntegerType);

  /**
   * A randomised experiment: each customer makes 1 to {@code maxRequests} requests and carries a shared effect on
   * the outcome level ({@code levelSd} on the log-odds scale), a shared part of the feature x and a shared part of
   * the response to a grant ({@code upliftSd}, not in x); a grant (t, a fair coin per request) adds
   * {@code effect} * x plus the customer's part to the response probability. Rankings: "model" (x rounded to 0.1,
   * so ties as a tree makes them), "model_copy" (the same scores), "oracle" (the true effect), "random".
   */
  private static List<Row> simulate(int rep, long seed, int customers, int maxRequests, double levelSd,
      double effect, double upliftSd, List<String> rankings) {
    Random rnd = new Random(seed);
    List<Row> rows = new ArrayList<>();
    for (int c = 0; c < customers; c++) {
      double level = 1 / (1 + Math.exp(0.8 - levelSd * rnd.nextGaussian()));
      double own = upliftSd * rnd.nextGaussian();
      double z = rnd.nextDouble();
      int requests = 1 + rnd.nextInt(maxRequests);
      for (int j = 0; j < requests; j++) {
        double x = 0.5 * z + 0.5 * rnd.nextDouble();
        int t = rnd.nextBoolean() ? 1 : 0;
        double tau = effect * x + own;
        double p = Math.max(0.0, Math.min(1.0, level + t * tau));
        int y = rnd.nextDouble() < p ? 1 : 0;
        double random = rnd.nextInt(20);
        String customer = "c" + c;
        String row = customer + "-" + j;
        for (String r : rankings) {
          double score = switch (r) {
            case "model", "model_copy" -> Math.round(x * 10) / 10.0;
            case "oracle" -> tau;
            default -> random;
          };
          rows.add(RowFactory.create(rep, r, customer, row, score, t, y));
        }
      }
    }
    return rows;
  }

  private static Dataset<Row> frame(List<Row> rows) {
    return TestSpark.session().createDataFrame(rows, SCHEMA);
  }

  private static Map<String, Object> rep(int rep) {
    return Map.of("rep", rep);
  }

  private static double sd(double[] v) {
    double mean = Arrays.stream(v).average().orElseThrow();
    return Math.sqrt(Arrays.stream(v).map(a -> (a - mean) * (a - mean)).sum() / (v.length - 1));
  }

  @Test
  void theStandardErrorMatchesTheSpreadOverIndependentDataSets() {
    int repeats = 60;
    List<Row> rows = new ArrayList<>();
    for (int r = 0; r < repeats; r++) {
      rows.addAll(simulate(r, 1000 + r, 500, 7, 1.0, 0.3, 0.15, List.of("model")));
    }
    Dataset<Row> scored = frame(rows).cache();
    try {
      Map<Integer, Row> exact = new HashMap<>();
      for (Row m : UpliftMetrics.evaluate(scored, KEYS, TIE_BREAK).metrics().collectAsList()) {
        exact.put(m.getInt(0), m);
      }
      UpliftBootstrap.Result boot = UpliftBootstrap.run(scored, KEYS, TIE_BREAK,
          new UpliftBootstrap.Settings("customer_id", "ranking", 200, 7L));
      for (String metric : List.of("qini", "auuc", "uplift_at_30")) {
        double[] estimates = new double[repeats];
        double[] ses = new double[repeats];
        for (int r = 0; r < repeats; r++) {
          estimates[r] = exact.get(r).getDouble(exact.get(r).fieldIndex(metric));
          UpliftBootstrap.Spread s = boot.se(rep(r), "model", metric);
          assertEquals(200, s.replicates(), metric + ": every replicate defines it (rep " + r + ")");
          ses[r] = s.se();
        }
        double spread = sd(estimates);
        double meanSe = Arrays.stream(ses).average().orElseThrow();
        double ratio = meanSe / spread;
        System.out.printf("%s: sd over %d data sets %.4f (mean %.4f), mean bootstrap SE %.4f (min %.4f, max %.4f),"
            + " ratio %.3f, one data set's ratio %.3f%n", metric, repeats, spread,
            Arrays.stream(estimates).average().orElseThrow(), meanSe, Arrays.stream(ses).min().orElseThrow(),
            Arrays.stream(ses).max().orElseThrow(), ratio, ses[0] / spread);
        assertTrue(ratio > 0.7 && ratio < 1.4, metric + ": mean bootstrap SE " + meanSe
            + " vs the standard deviation over " + repeats + " simulated data sets " + spread);
        assertTrue(ses[0] / spread > 0.7 && ses[0] / spread < 1.4, metric + ": one data set's bootstrap SE "
            + ses[0] + " vs the standard deviation over " + repeats + " simulated data sets " + spread);
      }
    } finally {
      scored.unpersist();
    }
  }

  @Test
  void aCustomersRequestsMoveTogether() {
    // 150 customers with 30 to 40 requests each; a customer's outcome level and response to a grant are partly
    // their own (shared by all their requests, and not in the score).
    List<Row> rows = new ArrayList<>();
    Random rnd = new Random(11);
    for (int c = 0; c < 150; c++) {
      double level = 1 / (1 + Math.exp(-rnd.nextGaussian()));
      double z = rnd.nextDouble();
      double tau = 0.2 * z + 0.3 * rnd.nextGaussian();
      int requests = 30 + rnd.nextInt(11);
      for (int j = 0; j < requests; j++) {
        int t = rnd.nextBoolean() ? 1 : 0;
        double p = Math.max(0.0, Math.min(1.0, level + t * tau));
        rows.add(RowFactory.create(0, "model", "c" + c, "c" + c + "-" + j, Math.round(z * 10) / 10.0, t,
            rnd.nextDouble() < p ? 1 : 0));
      }
    }
    Dataset<Row> scored = frame(rows);
    UpliftBootstrap.Result byCustomer = UpliftBootstrap.run(scored, KEYS, TIE_BREAK,
        new UpliftBootstrap.Settings("customer_id", "ranking", 200, 3L));
    UpliftBootstrap.Result byRow = UpliftBootstrap.run(scored, KEYS, TIE_BREAK,
        new UpliftBootstrap.Settings("row_id", "ranking", 200, 3L));
    for (String metric : List.of("qini", "uplift_at_30")) {
      double customer = byCustomer.se(rep(0), "model", metric).se();
      double row = byRow.se(rep(0), "model", metric).se();
      System.out.printf("%s: SE by customer %.4f, by row %.4f, ratio %.2f%n", metric, customer, row, customer / row);
      assertTrue(customer > 1.5 * row, metric + ": the by-customer SE " + customer
          + " is clearly larger than the by-row SE " + row);
    }
  }

  @Test
  void differencesArePairedByReplicate() {
    List<Row> rows = simulate(0, 21, 600, 6, 0.5, 0.4, 0.0, List.of("model", "model_copy", "oracle", "random"));
    Dataset<Row> scored = frame(rows).cache();
    try {
      UpliftBootstrap.Result boot = UpliftBootstrap.run(scored, KEYS, TIE_BREAK,
          new UpliftBootstrap.Settings("customer_id", "ranking", 200, 5L));
      for (String metric : UpliftBootstrap.METRICS) {
        assertEquals(0.0, boot.difference(rep(0), "model", "model_copy", metric).se(), 1e-12,
            metric + ": a ranking minus an identical ranking has no spread");
        assertTrue(boot.se(rep(0), "model", metric).se() > 0, metric + ": a ranking alone has a spread");
      }
      Dataset<Row> metrics = boot.withIntervals(UpliftMetrics.evaluate(scored, KEYS, TIE_BREAK).metrics());
      Map<String, Row> byRanking = new HashMap<>();
      for (Row m : metrics.collectAsList()) {
        byRanking.put(m.getString(m.fieldIndex("ranking")), m);
      }
      for (String metric : List.of("qini", "auuc")) {
        double oracle = byRanking.get("oracle").getDouble(byRanking.get("oracle").fieldIndex(metric));
        double random = byRanking.get("random").getDouble(byRanking.get("random").fieldIndex(metric));
        UpliftBootstrap.Spread diff = boot.difference(rep(0), "oracle", "random", metric);
        double[] ci = diff.interval(oracle - random);
        System.out.printf("%s: oracle %.4f, random %.4f, difference %.4f, SE %.4f (%d replicates), 95%% [%.4f, %.4f];"
            + " SE oracle %.4f, random %.4f%n", metric, oracle, random, oracle - random, diff.se(),
            diff.replicates(), ci[0], ci[1], boot.se(rep(0), "oracle", metric).se(),
            boot.se(rep(0), "random", metric).se());
        assertTrue(ci[0] > 0, metric + ": the oracle beats a random ranking, interval " + Arrays.toString(ci));
      }
      // The replicates centre on the exact estimate: the binned curves (100 bins; the oracle's scores have no ties)
      // and the recomputed perfect areas measure the same metric.
      for (Row m : byRanking.values()) {
        String ranking = m.getString(m.fieldIndex("ranking"));
        for (String metric : UpliftBootstrap.METRICS) {
          double mean = Arrays.stream(boot.replicates(rep(0), ranking, metric)).average().orElseThrow();
          double estimate = m.getDouble(m.fieldIndex(metric));
          double se = boot.se(rep(0), ranking, metric).se();
          System.out.printf("%s %s: exact %.4f, replicate mean %.4f, SE %.4f, (mean - exact) / SE %.3f%n", ranking,
              metric, estimate, mean, se, (mean - estimate) / se);
          assertEquals(estimate, mean, 0.3 * se, ranking + " " + metric + ": replicate mean vs the exact estimate");
        }
      }
      Row model = byRanking.get("model");
      for (String metric : UpliftBootstrap.METRICS) {
        double se = boot.se(rep(0), "model", metric).se();
        double estimate = model.getDouble(model.fieldIndex(metric));
        assertEquals(se, model.getDouble(model.fieldIndex(metric + "_se")), 0.0, metric + "_se column");
        assertEquals(estimate - UpliftBootstrap.Z95 * se, model.getDouble(model.fieldIndex(metric + "_low")), 1e-12,
            metric + "_low: the exact estimate minus 1.96 SE");
        assertEquals(estimate + UpliftBootstrap.Z95 * se, model.getDouble(model.fieldIndex(metric + "_high")),
            1e-12, metric + "_high: the exact estimate plus 1.96 SE");
      }
      assertEquals(4, metrics.count(), "one metrics row per ranking, no more after the join");
    } finally {
      scored.unpersist();
    }
  }

  @Test
  void theSameSeedGivesTheSameReplicates() {
    Dataset<Row> scored = frame(simulate(0, 31, 300, 5, 0.5, 0.3, 0.1, List.of("model")));
    UpliftBootstrap.Settings settings = new UpliftBootstrap.Settings("customer_id", "ranking", 50, 9L);
    UpliftBootstrap.Result first = UpliftBootstrap.run(scored, KEYS, TIE_BREAK, settings);
    // Another partitioning of the same rows: the weights are a function of (customer, replicate, seed) only.
    UpliftBootstrap.Result again = UpliftBootstrap.run(scored.repartition(3), KEYS, TIE_BREAK, settings);
    UpliftBootstrap.Result otherSeed = UpliftBootstrap.run(scored, KEYS, TIE_BREAK,
        new UpliftBootstrap.Settings("customer_id", "ranking", 50, 10L));
    for (String metric : UpliftBootstrap.METRICS) {
      double[] a = first.replicates(rep(0), "model", metric);
      assertArrayEquals(a, again.replicates(rep(0), "model", metric), 1e-12, metric + ": same seed, same replicates");
      assertFalse(Arrays.equals(a, otherSeed.replicates(rep(0), "model", metric)),
          metric + ": another seed draws other weights");
    }
  }
}
