package dev.leeway.score;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.map;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.exp;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.map_from_entries;
import static org.apache.spark.sql.functions.collect_list;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import dev.leeway.config.LeewayConfig;
import dev.leeway.config.LeewayConfig.ScoreSettings;
import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import dev.leeway.features.ModelFeatures;
import dev.leeway.features.PointInTimeFeatures;
import dev.leeway.ingest.ConformedTables;
import dev.leeway.outcomes.OutcomeCols;
import dev.leeway.uplift.ModelRegistry;
import dev.leeway.uplift.learners.VectorScorer;
import java.io.Serializable;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Scores every active customer for every policy the model covers, as of the end of the run date: point-in-time
 * features (the same definition the model was trained on), predicted uplift in retention and referrals, the
 * features that drove the retention uplift, and the recommendation with its guardrails ({@link Recommender}).
 * Pure: reads only the datasets it is given.
 */
public final class Scoring {
  /** What scoring produced: one row per customer and policy ({@link ScoreCols#PUBLISHED}), and counts. */
  public record Result(Dataset<Row> scores, Map<String, Object> facts) {}

  private static final String REQUESTS_IN_WINDOW = "__requests_in_window";
  private static final String EXPOSURE_DAYS = "__exposure_days";
  private static final String NEXT_VECTOR = "__vector_after_a_grant";
  static final String NEXT_RETENTION = "__uplift_retention_after_a_grant";
  static final String NEXT_REFERRALS = "__uplift_referrals_after_a_grant";

  private static final StructType REASON = new StructType()
      .add("feature", DataTypes.StringType, false)
      .add("direction", DataTypes.StringType, false)
      .add("effect", DataTypes.DoubleType, false)
      .add("text", DataTypes.StringType, false);
  private static final org.apache.spark.sql.types.ArrayType REASONS = DataTypes.createArrayType(REASON, false);
  private static final StructType PREDICTION = new StructType()
      .add(ScoreCols.UPLIFT_RETENTION, DataTypes.DoubleType, false)
      .add(ScoreCols.UPLIFT_REFERRALS, DataTypes.DoubleType, false)
      .add(NEXT_RETENTION, DataTypes.DoubleType, true)
      .add(NEXT_REFERRALS, DataTypes.DoubleType, true);
  /** The model's own retention uplift of a row (before calibration), which its reasons explain. */
  private static final String MODEL_RETENTION = "__model_retention";

  private final LeewayConfig config;
  private final ScoreSettings settings;

  public Scoring(LeewayConfig config) {
    this.config = config;
    this.settings = config.score();
  }

  /**
   * The policies a model covers: the levels its policy encoding kept (not UNKNOWN, and not OTHER: a policy the
   * model pooled with other rare ones has no effect of its own to score).
   */
  public static List<String> policies(PipelineModel encoding) {
    List<String> levels = ModelFeatures.levels(encoding).get(Cols.POLICY);
    if (levels == null) {
      throw new IllegalStateException("The model's encoding has no policy feature");
    }
    return levels.stream().filter(p -> !p.equals(FeatureCols.UNKNOWN) && !p.equals(FeatureCols.OTHER)).sorted()
        .toList();
  }

