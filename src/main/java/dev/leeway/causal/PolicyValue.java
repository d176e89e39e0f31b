package dev.leeway.causal;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.leeway.causal.nuisance.Design;
import dev.leeway.causal.nuisance.Nuisance;
import dev.leeway.config.LeewayConfig.EffectSettings;
import dev.leeway.contract.Cols;
import dev.leeway.features.ModelFeatures;
import dev.leeway.outcomes.OutcomeCols;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.storage.StorageLevel;

/**
 * The value, in money per request, of targeting rules ("flex when pi(X) = 1") on held-out requests, estimated
 * doubly robustly, with cluster-robust (by customer) 95% intervals on each rule's value and on its difference from a
 * baseline rule (Athey and Wager 2021, "Policy learning with observational data"; the doubly robust scores are
 * DoubleML's).
 *
 * <p>Cross-fitted nuisance models (folds by customer) give each request the propensity e(X) and outcome models
 * mu0(X), mu1(X) of the money outcome Y, and so the scores Gamma_1 = mu1 + T (Y - mu1) / e and Gamma_0 = mu0 +
 * (1 - T)(Y - mu0) / (1 - e). A deterministic rule's value is V(pi) = mean[pi (Gamma_1 - cost) + (1 - pi) Gamma_0]:
 * its mean money outcome per request, net of the cost of the flexes it makes, had staff followed it. What staff
 * actually did is no function of X; its value is the observed mean[Y - T cost] (the built-in rule {@link #STAFF}).
 * {@link #NOBODY} and {@link #EVERYBODY} are built in too.
 *
 * <p>Population: the evaluated requests are the complete ones (treatment, outcome and cost present) whose unclipped
 * propensity lies in [propensity floor, overlap_high]. A rule that flexes a request weights it by 1/e and one that
 * holds the line by 1/(1 - e), so a propensity near either end makes a value as unstable as a near-certain grant
 * makes an ATT; unlike the ATT (whose overlap_low is 0), both ends are trimmed here. The floor defaults to
 * max(overlap_low, 1 - overlap_high). Trimmed rows are left out of every rule alike, so all rules are compared on
 * the same requests, and {@link Coverage} says how many that is. Values are per evaluated request and, as totals,
 * for the evaluated requests (value per request x their number); they say nothing about the trimmed ones. The rules
 * should be evaluated on requests their model was not trained on.
 *
 * <p>Intervals: value +- 1.96 standard errors, from the influence function summed within customer (a customer's
 * requests share their outcome windows) with the G/(G-1) small-sample correction; the nuisance models' own error
 * does not enter at first order, because the scores are orthogonal and cross-fitted. The p-value of a difference
 * is that of "the rule is worth the same as the baseline".
 *
 * <p>Use: set the columns, then {@link #evaluate} (or {@link #score} then {@link #value}, to keep the per-request
 * scores). Everything that touches rows runs in Spark; only rules-sized sums come back.
 */
public final class PolicyValue {
  /** What staff actually did: the observed mean of Y - T cost. */
  public static final String STAFF = "staff";
  /** Hold the line on every request. */
  public static final String NOBODY = "flex_nobody";
  /** Flex every request. */
  public static final String EVERYBODY = "flex_everybody";
  public static final List<String> BUILT_IN = List.of(STAFF, NOBODY, EVERYBODY);

  /** Columns {@link #score} adds: the clipped propensity, the overlap flag and the two doubly robust scores. */
  public static final String E = "__ope_e";
  public static final String IN_OVERLAP = "__ope_in_overlap";
  public static final String GAMMA_0 = "__ope_gamma0";
  public static final String GAMMA_1 = "__ope_gamma1";
  static final String T = "__ope_t";
  static final String Y = "__ope_y";
  static final String COST = "__ope_cost";
  static final String COMPLETE = "__ope_complete";
  static final EffectOutcome VALUE = new EffectOutcome("ope_value", Y, 0, EffectOutcome.Kind.RETAINED_VALUE);

