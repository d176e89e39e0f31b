package dev.leeway.score;

import static org.apache.spark.sql.functions.array_union;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.leeway.config.LeewayConfig.ScoreSettings;
import dev.leeway.contract.Cols;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.functions;

/**
 * The recommendation rule of DOMAIN.md with its guardrails, as Spark transforms over scored rows (one per customer
 * and policy). Input columns: customer_id, policy, {@link ScoreCols#TEAM}, {@link ScoreCols#CLV},
 * {@link ScoreCols#RISK_FLAG}, {@link ScoreCols#PAST_GRANTS}, {@link ScoreCols#UPLIFT_RETENTION},
 * {@link ScoreCols#UPLIFT_REFERRALS}, {@link ScoreCols#REFERRAL_VALUE}, {@link ScoreCols#EXPECTED_COST} (null when
 * the policy has no recent grant to price it by).
 *
 * <ol>
 *   <li>expected net value = uplift_retention x CLV + uplift_referrals x referral value - expected cost;
 *   <li>hard lines (risk flag, never-flexible policy, cost above the policy's maximum concession, no cost history)
 *       and a customer already at the sporadic cap: HOLD_LINE;
 *   <li>otherwise FLEX at or above the floor, CONSIDER when positive but below it, HOLD_LINE when not positive;
 *   <li>the sporadic cap across this run: a customer's FLEX/CONSIDER rows, highest value first, only while past
 *       grants plus this run's offers stay within the cap;
 *   <li>budgets: each policy's, then each team's daily budget is charged the expected cost of FLEX/CONSIDER rows,
 *       highest value first (ties by customer id); a row that does not fit is held.
 * </ol>
 * Every rule that holds a row back adds its code to {@link ScoreCols#REASON_CODES}.
 */
public final class Recommender {
  public static final String FLEX = "FLEX";
  public static final String CONSIDER = "CONSIDER";
  public static final String HOLD_LINE = "HOLD_LINE";

  public static final String RISK_FLAG = "RISK_FLAG";
  public static final String NEVER_FLEXIBLE_POLICY = "NEVER_FLEXIBLE_POLICY";
  public static final String OVER_MAX_CONCESSION = "OVER_MAX_CONCESSION";
  public static final String NO_COST_HISTORY = "NO_COST_HISTORY";
  public static final String SPORADIC_CAP = "SPORADIC_CAP";
  public static final String OUTSIDE_SUPPORT = "OUTSIDE_SUPPORT";
  public static final String NOT_WORTH_COST = "NOT_WORTH_COST";
  public static final String BELOW_FLOOR = "BELOW_FLOOR";
  public static final String POLICY_BUDGET = "POLICY_BUDGET";
  public static final String TEAM_BUDGET = "TEAM_BUDGET";

  /** Each code in plain words (the output contract lists them too). */
  public static final Map<String, String> CODE_TEXT = Map.ofEntries(
      Map.entry(OUTSIDE_SUPPORT, "the customer is unlike the requesters the model learned from: the uplift is an "
          + "extrapolation"),
      Map.entry(RISK_FLAG, "the customer carries a risk flag (hard line)"),
      Map.entry(NEVER_FLEXIBLE_POLICY, "this policy is never flexed (hard line)"),
      Map.entry(OVER_MAX_CONCESSION, "the policy's expected cost exceeds its maximum concession (hard line)"),
      Map.entry(NO_COST_HISTORY, "no recent grant of this policy to price it by"),
      Map.entry(SPORADIC_CAP, "the customer has had, or is being offered, as many exceptions as the window allows"),
      Map.entry(NOT_WORTH_COST, "the expected value of flexing does not cover its cost"),
      Map.entry(BELOW_FLOOR, "worth a little more than it costs, but below the floor for a firm recommendation"),
      Map.entry(POLICY_BUDGET, "the policy's daily budget is spent on customers where flexing is worth more"),
      Map.entry(TEAM_BUDGET, "the team's daily budget is spent on customers where flexing is worth more"));

