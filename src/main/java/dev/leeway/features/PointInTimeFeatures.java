package dev.leeway.features;

import static dev.leeway.features.FeatureCols.INDEX_AT;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.datediff;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.to_date;
import static org.apache.spark.sql.functions.unix_seconds;
import static org.apache.spark.sql.functions.upper;
import static org.apache.spark.sql.functions.when;

import dev.leeway.config.LeewayConfig.FeatureSettings;
import dev.leeway.contract.Cols;
import dev.leeway.ingest.ConformedTables;
import dev.leeway.io.InputError;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalLong;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Customer features as they were at an index instant, computed only from data strictly before it: the latest
 * lifetime-value snapshot dated before the index day (as-of join), activity, spend and referrals in windows
 * [index - W days, index), and prior exceptions. The one definition serves exception requests (index = request
 * time) and scoring (index = the end of the run date).
 */
public final class PointInTimeFeatures {
  static final long DAY = 86_400L;
  private static final String AT_S = "__at_s";
  private static final String CID = "__cid";

  private final FeatureSettings settings;

  public PointInTimeFeatures(FeatureSettings settings) {
    this.settings = settings;
  }

  /**
   * Adds the features to {@code index}, which must hold {@code key} (unique), {@code customer_id} and
   * {@code index_at} (timestamp). Returns one row per index row with every column of the index plus the features.
   */
  public Dataset<Row> compute(Dataset<Row> index, String key, ConformedTables t) {
    return compute(index, key, t, List.of());
  }

  /**
   * As {@link #compute(Dataset, String, ConformedTables)}, plus the activity windows {@code moreActivity} (over
   * {@link ActivityTotals}' running totals, e.g. the outcome windows after the index), totalled in the same pass over
   * activity as the features' windows: one column each, named by it, zero when no event falls in it.
   */
  public Dataset<Row> compute(Dataset<Row> index, String key, ConformedTables t, List<EventSweep.Agg> moreActivity) {
    return compute(index, key, t, moreActivity, OptionalLong.empty());
  }

  /**
   * The features of each customer of {@code customers} (unique customer_id) at the one instant {@code at}, by the
   * definitions of {@link #compute(Dataset, String, ConformedTables)}, keyed by customer_id and with index_at = at.
   * Every activity window then ends at the same instant, so activity is totalled by one grouping per customer
   * instead of a sort.
   */
  public Dataset<Row> computeAt(Dataset<Row> customers, Instant at, ConformedTables t) {
    if (at.getNano() != 0) {
      throw new IllegalArgumentException("Features are taken at a whole second, not " + at);
    }
    Dataset<Row> index = customers.select(col(Cols.CUSTOMER_ID), lit(Timestamp.from(at)).as(INDEX_AT));
    return compute(index, Cols.CUSTOMER_ID, t, List.of(), OptionalLong.of(at.getEpochSecond()));
  }

  private Dataset<Row> compute(Dataset<Row> index, String key, ConformedTables t, List<EventSweep.Agg> moreActivity,
      OptionalLong instant) {
    Dataset<Row> idx = index.select(col(key), col(Cols.CUSTOMER_ID).as(CID), unix_seconds(col(INDEX_AT)).as(AT_S),
        to_date(col(INDEX_AT)).as("__at_day"));
    Dataset<Row> out = index;
    out = out.join(customerAttributes(index, key, t.customers()), key);
    out = out.join(valueAsOf(idx, key, t.clvSnapshots()), key, "left");
    out = out.join(activity(idx, key, t.activity(), moreActivity, instant), key, "left");
    out = out.join(referralsBefore(idx, key, t.referrals()), key, "left");
    out = out.join(exceptionsBefore(idx, key, t.exceptions()), key, "left");
    return fill(out);
  }

  private Dataset<Row> customerAttributes(Dataset<Row> index, String key, Dataset<Row> customers) {
    requireColumns(customers, "leeway.features.extra_customer_columns", settings.extraCustomerColumns());
    requireColumns(customers, "leeway.features.extra_numeric_columns", settings.extraNumericColumns());
    List<Column> cols = new ArrayList<>();
    cols.add(col("i." + key).as(key));
    cols.add(category(col("c." + Cols.SEGMENT)).as(FeatureCols.SEGMENT));
    cols.add(category(col("c." + Cols.REGION)).as(FeatureCols.REGION));
    cols.add(category(col("c." + Cols.CHANNEL)).as(FeatureCols.CUSTOMER_CHANNEL));
    for (String extra : settings.extraCustomerColumns()) {
      cols.add(category(col("c.`" + extra + "`")).as(extra));
    }
    for (String extra : settings.extraNumericColumns()) {
      cols.add(col("c.`" + extra + "`").cast("double").as(extra));
    }
    cols.add(datediff(to_date(col("i." + INDEX_AT)), col("c." + Cols.SIGNUP_DATE)).as(FeatureCols.TENURE_DAYS));
    return index.as("i").join(customers.as("c"), col("i." + Cols.CUSTOMER_ID).equalTo(col("c." + Cols.CUSTOMER_ID)),
        "left").select(cols.toArray(Column[]::new));
  }