  /**
   * Which requests the values stand on: all requests; those left out for a missing treatment, outcome or cost;
   * those evaluated; complete ones trimmed for a propensity below the floor or above overlap_high; the grants among
   * the complete and the evaluated; and the customers (clusters) evaluated.
   */
  public record Coverage(long requests, long incomplete, long evaluated, long belowFloor, long aboveOverlap,
      long grants, long grantsEvaluated, long customers, double propensityFloor, double overlapHigh) {

    /** Share of the complete requests that are evaluated. */
    public double shareEvaluated() {
      long complete = requests - incomplete;
      return complete == 0 ? 0.0 : (double) evaluated / complete;
    }
  }

  /**
   * One rule on the evaluated requests: how many, the share it flexes, its value per request and in total, and its
   * difference from the baseline per request and in total (exactly 0 for the baseline itself). Money is in the
   * outcome's unit; each {@link Interval} gives the 95% interval and the p-value.
   */
  public record RuleValue(String rule, long requests, double shareFlexed, Interval valuePerRequest,
      Interval totalValue, Interval differencePerRequest, Interval differenceTotal) {}

  /** A difference V(rule) - V(baseline), per request and in total over the evaluated requests. */
  public record Difference(String rule, String baseline, Interval perRequest, Interval total) {}

  /** Every rule's value and difference from {@code baseline}; {@code moments} compare any other pair. */
  public record Result(String baseline, Coverage coverage, List<RuleValue> rules, RuleMoments moments) {
    public Result {
      rules = List.copyOf(rules);
    }

    public RuleValue rule(String name) {
      return rules.stream().filter(r -> r.rule().equals(name)).findFirst().orElseThrow(() ->
          new IllegalArgumentException("Cannot find rule " + name + " (rules: "
              + rules.stream().map(RuleValue::rule).toList() + ")"));
    }

    /** V(rule) - V(other) on the same requests, with its cluster-robust interval. */
    public Difference compare(String rule, String other) {
      Interval d = moments.difference(rule, other);
      return new Difference(rule, other, d, scaled(d, coverage.evaluated()));
    }
  }

  private final EffectSettings settings;
  private final ModelFeatures features;
  private String customerCol = Cols.CUSTOMER_ID;
  private String treatmentCol = OutcomeCols.TREATED;
  private String outcomeCol;
  private String costCol;
  private List<String> ruleCols = List.of();
  private String baseline = STAFF;
  private double propensityFloor;

  /**
   * @param settings cross-fitting, clipping and overlap settings (leeway.effects)
   * @param features the features {@link ModelFeatures#VECTOR} was built from (their log-scale slots get spline knots)
   */
  public PolicyValue(EffectSettings settings, ModelFeatures features) {
    this.settings = settings;
    this.features = features;
    // Decimal arithmetic so that 1 - 0.95 reads 0.05 in results.
    this.propensityFloor = Math.max(settings.overlapLow(),
        BigDecimal.ONE.subtract(BigDecimal.valueOf(settings.overlapHigh())).doubleValue());
  }

  /** The cluster: a customer's requests are not independent (default {@code customer_id}). */
  public PolicyValue setCustomerCol(String c) {
    this.customerCol = c;
    return this;
  }

  /** Granted (1) or denied (0), numeric or boolean (default {@code treated}). */
  public PolicyValue setTreatmentCol(String c) {
    this.treatmentCol = c;
    return this;
  }

  /** The realised money outcome per request (for example retained x lifetime value + referral value); required. */
  public PolicyValue setOutcomeCol(String c) {
    this.outcomeCol = c;
    return this;
  }

  /** The cost a flex of this request would incur, granted or not (for example the policy's expected cost); required. */
  public PolicyValue setCostCol(String c) {
    this.costCol = c;
    return this;
  }

  /** One 0/1 (or boolean) column per rule to evaluate, 1 meaning flex; each is reported under its column name. */
  public PolicyValue setRuleCols(List<String> cols) {
    this.ruleCols = List.copyOf(cols);
    return this;
  }

