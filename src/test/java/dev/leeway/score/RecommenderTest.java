package dev.leeway.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.config.LeewayConfig;
import dev.leeway.config.LeewayConfig.ScoreSettings;
import dev.leeway.support.TestSpark;
import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The recommendation rule and each guardrail, on a few inline rows. */
class RecommenderTest {
  private static final StructType SCHEMA = new StructType()
      .add("customer_id", DataTypes.StringType).add("policy", DataTypes.StringType)
      .add(ScoreCols.TEAM, DataTypes.StringType).add(ScoreCols.CLV, DataTypes.DoubleType)
      .add(ScoreCols.RISK_FLAG, DataTypes.IntegerType).add(ScoreCols.PAST_GRANTS, DataTypes.LongType)
      .add(ScoreCols.UPLIFT_RETENTION, DataTypes.DoubleType).add(ScoreCols.UPLIFT_REFERRALS, DataTypes.DoubleType)
      .add(ScoreCols.REFERRAL_VALUE, DataTypes.DoubleType).add(ScoreCols.EXPECTED_COST, DataTypes.DoubleType)
      .add(ScoreCols.EXPECTED_REQUESTS, DataTypes.DoubleType);
  /** A customer who asks for a policy about once every five years. */
  private static final double RARE = 0.0005;

  private static ScoreSettings settings(Map<String, String> overrides) {
    // No ceilings unless a test sets them: a few inline rows are not a policy's requests.
    Map<String, String> all = new HashMap<>(Map.of("leeway.score.flex_floor", "10",
        "leeway.score.sporadic_cap.max_share_flexed", "{ default = -1 }",
        "leeway.score.sporadic_cap.max_expected_grants_per_year", "-1"));
    all.putAll(overrides);
    return LeewayConfig.load(new File("conf/local.conf"), all).score();
  }

  private static Row row(String customer, String policy, String team, double clv, int risk, long past, double upRet,
      double upRef, Double cost) {
    return row(customer, policy, team, clv, risk, past, upRet, upRef, cost, RARE);
  }

  private static Row row(String customer, String policy, String team, double clv, int risk, long past, double upRet,
      double upRef, Double cost, double requestsPerDay) {
    return RowFactory.create(customer, policy, team, clv, risk, past, upRet, upRef, 100.0, cost, requestsPerDay);
  }

  private static Map<String, Row> recommend(ScoreSettings s, List<Row> rows) {
    Dataset<Row> out = new Recommender(s).apply(TestSpark.session().createDataFrame(rows, SCHEMA));
    assertEquals(rows.size(), out.count(), "one recommendation per input row");
    Map<String, Row> byKey = new LinkedHashMap<>();
    for (Row r : out.collectAsList()) {
      byKey.put(r.getAs("customer_id") + "/" + r.getAs("policy"), r);
    }
    return byKey;
  }

  private static String rec(Map<String, Row> out, String key) {
    return out.get(key).getAs(ScoreCols.RECOMMENDATION);
  }

  private static List<String> codes(Map<String, Row> out, String key) {
    return out.get(key).getList(out.get(key).fieldIndex(ScoreCols.REASON_CODES));
  }

  @Test
  void valueRuleAndHardLines() {
    ScoreSettings s = settings(Map.of(
        "leeway.score.hard_lines.never_flexible_policies", "[FEE_WAIVER]",
        "leeway.score.hard_lines.max_concession", "{ default = -1, WARRANTY = 50 }"));
    Map<String, Row> out = recommend(s, List.of(
        // 0.1 x 1000 + 0.1 x 100 - 20 = 90: FLEX; the largest concession worth making is the value, 110.
        row("a", "CHR", "T1", 1000, 0, 0, 0.1, 0.1, 20.0),
        // 0.02 x 1000 - 15 = 5: positive but below the floor of 10.
        row("b", "CHR", "T1", 1000, 0, 0, 0.02, 0.0, 15.0),
        // Not worth the cost.
        row("c", "CHR", "T1", 1000, 0, 0, 0.001, 0.0, 15.0),
        // Worth a lot, but each hits a hard line.
        row("d", "CHR", "T1", 1000, 1, 0, 0.5, 0.0, 10.0),
        row("e", "FEE_WAIVER", "T1", 1000, 0, 0, 0.5, 0.0, 10.0),
        row("f", "WARRANTY", "T1", 1000, 0, 0, 0.5, 0.0, 60.0),
        row("g", "NEW_POLICY", "T1", 1000, 0, 0, 0.5, 0.0, null),
        // Under the cap on concession: offered, and the concession is capped at 50.
        row("h", "WARRANTY", "T1", 1000, 0, 0, 0.5, 0.0, 40.0)));
    assertEquals(Recommender.FLEX, rec(out, "a/CHR"));
    assertEquals(90.0, (double) out.get("a/CHR").getAs(ScoreCols.EXPECTED_NET_VALUE), 1e-9);
    assertEquals(110.0, (double) out.get("a/CHR").getAs(ScoreCols.MAX_CONCESSION), 1e-9);
    assertEquals(List.of(), codes(out, "a/CHR"));
    assertEquals(Recommender.CONSIDER, rec(out, "b/CHR"));
    assertEquals(List.of(Recommender.BELOW_FLOOR), codes(out, "b/CHR"));
    assertEquals(Recommender.HOLD_LINE, rec(out, "c/CHR"));
    assertEquals(List.of(Recommender.NOT_WORTH_COST), codes(out, "c/CHR"));
    assertEquals(0.0, (double) out.get("c/CHR").getAs(ScoreCols.MAX_CONCESSION));
    assertEquals(List.of(Recommender.RISK_FLAG), codes(out, "d/CHR"));
    assertEquals(List.of(Recommender.NEVER_FLEXIBLE_POLICY), codes(out, "e/FEE_WAIVER"));
    assertEquals(List.of(Recommender.OVER_MAX_CONCESSION), codes(out, "f/WARRANTY"));
    assertEquals(List.of(Recommender.NO_COST_HISTORY), codes(out, "g/NEW_POLICY"));
    for (String held : List.of("d/CHR", "e/FEE_WAIVER", "f/WARRANTY", "g/NEW_POLICY")) {
      assertEquals(Recommender.HOLD_LINE, rec(out, held), held);
    }
    assertEquals(Recommender.FLEX, rec(out, "h/WARRANTY"));
    assertEquals(50.0, (double) out.get("h/WARRANTY").getAs(ScoreCols.MAX_CONCESSION), 1e-9);
  }