  private static void requireColumns(Dataset<Row> customers, String key, List<String> names) {
    for (String extra : names) {
      if (!List.of(customers.columns()).contains(extra)) {
        throw new InputError("Cannot compute features: " + key + " names '" + extra
            + "', which the customers table does not have (columns: " + String.join(", ", customers.columns())
            + "); fix the key, or re-run `leeway ingest` if the input has gained the column since");
      }
    }
  }

  private static Column category(Column c) {
    return when(c.isNull().or(c.equalTo("")), lit(FeatureCols.UNKNOWN)).otherwise(upper(c));
  }

  /** The latest snapshot dated strictly before the index day: a snapshot of the same day may already know the outcome. */
  private static Dataset<Row> valueAsOf(Dataset<Row> idx, String key, Dataset<Row> clv) {
    Dataset<Row> s = clv.select(col(Cols.CUSTOMER_ID).as("__scid"), col(Cols.AS_OF_DATE), col(Cols.CLV),
        col(Cols.HISTORICAL_VALUE), col(Cols.RISK_FLAG));
    Dataset<Row> latest = idx.join(s, idx.col(CID).equalTo(s.col("__scid")).and(s.col(Cols.AS_OF_DATE).lt(idx.col("__at_day"))))
        .groupBy(col(key))
        .agg(max(struct(col(Cols.AS_OF_DATE), col(Cols.CLV), col(Cols.HISTORICAL_VALUE), col(Cols.RISK_FLAG))).as("s"));
    return latest.select(col(key),
        col("s." + Cols.AS_OF_DATE).as(FeatureCols.CLV_AS_OF_DATE),
        col("s." + Cols.CLV).as(FeatureCols.CLV),
        col("s." + Cols.HISTORICAL_VALUE).as(FeatureCols.HISTORICAL_VALUE),
        col("s." + Cols.RISK_FLAG).as(FeatureCols.RISK_FLAG));
  }

  private Dataset<Row> activity(Dataset<Row> idx, String key, Dataset<Row> activity, List<EventSweep.Agg> more,
      OptionalLong instant) {
    List<EventSweep.Agg> aggs = new ArrayList<>();
    for (int w : settings.windowsDays()) {
      aggs.add(new EventSweep.Agg(FeatureCols.events(w), ActivityTotals.EVENTS, -w * DAY, -1));
      aggs.add(new EventSweep.Agg(FeatureCols.spend(w), ActivityTotals.AMOUNT, -w * DAY, -1));
    }
    aggs.add(new EventSweep.Agg("__last_ev_s", ActivityTotals.LAST, Long.MIN_VALUE, -1));
    aggs.add(new EventSweep.Agg("__churns_before", ActivityTotals.CHURNS, Long.MIN_VALUE, -1));
    aggs.addAll(more);
    Dataset<Row> swept = ActivityTotals.sweep(idx, key, CID, AT_S, activity, aggs, instant);
    List<Column> out = new ArrayList<>();
    out.add(col(key));
    for (int w : settings.windowsDays()) {
      out.add(col(FeatureCols.events(w)).cast("long").as(FeatureCols.events(w)));
      out.add(col(FeatureCols.spend(w)).cast("double").as(FeatureCols.spend(w)));
    }
    out.add(col("__last_ev_s"));
    out.add(when(col("__churns_before").gt(0), 1).otherwise(0).as(FeatureCols.CHURNED_BEFORE));
    more.forEach(a -> out.add(col(a.name())));
    return swept.select(out.toArray(Column[]::new));
  }