  /** The rule every other is compared with (default {@link #STAFF}). */
  public PolicyValue setBaseline(String rule) {
    this.baseline = rule;
    return this;
  }

  /** Requests whose propensity is below this are not evaluated (default max(overlap_low, 1 - overlap_high)). */
  public PolicyValue setPropensityFloor(double floor) {
    if (!(floor >= 0 && floor < settings.overlapHigh())) {
      throw new IllegalArgumentException("Cannot value targeting rules: the propensity floor must be in [0, "
          + "leeway.effects.overlap_high = " + settings.overlapHigh() + ") (" + floor + ")");
    }
    this.propensityFloor = floor;
    return this;
  }

  /** The rules reported, in order: the configured columns, then the built-in ones. */
  public List<String> rules() {
    List<String> out = new ArrayList<>(ruleCols);
    out.addAll(BUILT_IN);
    return out;
  }

  /** Scores the requests and values the rules on them; the nuisance models' passes read a persisted copy. */
  public Result evaluate(Dataset<Row> requests) {
    checkRules(requests);
    Dataset<Row> input = withInternalColumns(requests).persist(StorageLevel.MEMORY_AND_DISK());
    Dataset<Row> scored = null;
    try {
      scored = scoreInternal(input).persist(StorageLevel.MEMORY_AND_DISK());
      return value(scored);
    } finally {
      if (scored != null) {
        scored.unpersist();
      }
      input.unpersist();
    }
  }

  /**
   * Every request with {@link #E}, {@link #IN_OVERLAP}, {@link #GAMMA_0} and {@link #GAMMA_1} added (and the
   * nuisance columns behind them). Requests without treatment, outcome or cost keep null scores and are not in the
   * overlap. The nuisance models pass over {@code requests} several times: persist them first.
   */
  public Dataset<Row> score(Dataset<Row> requests) {
    return scoreInternal(withInternalColumns(requests));
  }

  /**
   * The rules' values on the output of {@link #score}: two aggregations (coverage, then per-customer and overall
   * sums), each returning one row.
   */
  public Result value(Dataset<Row> scored) {
    requireColumns(scored, "value targeting rules", List.of(IN_OVERLAP, GAMMA_0, GAMMA_1, T, Y, COST, COMPLETE,
        Nuisance.E_RAW), "pass the output of PolicyValue.score");
    checkRules(scored);
    List<String> rules = rules();
    if (!rules.contains(baseline)) {
      throw new IllegalArgumentException("Cannot value targeting rules: the baseline " + baseline
          + " is not among the rules " + rules + " (setBaseline or setRuleCols)");
    }
    Coverage cov = coverage(scored);

    Dataset<Row> used = scored.filter(col(IN_OVERLAP));
    List<String> names = new ArrayList<>(List.of("n"));
    List<Column> values = new ArrayList<>(List.of(lit(1.0)));
    List<String> flexNames = new ArrayList<>();
    List<Column> flexes = new ArrayList<>();
    for (int k = 0; k < rules.size(); k++) {
      names.add("p" + k);
      values.add(score(rules.get(k)));
      flexNames.add("f" + k);
      flexes.add(flex(rules.get(k)));
    }
    // One row: no keys, so the customers' sums are summed over everything.
    Row r = ClusteredSums.aggregate(used, List.of(), col(customerCol), names, values, flexNames, flexes).first();
    double[][] sm = ClusteredSums.read(r, names);
    long clusters = ((Number) r.getAs("clusters")).longValue();
    RuleMoments moments = new RuleMoments(rules, clusters, sm[0], sm[1]);
    Coverage coverage = new Coverage(cov.requests(), cov.incomplete(), cov.evaluated(), cov.belowFloor(),
        cov.aboveOverlap(), cov.grants(), cov.grantsEvaluated(), clusters, cov.propensityFloor(), cov.overlapHigh());

    long n = cov.evaluated();
    List<RuleValue> out = new ArrayList<>();
    for (int k = 0; k < rules.size(); k++) {
      String rule = rules.get(k);
      Interval v = moments.value(rule);
      Interval d = moments.difference(rule, baseline);
      out.add(new RuleValue(rule, n, ClusteredSums.number(r, "f" + k) / n, v, scaled(v, n), d, scaled(d, n)));
    }
    return new Result(baseline, coverage, out, moments);
  }