  /**
   * @param requests the outcomes stage's requests table (prices referrals per policy)
   * @param materialize stores an intermediate result and returns it read back
   */
  public Result score(ConformedTables t, Dataset<Row> requests, ModelRegistry.Loaded model, LocalDate runDate,
      UnaryOperator<Dataset<Row>> materialize) {
    String retention = model.retentionOutcome();
    String referrals = model.referralOutcome();
    int referralWindowDays = model.referralWindowDays(config.effects().roiReferralWindowDays());
    SparkSession spark = t.customers().sparkSession();
    Timestamp indexAt = Timestamp.from(runDate.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant());
    long indexS = indexAt.getTime() / 1000;
    Map<String, Object> facts = new LinkedHashMap<>();

    // Who is scored: signed up by the run date, and not churned (no CHURN after their last other activity).
    Dataset<Row> customers = t.customers().select(col(Cols.CUSTOMER_ID), col(Cols.SIGNUP_DATE));
    Dataset<Row> lastEvents = t.activity().filter(col(Cols.EVENT_AT).lt(lit(indexAt)))
        .groupBy(col(Cols.CUSTOMER_ID))
        .agg(max(when(col(Cols.EVENT_TYPE).equalTo(Cols.CHURN), col(Cols.EVENT_AT))).as("__last_churn"),
            max(when(col(Cols.EVENT_TYPE).notEqual(Cols.CHURN), col(Cols.EVENT_AT))).as("__last_other"));
    Dataset<Row> status = customers.join(lastEvents, Cols.CUSTOMER_ID, "left")
        .withColumn("__status", when(col(Cols.SIGNUP_DATE).gt(lit(java.sql.Date.valueOf(runDate))), "not_yet_signed_up")
            .when(col("__last_churn").isNotNull().and(col("__last_other").isNull()
                .or(col("__last_churn").geq(col("__last_other")))), "churned")
            .otherwise("active"));
    status = materialize.apply(status.select(Cols.CUSTOMER_ID, "__status"));
    Map<String, Long> byStatus = new LinkedHashMap<>();
    for (Row r : status.groupBy("__status").count().collectAsList()) {
      byStatus.put(r.getString(0), r.getLong(1));
    }
    facts.put("customers", byStatus.values().stream().mapToLong(Long::longValue).sum());
    facts.put("customers_scored", byStatus.getOrDefault("active", 0L));
    facts.put("customers_churned", byStatus.getOrDefault("churned", 0L));
    facts.put("customers_not_yet_signed_up", byStatus.getOrDefault("not_yet_signed_up", 0L));

    Dataset<Row> features = new PointInTimeFeatures(config.features())
        .computeAt(status.filter(col("__status").equalTo("active")), indexAt.toInstant(), t);

    // The team that would grant (for team budgets), grants already counted against the sporadic cap, and each
    // policy's requests in the request-rate window.
    Dataset<Row> before = t.exceptions().filter(col(Cols.REQUESTED_AT).lt(lit(indexAt)));
    Dataset<Row> perCustomer = before.groupBy(col(Cols.CUSTOMER_ID)).agg(
        max_by(col(Cols.TEAM), col(Cols.REQUESTED_AT)).as("__team"),
        sum(when(col(Cols.DECISION).equalTo(Cols.GRANTED).and(col(Cols.REQUESTED_AT).geq(
            lit(daysBefore(indexS, settings.sporadicWindowDays())))), 1L).otherwise(0L)).as("__past_grants"));
    Dataset<Row> requested = before.filter(col(Cols.REQUESTED_AT).geq(lit(daysBefore(indexS,
            settings.requestRateWindowDays()))))
        .groupBy(col(Cols.CUSTOMER_ID), col(Cols.POLICY)).agg(count(lit(1)).as("__n"))
        .groupBy(col(Cols.CUSTOMER_ID)).agg(map_from_entries(collect_list(struct(col(Cols.POLICY), col("__n"))))
            .as("__requested"));
    features = features.join(perCustomer, Cols.CUSTOMER_ID, "left")
        .join(requested, Cols.CUSTOMER_ID, "left")
        .withColumn(ScoreCols.TEAM, coalesce(col("__team"), lit(settings.unassignedTeam())))
        .withColumn(ScoreCols.PAST_GRANTS, coalesce(col("__past_grants"), lit(0L)))
        .drop("__team", "__past_grants");
    features = materialize.apply(features);

    List<String> policies = policies(model.encoding());
    facts.put("policies", policies);
    Dataset<Row> policyRows = spark.createDataFrame(policies.stream().map(p -> RowFactory.create(p)).toList(),
        new StructType().add(Cols.POLICY, DataTypes.StringType, false));
    Dataset<Row> prices = prices(before, requests, referralWindowDays, indexS);

    // Expected requests a day: each customer's own requests of the policy in the window (exposure: the days of it
    // since sign-up), shrunk towards the policy's rate.
    List<RequestRates.Params> rates = RequestRates.fit(rowsOf(features, policyRows), REQUESTS_IN_WINDOW,
        EXPOSURE_DAYS);
    // Encoding, predictions and reasons cost far more per row than reading the rows: spread them over every core,
    // however few files the features step wrote (only these rows; the rates above and the reference read them as
    // they are). The customers are spread by their id, before the policies are joined to every task: a customer's
    // rows are then in one task already when the rule totals them per customer (entitlement, the customer ceiling),
    // so the customer x policy rows, several times the customers and wide, are not shuffled for it.
    int cores = spark.sparkContext().defaultParallelism();
    Dataset<Row> spread = features.repartition(Math.max(cores, features.rdd().getNumPartitions()),
        col(Cols.CUSTOMER_ID));
    Dataset<Row> rows = rowsOf(spread, policyRows).withColumn(ScoreCols.EXPECTED_REQUESTS,
        RequestRates.expected(rates, col(Cols.POLICY), col(REQUESTS_IN_WINDOW), col(EXPOSURE_DAYS)));

    Dataset<Row> vectors = ModelFeatures.transform(model.encoding(), model.features().prepare(rows))
        .withColumn(ScoreCols.OUTSIDE_SUPPORT, outsideSupport(model.support()));
    StructField vectorField = vectors.schema().apply(ModelFeatures.VECTOR);
    if (settings.entitlement()) {
      vectors = ModelFeatures.transform(model.encoding(), model.features().prepare(
              afterAGrant(vectors.withColumnRenamed(ModelFeatures.VECTOR, "__vector_now"))))
          .withColumnRenamed(ModelFeatures.VECTOR, NEXT_VECTOR)
          .withColumnRenamed("__vector_now", ModelFeatures.VECTOR);
    } else {
      vectors = vectors.withColumn(NEXT_VECTOR, col(ModelFeatures.VECTOR));
    }
    double[] reference = reference(features, model, policies.isEmpty() ? FeatureCols.UNKNOWN : policies.get(0));
    List<String> explained = new ArrayList<>(model.features().categorical());
    explained.remove(Cols.POLICY);
    Explainer explainer = new Explainer(Explainer.groups(vectorField, model.features().numeric(), explained),
        reference, model.models().get(retention).scorer(), settings.reasonCount(), config.features().noHistoryDays());
    Predict predict = new Predict(model.models().get(retention).scorer(), model.models().get(referrals).scorer(),
        settings.entitlement());

    Column shift = coalesce(byPolicy(model.calibrationShifts()), lit(0.0));
    Dataset<Row> predicted = vectors
        .withColumn("__p", udf(predict, PREDICTION).apply(col(ModelFeatures.VECTOR), col(NEXT_VECTOR)))
        .select(col(Cols.CUSTOMER_ID), col(Cols.POLICY), col(ScoreCols.TEAM), col(FeatureCols.CLV).as(ScoreCols.CLV),
            col(FeatureCols.RISK_FLAG).as(ScoreCols.RISK_FLAG), col(ScoreCols.PAST_GRANTS),
            col(ScoreCols.EXPECTED_REQUESTS),
            col("__p." + ScoreCols.UPLIFT_RETENTION).plus(shift).as(ScoreCols.UPLIFT_RETENTION),
            byPolicy(model.calibrationShifts()).isNotNull().as(ScoreCols.UPLIFT_CALIBRATED),
            col(ScoreCols.OUTSIDE_SUPPORT), col("__p." + ScoreCols.UPLIFT_REFERRALS),
            col("__p." + NEXT_RETENTION).plus(shift).as(NEXT_RETENTION), col("__p." + NEXT_REFERRALS),
            col("__p." + ScoreCols.UPLIFT_RETENTION).as(MODEL_RETENTION), col(ModelFeatures.VECTOR))
        .join(broadcast(prices), Cols.POLICY, "left")
        .withColumn(ScoreCols.REFERRAL_VALUE, coalesce(col(ScoreCols.REFERRAL_VALUE),
            lit(config.outcomes().referredCustomerDefaultValue())));
    Recommender recommender = new Recommender(settings);
    // Reasons ask the model a question per feature, so they are worked out only for rows the rule could offer. A
    // held row's why is its reason codes.
    Column couldOffer = recommender.couldOffer(List.of(predicted.columns()));
    predicted = predicted
        .withColumn(ScoreCols.REASONS, when(couldOffer, udf(new Explain(explainer), REASONS)
            .apply(col(ModelFeatures.VECTOR), col(MODEL_RETENTION))).otherwise(array().cast(REASONS)))
        .drop(ModelFeatures.VECTOR, MODEL_RETENTION);
    predicted = (settings.entitlement() ? withEntitlement(predicted, settings.sporadicWindowDays(),
            recommender.grantable(List.of(predicted.columns())),
            col(ScoreCols.PAST_GRANTS).plus(1).geq(settings.sporadicMaxGrants()))
        : predicted.withColumn(ScoreCols.ENTITLEMENT_COST, lit(0.0))).drop(NEXT_RETENTION, NEXT_REFERRALS);
    Dataset<Row> detail = materialize.apply(recommender.apply(predicted));
    facts.put("request_rates", rateFacts(rates));
    facts.put("by_policy_rule", policyRule(detail, before, indexS));
    facts.put("by_team_rule", teamRule(detail));
    Dataset<Row> scores = detail
        .withColumn(ScoreCols.MODEL_VERSION, lit(model.version()))
        .withColumn(ScoreCols.RUN_DATE, lit(java.sql.Date.valueOf(runDate)))
        .withColumn(ScoreCols.VALID_UNTIL, date_add(lit(java.sql.Date.valueOf(runDate)), settings.validDays()))
        .select(ScoreCols.PUBLISHED.stream().map(c -> col(c)).toArray(Column[]::new));
    return new Result(scores, facts);
  }