  private final ScoreSettings s;

  public Recommender(ScoreSettings settings) {
    this.s = settings;
  }

  /** The whole rule: {@link #firm} per row, then the sporadic cap and the budgets across this run's offers. */
  public Dataset<Row> apply(Dataset<Row> scored) {
    Dataset<Row> d = firm(scored);
    // The sporadic cap over this run's offers: a customer's best offers first.
    d = holdBeyond(d, Window.partitionBy(Cols.CUSTOMER_ID), null,
        col(ScoreCols.PAST_GRANTS).plus(col("__rank")).gt(s.sporadicMaxGrants()), SPORADIC_CAP);
    d = holdBeyond(d, Window.partitionBy(Cols.POLICY), col(ScoreCols.EXPECTED_COST),
        exceeds(limit(s.policyDailyBudget(), col(Cols.POLICY))), POLICY_BUDGET);
    d = holdBeyond(d, Window.partitionBy(ScoreCols.TEAM), col(ScoreCols.EXPECTED_COST),
        exceeds(limit(s.teamDailyBudget(), col(ScoreCols.TEAM))), TEAM_BUDGET);

    Column maxConcession = limit(s.maxConcession(), col(Cols.POLICY));
    Column offered = col(ScoreCols.RECOMMENDATION).notEqual(HOLD_LINE);
    Column largest = when(maxConcession.geq(0), least(col(ScoreCols.EXPECTED_VALUE), maxConcession))
        .otherwise(col(ScoreCols.EXPECTED_VALUE));
    return d.withColumn(ScoreCols.MAX_CONCESSION, when(offered, functions.round(greatest(largest, lit(0.0)), 2))
        .otherwise(lit(0.0)));
  }

  /**
   * The rule for each row on its own: expected value, hard lines, the customer's past grants against the sporadic
   * cap, support, and the floor. {@link ScoreCols#OUTSIDE_SUPPORT} is optional (absent: every row in support).
   */
  public Dataset<Row> firm(Dataset<Row> scored) {
    Column value = col(ScoreCols.UPLIFT_RETENTION).multiply(col(ScoreCols.CLV))
        .plus(col(ScoreCols.UPLIFT_REFERRALS).multiply(col(ScoreCols.REFERRAL_VALUE)));
    Column maxConcession = limit(s.maxConcession(), col(Cols.POLICY));
    Dataset<Row> d = scored
        .withColumn(ScoreCols.EXPECTED_VALUE, value)
        .withColumn(ScoreCols.EXPECTED_NET_VALUE, value.minus(col(ScoreCols.EXPECTED_COST)));

    List<Column> hard = new ArrayList<>();
    hard.add(code(lit(s.riskFlagHardLine()).and(col(ScoreCols.RISK_FLAG).equalTo(1)), RISK_FLAG));
    Column never = lit(false);
    for (String p : s.neverFlexiblePolicies()) {
      never = never.or(col(Cols.POLICY).equalTo(p));
    }
    hard.add(code(never, NEVER_FLEXIBLE_POLICY));
    hard.add(code(maxConcession.geq(0).and(col(ScoreCols.EXPECTED_COST).gt(maxConcession)), OVER_MAX_CONCESSION));
    hard.add(code(col(ScoreCols.EXPECTED_COST).isNull(), NO_COST_HISTORY));
    hard.add(code(col(ScoreCols.PAST_GRANTS).geq(s.sporadicMaxGrants()), SPORADIC_CAP));
    if (!s.flexOutsideSupport() && List.of(scored.columns()).contains(ScoreCols.OUTSIDE_SUPPORT)) {
      hard.add(code(functions.size(functions.coalesce(col(ScoreCols.OUTSIDE_SUPPORT),
          functions.array().cast("array<string>"))).gt(0), OUTSIDE_SUPPORT));
    }
    Column codes = filter(functions.array(hard.toArray(Column[]::new)), Column::isNotNull);
    Column net = col(ScoreCols.EXPECTED_NET_VALUE);
    d = d.withColumn(ScoreCols.REASON_CODES, codes)
        .withColumn(ScoreCols.RECOMMENDATION,
            when(functions.size(col(ScoreCols.REASON_CODES)).gt(0), HOLD_LINE)
                .when(net.geq(s.flexFloor()), FLEX)
                .when(net.gt(0), CONSIDER)
                .otherwise(HOLD_LINE))
        .withColumn(ScoreCols.REASON_CODES, array_union(col(ScoreCols.REASON_CODES), functions.array(
            code(col(ScoreCols.RECOMMENDATION).equalTo(CONSIDER), BELOW_FLOOR),
            code(functions.size(col(ScoreCols.REASON_CODES)).equalTo(0).and(not(net.gt(0))), NOT_WORTH_COST))))
        .withColumn(ScoreCols.REASON_CODES, filter(col(ScoreCols.REASON_CODES), Column::isNotNull));
    return d;
  }