  static Interval scaled(Interval i, long n) {
    return new Interval(i.value() * n, i.se() * n);
  }

  /** phi_pi per request: the observed net value for staff, the doubly robust scores for a rule of X. */
  private static Column score(String rule) {
    Column net1 = col(GAMMA_1).minus(col(COST));
    return switch (rule) {
      case STAFF -> col(Y).minus(col(T).multiply(col(COST)));
      case NOBODY -> col(GAMMA_0);
      case EVERYBODY -> net1;
      default -> {
        Column pi = col(rule).cast("double");
        yield pi.multiply(net1).plus(lit(1.0).minus(pi).multiply(col(GAMMA_0)));
      }
    };
  }

  /** 1 when the rule flexes the request. */
  private static Column flex(String rule) {
    return switch (rule) {
      case STAFF -> col(T);
      case NOBODY -> lit(0.0);
      case EVERYBODY -> lit(1.0);
      default -> col(rule).cast("double");
    };
  }

  /** One aggregation over every scored request; fails on treatments or rule values other than 0 and 1. */
  private Coverage coverage(Dataset<Row> scored) {
    Column complete = col(COMPLETE);
    Column overlap = col(IN_OVERLAP);
    Column raw = col(Nuisance.E_RAW);
    List<Column> aggs = new ArrayList<>(List.of(
        sum(when(not(complete), 1L).otherwise(0L)),
        sum(when(overlap, 1L).otherwise(0L)),
        sum(when(complete.and(raw.lt(propensityFloor)), 1L).otherwise(0L)),
        sum(when(complete.and(raw.gt(settings.overlapHigh())), 1L).otherwise(0L)),
        sum(when(complete.and(col(T).equalTo(1.0)), 1L).otherwise(0L)),
        sum(when(overlap.and(col(T).equalTo(1.0)), 1L).otherwise(0L)),
        sum(when(complete.and(not(col(T).isin(0.0, 1.0))), 1L).otherwise(0L))));
    for (String rule : ruleCols) {
      Column pi = col(rule).cast("double");
      aggs.add(sum(when(overlap.and(pi.isNull().or(not(pi.isin(0.0, 1.0)))), 1L).otherwise(0L)));
    }
    Row r = scored.agg(count(lit(1)), aggs.toArray(Column[]::new)).first();
    long[] c = new long[r.size()];
    for (int i = 0; i < c.length; i++) {
      c[i] = r.isNullAt(i) ? 0L : r.getLong(i);
    }
    if (c[7] > 0) {
      throw new IllegalArgumentException("Cannot value targeting rules: " + c[7] + " requests have a treatment other "
          + "than 0 and 1 in column " + treatmentCol + " (granted is 1, denied 0)");
    }
    for (int k = 0; k < ruleCols.size(); k++) {
      if (c[8 + k] > 0) {
        throw new IllegalArgumentException("Cannot value targeting rules: " + c[8 + k] + " evaluated requests have a "
            + "value other than 0 and 1 (or none) in rule column " + ruleCols.get(k) + " (1 flex, 0 hold the line)");
      }
    }
    if (c[2] == 0) {
      throw new IllegalArgumentException("Cannot value targeting rules: none of the " + (c[0] - c[1])
          + " complete requests has a propensity in [" + propensityFloor + ", " + settings.overlapHigh()
          + "] (leeway.effects.overlap_high, setPropensityFloor)");
    }
    return new Coverage(c[0], c[1], c[2], c[3], c[4], c[5], c[6], 0, propensityFloor, settings.overlapHigh());
  }