  /**
   * One row per customer and policy: {@link #REQUESTS_IN_WINDOW} (the customer's requests of the policy in the
   * request-rate window) and {@link #EXPOSURE_DAYS} (the days of the window since sign-up). The customers' partitions
   * are kept.
   */
  private Dataset<Row> rowsOf(Dataset<Row> features, Dataset<Row> policyRows) {
    return features.crossJoin(broadcast(policyRows))
        .withColumn(REQUESTS_IN_WINDOW, coalesce(element_at(col("__requested"), col(Cols.POLICY)), lit(0L)))
        .withColumn(EXPOSURE_DAYS, least(lit((double) settings.requestRateWindowDays()),
            greatest(lit(1.0), col(FeatureCols.TENURE_DAYS).cast("double"))))
        .drop("__requested");
  }

  private static Timestamp daysBefore(long indexS, int days) {
    return new Timestamp((indexS - days * 86_400L) * 1000);
  }

  /**
   * The customer's features at their next request if they are granted an exception today: one more request and
   * one more grant in the prior-exceptions window, and a last grant (today's) as long ago as their usual gap between
   * requests (the window over their requests in it plus two, counting today's).
   */
  private Dataset<Row> afterAGrant(Dataset<Row> rows) {
    int window = config.features().priorExceptionsDays();
    String requestsCol = FeatureCols.priorRequests(window);
    String grantsCol = FeatureCols.priorGrants(window);
    Column gap = lit((double) window).divide(col(requestsCol).plus(2));
    return rows
        .withColumn(FeatureCols.DAYS_SINCE_LAST_GRANT, gap)
        .withColumn(FeatureCols.HAS_PRIOR_GRANT, lit(1))
        .withColumn(requestsCol, col(requestsCol).plus(1))
        .withColumn(grantsCol, col(grantsCol).plus(1));
  }