  @Test
  void sporadicCapCountsActualGrantsOnly() {
    ScoreSettings s = settings(Map.of("leeway.score.sporadic_cap.max_grants", "2"));
    Map<String, Row> out = recommend(s, List.of(
        // Two grants in the window: held for every policy, however valuable.
        row("a", "P1", "T1", 1000, 0, 2, 0.5, 0.0, 10.0),
        row("a", "P2", "T1", 1000, 0, 2, 0.3, 0.0, 10.0),
        row("a", "P3", "T1", 1000, 0, 2, 0.2, 0.0, 10.0),
        // One grant: still below the cap, every policy worth it is FLEX.
        row("b", "P1", "T1", 1000, 0, 1, 0.3, 0.0, 10.0),
        row("b", "P2", "T1", 1000, 0, 1, 0.5, 0.0, 10.0),
        // None: every policy worth it is FLEX; what would be offered for the others does not count.
        row("c", "P1", "T1", 1000, 0, 0, 0.3, 0.0, 10.0),
        row("c", "P2", "T1", 1000, 0, 0, 0.5, 0.0, 10.0),
        row("c", "P3", "T1", 1000, 0, 0, 0.2, 0.0, 10.0)));
    for (String p : List.of("P1", "P2", "P3")) {
      assertEquals(Recommender.HOLD_LINE, rec(out, "a/" + p));
      assertEquals(List.of(Recommender.SPORADIC_CAP), codes(out, "a/" + p));
      assertEquals(Recommender.FLEX, rec(out, "c/" + p), "c/" + p + " " + codes(out, "c/" + p));
      assertEquals(2, (int) out.get("c/" + p).getAs(ScoreCols.SPORADIC_CAP));
    }
    assertEquals(Recommender.FLEX, rec(out, "b/P1"));
    assertEquals(Recommender.FLEX, rec(out, "b/P2"));
  }

  @Test
  void aFrequentRequesterIsFlexedOnlyOnTheirMostValuablePolicies() {
    ScoreSettings s = settings(Map.of("leeway.score.sporadic_cap.max_expected_grants_per_year", "2"));
    double often = 0.004; // 1.46 requests a year of each policy: one fits in 2 expected grants a year, two do not
    Map<String, Row> out = recommend(s, List.of(
        row("f", "P1", "T1", 1000, 0, 0, 0.3, 0.0, 10.0, often),
        row("f", "P2", "T1", 1000, 0, 0, 0.5, 0.0, 10.0, often),
        row("f", "P3", "T1", 1000, 0, 0, 0.2, 0.0, 10.0, often),
        row("r", "P1", "T1", 1000, 0, 0, 0.3, 0.0, 10.0),
        row("r", "P3", "T1", 1000, 0, 0, 0.2, 0.0, 10.0)));
    assertEquals(Recommender.FLEX, rec(out, "f/P2"));
    for (String p : List.of("P1", "P3")) {
      assertEquals(Recommender.HOLD_LINE, rec(out, "f/" + p));
      assertEquals(List.of(Recommender.FREQUENT_REQUESTER), codes(out, "f/" + p));
      // Flexed at or above the threshold, held below it.
      assertTrue((double) out.get("f/" + p).getAs(ScoreCols.EXPECTED_NET_VALUE)
          < (double) out.get("f/" + p).getAs(ScoreCols.FLEX_THRESHOLD));
    }
    assertEquals(490.0, (double) out.get("f/P2").getAs(ScoreCols.FLEX_THRESHOLD), 1e-9);
    assertEquals(Recommender.FLEX, rec(out, "r/P1"));
    assertEquals(Recommender.FLEX, rec(out, "r/P3"));
    assertEquals(10.0, (double) out.get("r/P3").getAs(ScoreCols.FLEX_THRESHOLD), 1e-9, "the floor");
  }