  private Dataset<Row> withInternalColumns(Dataset<Row> requests) {
    if (outcomeCol == null || costCol == null) {
      throw new IllegalArgumentException("Cannot value targeting rules: "
          + (outcomeCol == null ? "no outcome column (setOutcomeCol: the money outcome per request)"
              : "no cost column (setCostCol: what a flex of the request would cost)"));
    }
    requireColumns(requests, "value targeting rules",
        List.of(customerCol, treatmentCol, outcomeCol, costCol, ModelFeatures.VECTOR),
        "the feature vector comes from ModelFeatures");
    for (String c : List.of(treatmentCol, outcomeCol, costCol)) {
      requireNumeric(requests, c);
    }
    return requests
        .withColumn(T, col(treatmentCol).cast("double"))
        .withColumn(Y, col(outcomeCol).cast("double"))
        .withColumn(COST, col(costCol).cast("double"))
        .withColumn(COMPLETE, col(T).isNotNull().and(col(Y).isNotNull()).and(col(COST).isNotNull()));
  }

  /** Cross-fitted nuisances on the complete requests, the scores, then the incomplete requests back, unscored. */
  private Dataset<Row> scoreInternal(Dataset<Row> input) {
    Dataset<Row> complete = CrossFit.assignFolds(input.filter(col(COMPLETE)), customerCol, settings.folds(),
        settings.seed());
    Design design = Nuisance.design(complete, features, settings);
    Dataset<Row> fitted = new Nuisance(settings, design).fit(complete, T, List.of(VALUE));
    Column raw = col(Nuisance.E_RAW);
    Column e = col(E);
    Column t = col(T);
    Column mu0 = col(VALUE.mu(0));
    Column mu1 = col(VALUE.mu(1));
    // Clipping only guards the weights; with the default floor and overlap_high it changes no evaluated request.
    Dataset<Row> scored = fitted
        .withColumn(E, least(greatest(raw, lit(settings.clipLow())), lit(settings.clipHigh())))
        .withColumn(IN_OVERLAP, raw.geq(propensityFloor).and(raw.leq(settings.overlapHigh())))
        .withColumn(GAMMA_1, mu1.plus(t.multiply(col(Y).minus(mu1)).divide(e)))
        .withColumn(GAMMA_0, mu0.plus(lit(1.0).minus(t).multiply(col(Y).minus(mu0)).divide(lit(1.0).minus(e))));
    return scored.unionByName(input.filter(not(col(COMPLETE))), true)
        .withColumn(IN_OVERLAP, coalesce(col(IN_OVERLAP), lit(false)));
  }

  private void checkRules(Dataset<Row> data) {
    List<String> seen = new ArrayList<>();
    for (String rule : ruleCols) {
      if (BUILT_IN.contains(rule)) {
        throw new IllegalArgumentException("Cannot value targeting rules: rule column " + rule + " has the name of a "
            + "built-in rule " + BUILT_IN + "; rename the column");
      }
      if (seen.contains(rule)) {
        throw new IllegalArgumentException("Cannot value targeting rules: rule column " + rule + " is listed twice");
      }
      seen.add(rule);
    }
    requireColumns(data, "value targeting rules", ruleCols, "setRuleCols names one 0/1 column per rule");
    for (String rule : ruleCols) {
      requireNumeric(data, rule);
    }
  }

  private static void requireColumns(Dataset<Row> data, String action, List<String> cols, String hint) {
    List<String> have = List.of(data.columns());
    List<String> missing = cols.stream().filter(c -> !have.contains(c)).toList();
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException("Cannot " + action + ": missing columns " + missing + " (" + hint + ")");
    }
  }

  private static void requireNumeric(Dataset<Row> data, String c) {
    DataType type = data.schema().apply(c).dataType();
    if (!(type instanceof NumericType) && !(type instanceof BooleanType)) {
      throw new IllegalArgumentException("Cannot value targeting rules: column " + c + " must be numeric or boolean ("
          + type.simpleString() + ")");
    }
  }
}
