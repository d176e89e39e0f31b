package dev.leeway.score;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.filter;
import static org.apache.spark.sql.functions.map;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.date_add;
import static org.apache.spark.sql.functions.lit;
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
import dev.leeway.io.ConformedTables;
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
import org.apache.spark.sql.api.java.UDF1;
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

  private static final StructType REASON = new StructType()
      .add("feature", DataTypes.StringType, false)
      .add("direction", DataTypes.StringType, false)
      .add("effect", DataTypes.DoubleType, false)
      .add("text", DataTypes.StringType, false);
  private static final StructType PREDICTION = new StructType()
      .add(ScoreCols.UPLIFT_RETENTION, DataTypes.DoubleType, false)
      .add(ScoreCols.UPLIFT_REFERRALS, DataTypes.DoubleType, false)
      .add(ScoreCols.REASONS, DataTypes.createArrayType(REASON, false), false);

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

    Dataset<Row> index = status.filter(col("__status").equalTo("active"))
        .select(col(Cols.CUSTOMER_ID), lit(indexAt).as(FeatureCols.INDEX_AT));
    Dataset<Row> features = new PointInTimeFeatures(config.features()).compute(index, Cols.CUSTOMER_ID, t);

    // The team that would grant (for team budgets), and grants already counted against the sporadic cap.
    Dataset<Row> before = t.exceptions().filter(col(Cols.REQUESTED_AT).lt(lit(indexAt)));
    Dataset<Row> perCustomer = before.groupBy(col(Cols.CUSTOMER_ID)).agg(
        max_by(col(Cols.TEAM), col(Cols.REQUESTED_AT)).as("__team"),
        sum(when(col(Cols.DECISION).equalTo(Cols.GRANTED).and(col(Cols.REQUESTED_AT).geq(
            lit(new Timestamp((indexS - settings.sporadicWindowDays() * 86_400L) * 1000)))), 1L).otherwise(0L))
            .as("__past_grants"));
    features = features.join(perCustomer, Cols.CUSTOMER_ID, "left")
        .withColumn(ScoreCols.TEAM, coalesce(col("__team"), lit(settings.unassignedTeam())))
        .withColumn(ScoreCols.PAST_GRANTS, coalesce(col("__past_grants"), lit(0L)))
        .drop("__team", "__past_grants");
    features = materialize.apply(features);

    List<String> policies = policies(model.encoding());
    facts.put("policies", policies);
    Dataset<Row> policyRows = spark.createDataFrame(policies.stream().map(p -> RowFactory.create(p)).toList(),
        new StructType().add(Cols.POLICY, DataTypes.StringType, false));
    Dataset<Row> prices = prices(before, requests, referralWindowDays, indexS);

    Dataset<Row> rows = features.crossJoin(broadcast(policyRows));
    Dataset<Row> vectors = ModelFeatures.transform(model.encoding(), model.features().prepare(rows));
    StructField vectorField = vectors.schema().apply(ModelFeatures.VECTOR);
    double[] reference = reference(features, model, policies.isEmpty() ? FeatureCols.UNKNOWN : policies.get(0));
    List<String> explained = new ArrayList<>(model.features().categorical());
    explained.remove(Cols.POLICY);
    Explainer explainer = new Explainer(Explainer.groups(vectorField, model.features().numeric(), explained),
        reference, model.models().get(retention).scorer(), settings.reasonCount(), config.features().noHistoryDays());
    Predict predict = new Predict(model.models().get(retention).scorer(), model.models().get(referrals).scorer(),
        explainer);

    Column shift = byPolicy(model.calibrationShifts());
    Dataset<Row> predicted = vectors
        .withColumn("__p", udf(predict, PREDICTION).apply(col(ModelFeatures.VECTOR)))
        .select(col(Cols.CUSTOMER_ID), col(Cols.POLICY), col(ScoreCols.TEAM), col(FeatureCols.CLV).as(ScoreCols.CLV),
            col(FeatureCols.RISK_FLAG).as(ScoreCols.RISK_FLAG), col(ScoreCols.PAST_GRANTS),
            col("__p." + ScoreCols.UPLIFT_RETENTION).plus(coalesce(shift, lit(0.0))).as(ScoreCols.UPLIFT_RETENTION),
            shift.isNotNull().as(ScoreCols.UPLIFT_CALIBRATED), outsideSupport(model.support()),
            col("__p." + ScoreCols.UPLIFT_REFERRALS), col("__p." + ScoreCols.REASONS))
        .join(broadcast(prices), Cols.POLICY, "left")
        .withColumn(ScoreCols.REFERRAL_VALUE, coalesce(col(ScoreCols.REFERRAL_VALUE),
            lit(config.outcomes().referredCustomerDefaultValue())));
    Dataset<Row> scores = new Recommender(settings).apply(predicted)
        .withColumn(ScoreCols.MODEL_VERSION, lit(model.version()))
        .withColumn(ScoreCols.RUN_DATE, lit(java.sql.Date.valueOf(runDate)))
        .withColumn(ScoreCols.VALID_UNTIL, date_add(lit(java.sql.Date.valueOf(runDate)), settings.validDays()))
        .select(ScoreCols.PUBLISHED.stream().map(c -> col(c)).toArray(Column[]::new));
    return new Result(scores, facts);
  }

  /**
   * Per policy: the expected cost (mean cost of its grants in the cost window) and the value of one converted
   * referral (referred value over converted referrals of its matured requests; null when it has none).
   */
  private Dataset<Row> prices(Dataset<Row> before, Dataset<Row> requests, int window, long indexS) {
    Dataset<Row> cost = before.filter(col(Cols.DECISION).equalTo(Cols.GRANTED)
            .and(col(Cols.REQUESTED_AT).geq(lit(new Timestamp((indexS - settings.costWindowDays() * 86_400L) * 1000)))))
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
    List<Column> flags = new ArrayList<>();
    support.forEach((f, b) -> {
      Column x = col(f).cast("double");
      flags.add(when(x.lt(b[0]).or(x.gt(b[1])), lit(f)));
    });
    Column none = array().cast("array<string>");
    return (flags.isEmpty() ? none : filter(array(flags.toArray(Column[]::new)), Column::isNotNull))
        .as(ScoreCols.OUTSIDE_SUPPORT);
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

  /** Per row: both uplifts and the retention uplift's reasons. */
  private record Predict(VectorScorer retention, VectorScorer referrals, Explainer explainer)
      implements UDF1<Vector, Row>, Serializable {
    @Override
    public Row call(Vector v) {
      double uplift = retention.score(v);
      List<Row> reasons = new ArrayList<>();
      for (Explainer.Reason r : explainer.reasons(v, uplift)) {
        reasons.add(RowFactory.create(r.feature(), r.direction(), r.effect(), r.text()));
      }
      return RowFactory.create(uplift, referrals.score(v), reasons.toArray());
    }
  }
}