  /**
   * {@link ScoreCols#ENTITLEMENT_COST}: what a grant today is expected to cost the customer's next exceptions. For
   * each policy q, the chance they ask for it within the sporadic window (from their expected requests) times the
   * drop in what that request is worth to the business when they arrive with one more grant: its expected net value
   * now minus after a grant, each counted only when positive (the rule grants only then), and only where the rule
   * could grant q at all ({@code grantable}: no hard line). Where one more grant reaches the sporadic cap
   * ({@code capReached}), the next requests would be held: their whole positive value is lost. Summed over q, the
   * same for each policy the customer might ask for today. Negative when the model says a grant makes the next one
   * worth more. Input: the columns of {@link Recommender} and the uplifts after a grant ({@link #NEXT_RETENTION},
   * {@link #NEXT_REFERRALS}).
   */
  static Dataset<Row> withEntitlement(Dataset<Row> d, int windowDays, Column grantable, Column capReached) {
    Column now = greatest(Recommender.value(col(ScoreCols.UPLIFT_RETENTION), col(ScoreCols.UPLIFT_REFERRALS))
        .minus(col(ScoreCols.EXPECTED_COST)), lit(0.0));
    Column next = when(capReached, lit(0.0)).otherwise(greatest(Recommender.value(col(NEXT_RETENTION),
        col(NEXT_REFERRALS)).minus(col(ScoreCols.EXPECTED_COST)), lit(0.0)));
    Column asks = lit(1.0).minus(exp(col(ScoreCols.EXPECTED_REQUESTS).multiply(-windowDays)));
    Column loss = when(grantable, coalesce(asks.multiply(now.minus(next)), lit(0.0))).otherwise(0.0);
    return d.withColumn(ScoreCols.ENTITLEMENT_COST, sum(loss).over(Window.partitionBy(Cols.CUSTOMER_ID)));
  }