  private Dataset<Row> referralsBefore(Dataset<Row> idx, String key, Dataset<Row> referrals) {
    // Conversion status is known only as of the run date, not at the index: only referrals *made* are features.
    Dataset<Row> r = referrals.select(col(Cols.REFERRER_ID).as("__rcid"), unix_seconds(col(Cols.REFERRED_AT)).as("__ref_s"));
    Dataset<Row> joined = idx.join(r, idx.col(CID).equalTo(r.col("__rcid")).and(r.col("__ref_s").lt(idx.col(AT_S))));
    List<Column> aggs = new ArrayList<>();
    for (int w : settings.windowsDays()) {
      aggs.add(sum(when(col("__ref_s").geq(col(AT_S).minus(w * DAY)), 1L).otherwise(0L)).as(FeatureCols.referralsMade(w)));
    }
    return joined.groupBy(col(key)).agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new));
  }

  private Dataset<Row> exceptionsBefore(Dataset<Row> idx, String key, Dataset<Row> exceptions) {
    Dataset<Row> x = exceptions.select(col(Cols.CUSTOMER_ID).as("__xcid"), unix_seconds(col(Cols.REQUESTED_AT)).as("__req_s"),
        col(Cols.DECISION).equalTo(Cols.GRANTED).as("__granted"));
    Dataset<Row> joined = idx.join(x, idx.col(CID).equalTo(x.col("__xcid")).and(x.col("__req_s").lt(idx.col(AT_S))));
    int p = settings.priorExceptionsDays();
    Column inWindow = col("__req_s").geq(col(AT_S).minus(p * DAY));
    return joined.groupBy(col(key)).agg(
        sum(when(inWindow, 1L).otherwise(0L)).as(FeatureCols.priorRequests(p)),
        sum(when(inWindow.and(col("__granted")), 1L).otherwise(0L)).as(FeatureCols.priorGrants(p)),
        max(when(col("__granted"), col("__req_s"))).as("__last_grant_s"));
  }

  /**
   * Numeric features are never null: counts of nothing are 0, "days since" of nothing is no_history_days, and a
   * missing extra numeric value is 0 with its has_ flag 0.
   */
  private Dataset<Row> fill(Dataset<Row> out) {
    Column atS = unix_seconds(col(INDEX_AT));
    double none = settings.noHistoryDays();
    Dataset<Row> o = out
        .withColumn(FeatureCols.HAS_CLV, when(col(FeatureCols.CLV).isNotNull(), 1).otherwise(0))
        .withColumn(FeatureCols.CLV_AGE_DAYS, coalesce(
            datediff(to_date(col(INDEX_AT)), col(FeatureCols.CLV_AS_OF_DATE)).cast("double"), lit(none)))
        .withColumn(FeatureCols.CLV, coalesce(col(FeatureCols.CLV), lit(0.0)))
        .withColumn(FeatureCols.HISTORICAL_VALUE, coalesce(col(FeatureCols.HISTORICAL_VALUE), lit(0.0)))
        .withColumn(FeatureCols.RISK_FLAG, when(col(FeatureCols.RISK_FLAG), 1).otherwise(0))
        .withColumn(FeatureCols.TENURE_DAYS, coalesce(col(FeatureCols.TENURE_DAYS), lit(0)))
        .withColumn(FeatureCols.HAS_ACTIVITY, when(col("__last_ev_s").isNotNull(), 1).otherwise(0))
        .withColumn(FeatureCols.DAYS_SINCE_LAST_ACTIVITY,
            coalesce(atS.minus(col("__last_ev_s")).divide((double) DAY), lit(none)))
        .withColumn(FeatureCols.CHURNED_BEFORE, coalesce(col(FeatureCols.CHURNED_BEFORE), lit(0)))
        .withColumn(FeatureCols.HAS_PRIOR_GRANT, when(col("__last_grant_s").isNotNull(), 1).otherwise(0))
        .withColumn(FeatureCols.DAYS_SINCE_LAST_GRANT,
            coalesce(atS.minus(col("__last_grant_s")).divide((double) DAY), lit(none)));
    for (int w : settings.windowsDays()) {
      o = o.withColumn(FeatureCols.events(w), coalesce(col(FeatureCols.events(w)), lit(0L)))
          .withColumn(FeatureCols.spend(w), coalesce(col(FeatureCols.spend(w)), lit(0.0)))
          .withColumn(FeatureCols.referralsMade(w), coalesce(col(FeatureCols.referralsMade(w)), lit(0L)));
    }
    for (String extra : settings.extraNumericColumns()) {
      o = o.withColumn(FeatureCols.has(extra), when(col(extra).isNotNull(), 1).otherwise(0))
          .withColumn(extra, coalesce(col(extra), lit(0.0)));
    }
    int p = settings.priorExceptionsDays();
    o = o.withColumn(FeatureCols.priorRequests(p), coalesce(col(FeatureCols.priorRequests(p)), lit(0L)))
        .withColumn(FeatureCols.priorGrants(p), coalesce(col(FeatureCols.priorGrants(p)), lit(0L)));
    return o.drop("__last_ev_s", "__last_grant_s");
  }
}
