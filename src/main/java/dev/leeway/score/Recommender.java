package dev.leeway.score;

import static org.apache.spark.sql.functions.array_union;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
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
 * and policy). Each row answers "if this customer asks for this policy today". Input columns: customer_id, policy,
 * {@link ScoreCols#TEAM}, {@link ScoreCols#CLV}, {@link ScoreCols#RISK_FLAG}, {@link ScoreCols#PAST_GRANTS} (actual
 * grants in the sporadic-cap window), {@link ScoreCols#UPLIFT_RETENTION}, {@link ScoreCols#UPLIFT_REFERRALS},
 * {@link ScoreCols#REFERRAL_VALUE}, {@link ScoreCols#EXPECTED_COST} (null when the policy has no recent grant to
 * price it by), {@link ScoreCols#EXPECTED_REQUESTS} (for {@link #apply}) and optionally
 * {@link ScoreCols#ENTITLEMENT_COST} and {@link ScoreCols#OUTSIDE_SUPPORT}.
 *
 * <ol>
 *   <li>expected net value = uplift_retention x CLV + uplift_referrals x referral value - expected cost -
 *       entitlement cost;
 *   <li>hard lines (risk flag, never-flexible policy, cost above the policy's maximum concession, no cost history,
 *       support) and a customer whose actual grants reached the sporadic cap: HOLD_LINE;
 *   <li>otherwise FLEX at or above the floor, CONSIDER when positive but below it, HOLD_LINE when not positive;
 *   <li>thresholds on expected requests: the rule "offer when expected net value is at least t" with t raised,
 *       in turn, until each customer's expected grants a year, each policy's expected share of requests flexed,
 *       each policy's expected daily spend and each team's fit their limits. Rows below a threshold are held.
 * </ol>
 * Every rule that holds a row back adds its code to {@link ScoreCols#REASON_CODES}; {@link ScoreCols#FLEX_THRESHOLD}
 * is the expected net value at or above which the row would be FLEX.
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
  public static final String SPORADIC_SHARE = "SPORADIC_SHARE";
  public static final String FREQUENT_REQUESTER = "FREQUENT_REQUESTER";

  /** The threshold each limit set (null where it did not bind): internal columns until the caller drops them. */
  public static final List<String> THRESHOLDS = List.of(threshold(FREQUENT_REQUESTER), threshold(SPORADIC_SHARE),
      threshold(POLICY_BUDGET), threshold(TEAM_BUDGET));

  /** Each code in plain words (the output contract lists them too). */
  public static final Map<String, String> CODE_TEXT = Map.ofEntries(
      Map.entry(OUTSIDE_SUPPORT, "the customer is unlike the requesters the model learned from: the uplift is an "
          + "extrapolation"),
      Map.entry(RISK_FLAG, "the customer carries a risk flag (hard line)"),
      Map.entry(NEVER_FLEXIBLE_POLICY, "this policy is never flexed (hard line)"),
      Map.entry(OVER_MAX_CONCESSION, "the policy's expected cost exceeds its maximum concession (hard line)"),
      Map.entry(NO_COST_HISTORY, "no recent grant of this policy to price it by"),
      Map.entry(SPORADIC_CAP, "the customer has had as many exceptions as the window allows"),
      Map.entry(FREQUENT_REQUESTER, "the customer asks often: flexing this would exceed the expected grants a year "
          + "allowed to one customer (what is allowed goes to their more valuable requests, if any fits)"),
      Map.entry(SPORADIC_SHARE, "flexing this would flex more of the policy's requests than the rule allows; "
          + "exceptions are kept for the most valuable ones"),
      Map.entry(NOT_WORTH_COST, "the expected value of flexing does not cover its cost"),
      Map.entry(BELOW_FLOOR, "worth a little more than it costs, but below the floor for a firm recommendation"),
      Map.entry(POLICY_BUDGET, "the policy's expected daily budget is kept for requests where flexing is worth more"),
      Map.entry(TEAM_BUDGET, "the team's expected daily budget is kept for requests where flexing is worth more"));

  private static final Column NO_CODES = functions.array().cast("array<string>");

  private final ScoreSettings s;

  public Recommender(ScoreSettings settings) {
    this.s = settings;
  }

  /** The whole rule, the customer ceiling counting each row's {@link ScoreCols#EXPECTED_REQUESTS}. */
  public Dataset<Row> apply(Dataset<Row> scored) {
    return apply(scored, col(ScoreCols.EXPECTED_REQUESTS));
  }

  /**
   * The whole rule: {@link #firm} per row, then the thresholds. {@code customerRate} is the row's expected requests
   * a day as the customer ceiling counts them (in scoring, {@link ScoreCols#EXPECTED_REQUESTS}; when valuing past
   * requests, the customer's own rate of requests while policies' and teams' limits count the population's).
   * Adds {@link ScoreCols#FLEX_THRESHOLD}, {@link ScoreCols#MAX_CONCESSION} and the {@link #THRESHOLDS} columns.
   */
  public Dataset<Row> apply(Dataset<Row> scored, Column customerRate) {
    return constrain(firm(scored), customerRate);
  }

  /** The thresholds of {@link #apply} over rows {@link #firm} has decided. */
  public Dataset<Row> constrain(Dataset<Row> firm, Column customerRate) {
    Dataset<Row> d = firm;
    Column rate = col(ScoreCols.EXPECTED_REQUESTS);
    Column policy = col(Cols.POLICY);
    WindowSpec byPolicy = Window.partitionBy(policy);
    Column share = limit(s.maxShareFlexed(), policy);
    // A limit no configured value sets holds nothing back: its threshold is not worked out (each is a sort of the
    // rows by group).
    d = s.maxExpectedGrantsPerYear() < 0 ? unlimited(d, FREQUENT_REQUESTER) : threshold(d,
        Window.partitionBy(Cols.CUSTOMER_ID), customerRate.multiply(365.0), lit(s.maxExpectedGrantsPerYear()),
        FREQUENT_REQUESTER);
    d = !anyLimit(s.maxShareFlexed()) ? unlimited(d, SPORADIC_SHARE) : threshold(d, byPolicy, rate,
        when(share.geq(0), share.multiply(sum(rate).over(byPolicy))).otherwise(-1.0), SPORADIC_SHARE);
    Column spend = rate.multiply(col(ScoreCols.EXPECTED_COST));
    d = !anyLimit(s.policyDailyBudget()) ? unlimited(d, POLICY_BUDGET)
        : threshold(d, byPolicy, spend, limit(s.policyDailyBudget(), policy), POLICY_BUDGET);
    d = !anyLimit(s.teamDailyBudget()) ? unlimited(d, TEAM_BUDGET) : threshold(d,
        Window.partitionBy(ScoreCols.TEAM), spend, limit(s.teamDailyBudget(), col(ScoreCols.TEAM)), TEAM_BUDGET);
    List<Column> thresholds = new ArrayList<>(List.of(lit(s.flexFloor())));
    THRESHOLDS.forEach(t -> thresholds.add(col(t)));
    d = d.withColumn(ScoreCols.FLEX_THRESHOLD, greatest(thresholds.toArray(Column[]::new)));

    Column maxConcession = limit(s.maxConcession(), policy);
    Column offered = col(ScoreCols.RECOMMENDATION).notEqual(HOLD_LINE);
    Column largest = when(maxConcession.geq(0), least(col(ScoreCols.EXPECTED_VALUE), maxConcession))
        .otherwise(col(ScoreCols.EXPECTED_VALUE));
    return d.withColumn(ScoreCols.MAX_CONCESSION, when(offered, functions.round(greatest(largest, lit(0.0)), 2))
        .otherwise(lit(0.0)));
  }

  /**
   * The rule for each row on its own: expected value, hard lines, the customer's actual grants against the
   * sporadic cap, support, and the floor. {@link ScoreCols#OUTSIDE_SUPPORT} is optional (absent: every row in support).
   */
  public Dataset<Row> firm(Dataset<Row> scored) {
    Column value = value(col(ScoreCols.UPLIFT_RETENTION), col(ScoreCols.UPLIFT_REFERRALS));
    Column entitlement = List.of(scored.columns()).contains(ScoreCols.ENTITLEMENT_COST)
        ? coalesce(col(ScoreCols.ENTITLEMENT_COST), lit(0.0)) : lit(0.0);
    Dataset<Row> d = scored
        .withColumn(ScoreCols.EXPECTED_VALUE, value)
        .withColumn(ScoreCols.ENTITLEMENT_COST, entitlement)
        .withColumn(ScoreCols.EXPECTED_NET_VALUE, value.minus(col(ScoreCols.EXPECTED_COST)).minus(entitlement))
        .withColumn(ScoreCols.SPORADIC_CAP, lit(s.sporadicMaxGrants()));

    List<Line> hard = hardLines(List.of(scored.columns()));
    hard.add(new Line(col(ScoreCols.PAST_GRANTS).geq(s.sporadicMaxGrants()), SPORADIC_CAP));
    Column held = any(hard);
    Column net = col(ScoreCols.EXPECTED_NET_VALUE);
    Column recommendation = when(held, HOLD_LINE).when(net.geq(s.flexFloor()), FLEX).when(net.gt(0), CONSIDER)
        .otherwise(HOLD_LINE);
    d = d.withColumn(ScoreCols.RECOMMENDATION, recommendation)
        .withColumn(ScoreCols.REASON_CODES, codes(hard, List.of(
            new Line(col(ScoreCols.RECOMMENDATION).equalTo(CONSIDER), BELOW_FLOOR),
            new Line(not(held).and(not(net.gt(0))), NOT_WORTH_COST))));
    return d;
  }

  /** The value of a grant with these uplifts: retention uplift x CLV + referrals uplift x referral value. */
  static Column value(Column retention, Column referrals) {
    return retention.multiply(col(ScoreCols.CLV)).plus(referrals.multiply(col(ScoreCols.REFERRAL_VALUE)));
  }

  /**
   * True where no hard line holds the row (risk flag, never-flexible policy, over the maximum concession, no cost
   * history, outside support): the rule could grant it, value and the sporadic cap permitting.
   */
  public Column grantable(List<String> columns) {
    return not(any(hardLines(columns)));
  }

  /**
   * True where {@link #firm} could offer the row: no hard line, the customer's grants below the sporadic cap, and
   * an expected value above the expected cost (an entitlement cost, and then the limits, can only hold it back).
   */
  public Column couldOffer(List<String> columns) {
    return grantable(columns).and(col(ScoreCols.PAST_GRANTS).lt(s.sporadicMaxGrants()))
        .and(value(col(ScoreCols.UPLIFT_RETENTION), col(ScoreCols.UPLIFT_REFERRALS))
            .minus(col(ScoreCols.EXPECTED_COST)).gt(0));
  }

  /** A rule that holds a row back where {@code holds} is true (null: it does not), with its reason code. */
  private record Line(Column holds, String code) {}

  /** The hard lines. */
  private List<Line> hardLines(List<String> columns) {
    Column maxConcession = limit(s.maxConcession(), col(Cols.POLICY));
    List<Line> hard = new ArrayList<>();
    hard.add(new Line(lit(s.riskFlagHardLine()).and(col(ScoreCols.RISK_FLAG).equalTo(1)), RISK_FLAG));
    Column never = lit(false);
    for (String p : s.neverFlexiblePolicies()) {
      never = never.or(col(Cols.POLICY).equalTo(p));
    }
    hard.add(new Line(never, NEVER_FLEXIBLE_POLICY));
    hard.add(new Line(maxConcession.geq(0).and(col(ScoreCols.EXPECTED_COST).gt(maxConcession)), OVER_MAX_CONCESSION));
    hard.add(new Line(col(ScoreCols.EXPECTED_COST).isNull(), NO_COST_HISTORY));
    if (!s.flexOutsideSupport() && columns.contains(ScoreCols.OUTSIDE_SUPPORT)) {
      hard.add(new Line(functions.size(functions.coalesce(col(ScoreCols.OUTSIDE_SUPPORT), NO_CODES)).gt(0),
          OUTSIDE_SUPPORT));
    }
    return hard;
  }

  /** True where some line holds. */
  private static Column any(List<Line> lines) {
    Column any = lit(false);
    for (Line l : lines) {
      any = any.or(coalesce(l.holds(), lit(false)));
    }
    return any;
  }

  /**
   * The codes of the lines that hold, in order. Built by concatenating arrays, which Spark compiles, rather than by
   * filtering an array of nullable codes, which it interprets row by row.
   */
  @SafeVarargs
  private static Column codes(List<Line>... lines) {
    List<Column> parts = new ArrayList<>();
    for (List<Line> ls : lines) {
      for (Line l : ls) {
        parts.add(when(l.holds(), functions.array(lit(l.code()))).otherwise(NO_CODES));
      }
    }
    return parts.isEmpty() ? NO_CODES : functions.concat(parts.toArray(Column[]::new));
  }

  /** The internal column holding the threshold the limit with this reason code set. */
  private static String threshold(String code) {
    return "__t_" + code.toLowerCase(java.util.Locale.ROOT);
  }

  /**
   * Within each window group, the offered rows (FLEX or CONSIDER) in order of expected net value, highest first,
   * are charged {@code charge} while the running sum (rows of equal value together) stays within {@code limit}
   * (negative: no limit). The threshold is the lowest value that fits; where some row does not fit, it is stored
   * in {@link #threshold(String) its column} and the offered rows below it become HOLD_LINE with {@code code}.
   * Charges are taken as at least 0, so the running sum only grows and the rows that fit are exactly those at or
   * above the threshold. When not even the best row fits, the threshold is just above it (+0.01).
   */
  private static Dataset<Row> threshold(Dataset<Row> d, WindowSpec group, Column charge, Column limit, String code) {
    Column offered = col(ScoreCols.RECOMMENDATION).notEqual(HOLD_LINE);
    Column net = col(ScoreCols.EXPECTED_NET_VALUE);
    WindowSpec ordered = group.orderBy(net.desc()).rangeBetween(Window.unboundedPreceding(), Window.currentRow());
    String t = threshold(code);
    d = d.withColumn("__limit", limit)
        .withColumn("__spent", sum(when(offered, greatest(coalesce(charge, lit(0.0)), lit(0.0))).otherwise(0.0))
            .over(ordered))
        .withColumn("__fits", col("__limit").lt(0).or(col("__spent").leq(col("__limit").plus(1e-9))));
    Column held = offered.and(not(col("__fits")));
    Column lowestFit = functions.min(when(offered.and(col("__fits")), net)).over(group);
    Column highestHeld = functions.max(when(held, net)).over(group);
    d = d.withColumn(t, when(highestHeld.isNull(), lit(null).cast("double"))
            .otherwise(coalesce(lowestFit, highestHeld.plus(0.01))))
        .withColumn("__beyond", coalesce(offered.and(net.lt(col(t))), lit(false)))
        .withColumn(ScoreCols.RECOMMENDATION, when(col("__beyond"), HOLD_LINE).otherwise(col(ScoreCols.RECOMMENDATION)))
        .withColumn(ScoreCols.REASON_CODES, when(col("__beyond"), array_union(
            functions.array_remove(col(ScoreCols.REASON_CODES), lit(BELOW_FLOOR)), functions.array(lit(code))))
            .otherwise(col(ScoreCols.REASON_CODES)));
    return d.drop("__limit", "__spent", "__fits", "__beyond");
  }

  /** True when some key (or the default) of a limit map sets a limit (not negative). */
  private static boolean anyLimit(Map<String, Double> limits) {
    return limits.values().stream().anyMatch(v -> v >= 0);
  }

  /** A limit that binds nowhere: no threshold. */
  private static Dataset<Row> unlimited(Dataset<Row> d, String code) {
    return d.withColumn(threshold(code), lit(null).cast("double"));
  }

  private static Column not(Column c) {
    return functions.not(c);
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