  private static List<Map<String, Object>> rateFacts(List<RequestRates.Params> rates) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (RequestRates.Params p : rates) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("policy", p.policy());
      m.put("requests_in_window", p.requests());
      m.put("requests_per_customer_year", p.rate() * 365);
      m.put("spread", p.spread());
      out.add(m);
    }
    return out;
  }

  /**
   * Per policy, the rule on expected requests (requests, FLEX and offers a day, spend a day, share flexed, the
   * threshold its share ceiling and budget set, and the limits) next to what staff did in the cost window (or the
   * history there is, if shorter): requests, grants and spend a day, and requests a day in the last 30 days.
   */
  private List<Map<String, Object>> policyRule(Dataset<Row> detail, Dataset<Row> before, long indexS) {
    Column rate = col(ScoreCols.EXPECTED_REQUESTS);
    Column flex = col(ScoreCols.RECOMMENDATION).equalTo(Recommender.FLEX);
    Column offered = col(ScoreCols.RECOMMENDATION).notEqual(Recommender.HOLD_LINE);
    Map<String, Row> rule = new java.util.TreeMap<>();
    for (Row r : detail.groupBy(col(Cols.POLICY)).agg(count(lit(1)).as("customers"),
        sum(when(flex, 1L).otherwise(0L)).as("customers_flex"), sum(rate).as("requests"),
        sum(when(flex, rate).otherwise(0.0)).as("flex"), sum(when(offered, rate).otherwise(0.0)).as("offers"),
        sum(when(offered, rate.multiply(col(ScoreCols.EXPECTED_COST))).otherwise(0.0)).as("spend"),
        sum(when(offered, rate.multiply(col(ScoreCols.EXPECTED_NET_VALUE))).otherwise(0.0)).as("net"),
        max(col(Recommender.THRESHOLDS.get(1))).as("t_share"), max(col(Recommender.THRESHOLDS.get(2))).as("t_budget"))
        .collectAsList()) {
      rule.put(r.getString(0), r);
    }
    Timestamp from = daysBefore(indexS, settings.costWindowDays());
    Timestamp recent = daysBefore(indexS, 30);
    Row span = before.agg(functions.min(col(Cols.REQUESTED_AT))).first();
    double days = span.isNullAt(0) ? settings.costWindowDays()
        : Math.max(1.0, Math.min(settings.costWindowDays(), (indexS * 1000.0 - span.getTimestamp(0).getTime()) / 86_400_000.0));
    double recentDays = Math.min(30.0, days);
    Column granted = col(Cols.DECISION).equalTo(Cols.GRANTED);
    Map<String, Row> staff = new java.util.TreeMap<>();
    for (Row r : before.filter(col(Cols.REQUESTED_AT).geq(lit(from))).groupBy(col(Cols.POLICY)).agg(
        count(lit(1)), sum(when(granted, 1L).otherwise(0L)), sum(when(granted, col(Cols.COST)).otherwise(0.0)),
        sum(when(col(Cols.REQUESTED_AT).geq(lit(recent)), 1L).otherwise(0L))).collectAsList()) {
      staff.put(r.getString(0), r);
    }
    List<Map<String, Object>> out = new ArrayList<>();
    for (Map.Entry<String, Row> e : rule.entrySet()) {
      Row r = e.getValue();
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("policy", e.getKey());
      m.put("customers", r.getLong(1));
      m.put("customers_flex", r.getLong(2));
      m.put("share_of_customers_flex", r.getLong(1) == 0 ? null : r.getLong(2) / (double) r.getLong(1));
      m.put("expected_requests_per_day", r.getDouble(3));
      m.put("expected_flex_per_day", r.getDouble(4));
      m.put("expected_offers_per_day", r.getDouble(5));
      m.put("expected_spend_per_day", r.getDouble(6));
      m.put("expected_net_value_per_day", r.getDouble(7));
      m.put("expected_share_flexed", r.getDouble(3) > 0 ? r.getDouble(4) / r.getDouble(3) : null);
      double threshold = settings.flexFloor();
      for (int i : new int[] {8, 9}) {
        threshold = r.isNullAt(i) ? threshold : Math.max(threshold, r.getDouble(i));
      }
      m.put("flex_threshold", threshold);
      m.put("threshold_set_by", !r.isNullAt(9) && r.getDouble(9) >= threshold ? "budget"
          : !r.isNullAt(8) && r.getDouble(8) >= threshold ? "share ceiling" : "floor");
      m.put("daily_budget", nullIfNoLimit(ScoreSettings.limit(settings.policyDailyBudget(), e.getKey())));
      m.put("max_share_flexed", nullIfNoLimit(ScoreSettings.limit(settings.maxShareFlexed(), e.getKey())));
      Row st = staff.get(e.getKey());
      long requests = st == null ? 0 : st.getLong(1);
      long grants = st == null ? 0 : st.getLong(2);
      m.put("staff_days", days);
      m.put("staff_requests_per_day", requests / days);
      m.put("staff_grants_per_day", grants / days);
      m.put("staff_spend_per_day", st == null ? 0.0 : st.getDouble(3) / days);
      m.put("staff_share_granted", requests == 0 ? null : grants / (double) requests);
      m.put("requests_per_day_last_30_days", st == null ? 0.0 : st.getLong(4) / recentDays);
      out.add(m);
    }
    return out;
  }

  /** Per team: the threshold its budget set (null: it did not bind), the budget and the expected spend a day. */
  private List<Map<String, Object>> teamRule(Dataset<Row> detail) {
    Column offered = col(ScoreCols.RECOMMENDATION).notEqual(Recommender.HOLD_LINE);
    List<Map<String, Object>> out = new ArrayList<>();
    for (Row r : detail.groupBy(col(ScoreCols.TEAM)).agg(
        sum(when(offered, col(ScoreCols.EXPECTED_REQUESTS).multiply(col(ScoreCols.EXPECTED_COST))).otherwise(0.0)),
        max(col(Recommender.THRESHOLDS.get(3)))).orderBy(col(ScoreCols.TEAM)).collectAsList()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("team", r.getString(0));
      m.put("expected_spend_per_day", r.getDouble(1));
      m.put("budget_threshold", r.isNullAt(2) ? null : r.getDouble(2));
      m.put("daily_budget", nullIfNoLimit(ScoreSettings.limit(settings.teamDailyBudget(), r.getString(0))));
      out.add(m);
    }
    return out;
  }

  private static Double nullIfNoLimit(double v) {
    return v < 0 ? null : v;
  }

  /**
   * Per policy: the expected cost (mean cost of its grants in the cost window) and the value of one converted
   * referral (referred value over converted referrals of its matured requests; null when it has none).
   */
  private Dataset<Row> prices(Dataset<Row> before, Dataset<Row> requests, int window, long indexS) {
    Dataset<Row> cost = before.filter(col(Cols.DECISION).equalTo(Cols.GRANTED)
            .and(col(Cols.REQUESTED_AT).geq(lit(daysBefore(indexS, settings.costWindowDays())))))
        .groupBy(col(Cols.POLICY)).agg(avg(col(Cols.COST)).as(ScoreCols.EXPECTED_COST));
    return cost.join(referralValues(requests, window), Cols.POLICY, "full_outer");
  }

  /**
   * Per policy, the value of one converted referral: referred value over converted referrals of its matured
   * requests ({@link ScoreCols#REFERRAL_VALUE}; null when the policy has none).
   */
  public static Dataset<Row> referralValues(Dataset<Row> requests, int window) {
    Column converted = col(OutcomeCols.referralsConvertedAfter(window));
    return requests.filter(converted.isNotNull())
        .groupBy(col(Cols.POLICY))
        .agg(sum(col(OutcomeCols.referredValueAfter(window))).as("__v"), sum(converted).as("__n"), count(lit(1)))
        .select(col(Cols.POLICY), when(col("__n").gt(0), col("__v").divide(col("__n"))).as(ScoreCols.REFERRAL_VALUE));
  }

  /** The calibration shift of the row's policy (null where none is applied). */
  private static Column byPolicy(Map<String, Double> shifts) {
    if (shifts.isEmpty()) {
      return lit(null).cast("double");
    }
    List<Column> kv = new ArrayList<>();
    shifts.forEach((p, v) -> {
      kv.add(lit(p));
      kv.add(lit(v));
    });
    return element_at(map(kv.toArray(Column[]::new)), col(Cols.POLICY));
  }

  /**
   * {@link ScoreCols#OUTSIDE_SUPPORT}: the numeric features on which the row lies beyond the range of the requests
   * the model learned from (a missing value is not outside).
   */
  public static Column outsideSupport(Map<String, double[]> support) {
    // Concatenated arrays, which Spark compiles (a filter of nullable names is interpreted row by row).
    Column none = array().cast("array<string>");
    List<Column> flags = new ArrayList<>();
    support.forEach((f, b) -> {
      Column x = col(f).cast("double");
      flags.add(when(x.lt(b[0]).or(x.gt(b[1])), array(lit(f))).otherwise(none));
    });
    return (flags.isEmpty() ? none : functions.concat(flags.toArray(Column[]::new))).as(ScoreCols.OUTSIDE_SUPPORT);
  }

  /** The typical customer's vector: numeric medians and the most common category of each feature. */
  private static double[] reference(Dataset<Row> features, ModelRegistry.Loaded model, String policy) {
    List<String> numeric = model.features().numeric();
    double[][] q = features.stat().approxQuantile(numeric.toArray(String[]::new), new double[] {0.5}, 0.001);
    List<StructField> fields = new ArrayList<>();
    List<Object> values = new ArrayList<>();
    for (int i = 0; i < numeric.size(); i++) {
      fields.add(DataTypes.createStructField(numeric.get(i), DataTypes.DoubleType, true));
      values.add(q[i].length == 0 ? 0.0 : q[i][0]);
    }
    for (String c : model.features().categorical()) {
      fields.add(DataTypes.createStructField(c, DataTypes.StringType, true));
      if (c.equals(Cols.POLICY)) {
        values.add(policy);
        continue;
      }
      List<Row> top = features.groupBy(col(c)).count().orderBy(col("count").desc(), col(c)).limit(1).collectAsList();
      values.add(top.isEmpty() ? FeatureCols.UNKNOWN : top.get(0).get(0));
    }
    Dataset<Row> one = features.sparkSession().createDataFrame(List.of(RowFactory.create(values.toArray())),
        DataTypes.createStructType(fields));
    Vector v = ModelFeatures.transform(model.encoding(), model.features().prepare(one)).first()
        .getAs(ModelFeatures.VECTOR);
    return v.toArray();
  }

  /** Per row: both uplifts, and both after one more grant (when asked). */
  private record Predict(VectorScorer retention, VectorScorer referrals, boolean next)
      implements UDF2<Vector, Vector, Row>, Serializable {
    @Override
    public Row call(Vector v, Vector afterAGrant) {
      double[] x = v.toArray();
      double[] after = next ? afterAGrant.toArray() : null;
      return RowFactory.create(retention.score(x), referrals.score(x), next ? retention.score(after) : null,
          next ? referrals.score(after) : null);
    }
  }

  /** Per row: the reasons for the model's retention uplift of the row. */
  private record Explain(Explainer explainer) implements UDF2<Vector, Double, Row[]>, Serializable {
    @Override
    public Row[] call(Vector v, Double uplift) {
      return explainer.reasons(v.toArray(), uplift).stream()
          .map(r -> RowFactory.create(r.feature(), r.direction(), r.effect(), r.text())).toArray(Row[]::new);
    }
  }
}