  /** 200 customers asking for P1 a quarter of a time a day each (50 requests a day), values 1000 down to 105, net of a cost of 10. */
  private static List<Row> busyPolicy() {
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      rows.add(row(String.format("c%03d", i), "P1", "T" + (i % 3), 1000, 0, 0, 1.0 - 0.0045 * i, 0.0, 10.0, 0.25));
    }
    return rows;
  }

  private static double expectedSpend(Map<String, Row> out) {
    double spend = 0;
    for (Row r : out.values()) {
      if (!r.getAs(ScoreCols.RECOMMENDATION).equals(Recommender.HOLD_LINE)) {
        spend += (double) r.getAs(ScoreCols.EXPECTED_REQUESTS) * (double) r.getAs(ScoreCols.EXPECTED_COST);
      }
    }
    return spend;
  }

  @Test
  void aBudgetSetsTheThresholdOnExpectedRequests() {
    // Ten expected requests a day at a cost of 10: the budget is 100.
    ScoreSettings s = settings(Map.of("leeway.score.budgets.policy_daily", "{ default = -1, P1 = 100 }"));
    Map<String, Row> out = recommend(s, busyPolicy());
    double spend = expectedSpend(out);
    assertTrue(spend <= 100 + 1e-9, "expected spend " + spend + " over the budget");
    assertEquals(100.0, spend, 1e-9, "the budget is spent: 40 customers x 0.25 requests x 10");
    double threshold = out.get("c000/P1").getAs(ScoreCols.FLEX_THRESHOLD);
    // The 40th best customer, c039: 1000 x (1 - 0.0045 x 39) - 10 = 814.5.
    assertEquals(814.5, threshold, 1e-6);
    for (Row r : out.values()) {
      double net = r.getAs(ScoreCols.EXPECTED_NET_VALUE);
      assertEquals(net >= threshold ? Recommender.FLEX : Recommender.HOLD_LINE, r.getAs(ScoreCols.RECOMMENDATION));
      assertEquals(threshold, (double) r.getAs(ScoreCols.FLEX_THRESHOLD), 1e-9, "one threshold for the policy");
      if (net < threshold) {
        assertEquals(List.of(Recommender.POLICY_BUDGET), codes(out, r.getAs("customer_id") + "/P1"));
      }
    }
  }

  @Test
  void theShareCeilingRaisesTheThreshold() {
    Map<String, Row> free = recommend(settings(Map.of()), busyPolicy());
    Map<String, Row> capped = recommend(settings(Map.of("leeway.score.sporadic_cap.max_share_flexed",
        "{ default = 0.1 }")), busyPolicy());
    double before = free.get("c000/P1").getAs(ScoreCols.FLEX_THRESHOLD);
    double after = capped.get("c000/P1").getAs(ScoreCols.FLEX_THRESHOLD);
    assertEquals(10.0, before, 1e-9, "no ceiling: the floor");
    assertTrue(after > before, "the ceiling raises the threshold: " + after);
    long flexed = capped.values().stream().filter(r -> r.getAs(ScoreCols.RECOMMENDATION).equals(Recommender.FLEX))
        .count();
    assertEquals(20, flexed, "a tenth of 200 equally frequent requesters");
    assertEquals(List.of(Recommender.SPORADIC_SHARE), codes(capped, "c199/P1"));
  }

  @Test
  void teamBudgetsAreSpentOnTheHighestValueFirstAndNeverExceeded() {
    // Team T1 (budget 1.5 a day), policy P2: expected spend a day 0.1 x 10, 0.1 x 5, 0.1 x 8 by value. 1 + 0.8 does
    // not fit; the cheaper, less valuable 0.5 does not jump the queue.
    ScoreSettings s = settings(Map.of("leeway.score.budgets.team_daily", "{ default = 1.5, T9 = -1 }"));
    Map<String, Row> out = recommend(s, List.of(
        row("t0", "P2", "T1", 1000, 0, 0, 0.5, 0.0, 10.0, 0.1),
        row("t1", "P2", "T1", 1000, 0, 0, 0.4, 0.0, 8.0, 0.1),
        row("t2", "P2", "T1", 1000, 0, 0, 0.3, 0.0, 5.0, 0.1),
        row("u0", "P2", "T9", 1000, 0, 0, 0.3, 0.0, 5.0, 0.1)));
    assertEquals(Recommender.FLEX, rec(out, "t0/P2"));
    assertEquals(List.of(Recommender.TEAM_BUDGET), codes(out, "t1/P2"));
    assertEquals(Recommender.HOLD_LINE, rec(out, "t2/P2"));
    assertEquals(Recommender.FLEX, rec(out, "u0/P2"), "another team's budget");
  }
}