  private static Column exceeds(Column limit) {
    return limit.geq(0).and(col("__spent").gt(limit));
  }

  /**
   * Among rows still offered (FLEX or CONSIDER), ranks each window's rows by expected net value (highest first,
   * then policy and customer id, so the order is total and runs are repeatable); {@code __rank} is the row's rank
   * and {@code __spent} the running sum of {@code charge}. Rows where {@code beyond} holds become HOLD_LINE with
   * {@code code}.
   */
  private static Dataset<Row> holdBeyond(Dataset<Row> d, WindowSpec by, Column charge, Column beyond, String code) {
    Column offered = col(ScoreCols.RECOMMENDATION).notEqual(HOLD_LINE);
    WindowSpec ordered = by.orderBy(col(ScoreCols.EXPECTED_NET_VALUE).desc(), col(Cols.POLICY),
        col(Cols.CUSTOMER_ID));
    Dataset<Row> offers = d.filter(offered);
    Dataset<Row> held = d.filter(not(offered));
    offers = offers.withColumn("__rank", row_number().over(ordered));
    if (charge != null) {
      offers = offers.withColumn("__spent", sum(charge).over(ordered.rowsBetween(Window.unboundedPreceding(),
          Window.currentRow())));
    } else {
      offers = offers.withColumn("__spent", lit(0.0));
    }
    offers = offers
        .withColumn("__beyond", coalesce(beyond, lit(false)))
        .withColumn(ScoreCols.RECOMMENDATION, when(col("__beyond"), HOLD_LINE).otherwise(col(ScoreCols.RECOMMENDATION)))
        .withColumn(ScoreCols.REASON_CODES, when(col("__beyond"), array_union(
            filter(col(ScoreCols.REASON_CODES), c -> c.notEqual(BELOW_FLOOR)), functions.array(lit(code))))
            .otherwise(col(ScoreCols.REASON_CODES)))
        .drop("__rank", "__spent", "__beyond");
    return offers.unionByName(held);
  }

  private static Column not(Column c) {
    return functions.not(c);
  }

  private static Column code(Column condition, String code) {
    return when(condition, lit(code));
  }

  /** The configured limit for the value of {@code key}, else the default entry (-1: none). */
  private static Column limit(Map<String, Double> limits, Column key) {
    List<Column> kv = new ArrayList<>();
    for (Map.Entry<String, Double> e : limits.entrySet()) {
      if (!e.getKey().equals(ScoreSettings.DEFAULT)) {
        kv.add(lit(e.getKey()));
        kv.add(lit(e.getValue()));
      }
    }
    double dflt = limits.getOrDefault(ScoreSettings.DEFAULT, -1.0);
    if (kv.isEmpty()) {
      return lit(dflt);
    }
    return coalesce(element_at(functions.map(kv.toArray(Column[]::new)), key), lit(dflt));
  }
}
