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
      .add(ScoreCols.REFERRAL_VALUE, DataTypes.DoubleType).add(ScoreCols.EXPECTED_COST, DataTypes.DoubleType);

  private static ScoreSettings settings(Map<String, String> overrides) {
    Map<String, String> all = new HashMap<>(Map.of("leeway.score.flex_floor", "10"));
    all.putAll(overrides);
    return LeewayConfig.load(new File("conf/local.conf"), all).score();
  }

  private static Row row(String customer, String policy, String team, double clv, int risk, long past, double upRet,
      double upRef, Double cost) {
    return RowFactory.create(customer, policy, team, clv, risk, past, upRet, upRef, 100.0, cost);
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
  void sporadicCapCountsPastGrantsAndThisRunsOffers() {
    ScoreSettings s = settings(Map.of("leeway.score.sporadic_cap.max_grants", "2"));
    Map<String, Row> out = recommend(s, List.of(
        // Already at the cap: nothing, however valuable.
        row("a", "P1", "T1", 1000, 0, 2, 0.5, 0.0, 10.0),
        // One past grant: only the best of three offers fits.
        row("b", "P1", "T1", 1000, 0, 1, 0.3, 0.0, 10.0),
        row("b", "P2", "T1", 1000, 0, 1, 0.5, 0.0, 10.0),
        row("b", "P3", "T1", 1000, 0, 1, 0.012, 0.0, 5.0),
        // No past grant: two of three.
        row("c", "P1", "T1", 1000, 0, 0, 0.3, 0.0, 10.0),
        row("c", "P2", "T1", 1000, 0, 0, 0.5, 0.0, 10.0),
        row("c", "P3", "T1", 1000, 0, 0, 0.2, 0.0, 10.0)));
    assertEquals(Recommender.HOLD_LINE, rec(out, "a/P1"));
    assertEquals(List.of(Recommender.SPORADIC_CAP), codes(out, "a/P1"));
    assertEquals(Recommender.FLEX, rec(out, "b/P2"));
    assertEquals(Recommender.HOLD_LINE, rec(out, "b/P1"));
    assertEquals(Recommender.HOLD_LINE, rec(out, "b/P3"));
    assertEquals(List.of(Recommender.SPORADIC_CAP), codes(out, "b/P3"), "a held CONSIDER loses BELOW_FLOOR");
    assertEquals(Recommender.FLEX, rec(out, "c/P2"));
    assertEquals(Recommender.FLEX, rec(out, "c/P1"));
    assertEquals(Recommender.HOLD_LINE, rec(out, "c/P3"));
    // No customer ends up with more offers than the cap allows.
    Map<String, Long> offers = new HashMap<>();
    Map<String, Long> past = new HashMap<>();
    for (Row r : out.values()) {
      if (!r.getAs(ScoreCols.RECOMMENDATION).equals(Recommender.HOLD_LINE)) {
        offers.merge(r.getAs("customer_id"), 1L, Long::sum);
      }
      past.put(r.getAs("customer_id"), r.getAs(ScoreCols.PAST_GRANTS));
    }
    offers.forEach((c, n) -> assertTrue(past.get(c) + n <= 2, c + " is over the cap"));
  }

  @Test
  void budgetsAreSpentOnTheHighestValueFirstAndNeverExceeded() {
    ScoreSettings s = settings(Map.of(
        "leeway.score.budgets.policy_daily", "{ default = -1, P1 = 25 }",
        "leeway.score.budgets.team_daily", "{ default = 15, T9 = -1 }",
        "leeway.score.sporadic_cap.max_grants", "5"));
    List<Row> rows = new ArrayList<>();
    // Policy P1 (budget 25), team T9 (no limit): values 0.5, 0.4, 0.3, 0.2 x 1000 at cost 10 each: two fit.
    for (int i = 0; i < 4; i++) {
      rows.add(row("p" + i, "P1", "T9", 1000, 0, 0, 0.5 - 0.1 * i, 0.0, 10.0));
    }
    // Team T1 (default budget 15), policy P2 (no limit): costs 10 and 5 and 8 by value; 10 + 5 fit, 8 does not.
    rows.add(row("t0", "P2", "T1", 1000, 0, 0, 0.5, 0.0, 10.0));
    rows.add(row("t1", "P2", "T1", 1000, 0, 0, 0.4, 0.0, 8.0));
    rows.add(row("t2", "P2", "T1", 1000, 0, 0, 0.3, 0.0, 5.0));
    Map<String, Row> out = recommend(s, rows);
    assertEquals(Recommender.FLEX, rec(out, "p0/P1"));
    assertEquals(Recommender.FLEX, rec(out, "p1/P1"));
    assertEquals(List.of(Recommender.POLICY_BUDGET), codes(out, "p2/P1"));
    assertEquals(Recommender.HOLD_LINE, rec(out, "p3/P1"));
    assertEquals(Recommender.FLEX, rec(out, "t0/P2"));
    assertEquals(Recommender.HOLD_LINE, rec(out, "t1/P2"));
    assertEquals(List.of(Recommender.TEAM_BUDGET), codes(out, "t1/P2"));
    // Spending stops at the first offer that does not fit: cheaper, less valuable offers do not jump the queue.
    assertEquals(Recommender.HOLD_LINE, rec(out, "t2/P2"));

    Map<String, Double> byPolicy = new HashMap<>();
    Map<String, Double> byTeam = new HashMap<>();
    for (Row r : out.values()) {
      if (!r.getAs(ScoreCols.RECOMMENDATION).equals(Recommender.HOLD_LINE)) {
        byPolicy.merge(r.getAs("policy"), r.getAs(ScoreCols.EXPECTED_COST), Double::sum);
        byTeam.merge(r.getAs(ScoreCols.TEAM), r.getAs(ScoreCols.EXPECTED_COST), Double::sum);
      }
    }
    assertTrue(byPolicy.get("P1") <= 25, "policy budget exceeded: " + byPolicy);
    assertTrue(byTeam.get("T1") <= 15, "team budget exceeded: " + byTeam);
  }
}
