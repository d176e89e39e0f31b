package dev.leeway.outcomes;

import static dev.leeway.features.FeatureCols.INDEX_AT;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.unix_seconds;
import static org.apache.spark.sql.functions.when;

import dev.leeway.config.LeewayConfig.OutcomeSettings;
import dev.leeway.contract.Cols;
import dev.leeway.features.ActivityTotals;
import dev.leeway.features.EventSweep;
import dev.leeway.features.PointInTimeFeatures;
import dev.leeway.ingest.ConformedTables;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * What happened after each index instant, in windows (index, index + H days]: retention at each horizon, revenue,
 * referrals made and converted and their value. A window that ends after the run date is immature: its outcome is
 * null (never counted as churn) and its maturity flag is false.
 */
public final class Outcomes {
  private static final long DAY = 86_400L;
  private static final String AT_S = "__at_s";
  private static final String CID = "__cid";

  private final OutcomeSettings settings;
  private final long observedUntil;

  /** Outcomes observed up to the end of {@code runDate} (midnight after it, UTC). */
  public Outcomes(OutcomeSettings settings, LocalDate runDate) {
    this.settings = settings;
    this.observedUntil = runDate.plusDays(1).atStartOfDay().toEpochSecond(ZoneOffset.UTC);
  }

  /**
   * The windows over activity the outcomes read, in {@link ActivityTotals}' terms: churn and recent activity at each
   * horizon, revenue per window, and the negative control's events. {@link PointInTimeFeatures} totals them in its
   * pass over activity.
   */
  public List<EventSweep.Agg> activityWindows() {
    List<EventSweep.Agg> aggs = new ArrayList<>();
    for (int h : settings.horizonsDays()) {
      long end = h * DAY;
      long lastStart = (h - Math.min(settings.inactivityDays(), h)) * DAY;
      aggs.add(new EventSweep.Agg(churns(h), ActivityTotals.CHURNS, 1, end));
      aggs.add(new EventSweep.Agg(active(h), ActivityTotals.EVENTS, lastStart + 1, end));
    }
    for (int w : settings.revenueWindowsDays()) {
      aggs.add(new EventSweep.Agg(revenue(w), ActivityTotals.AMOUNT, 1, w * DAY));
    }
    aggs.add(new EventSweep.Agg(NC_EVENTS, ActivityTotals.EVENTS, -negativeControlStart(), -negativeControlLag() - 1));
    return aggs;
  }

  /**
   * Adds outcome columns to {@code index} (unique {@code key}, customer_id, index_at, and the columns of
   * {@link #activityWindows()}).
   */
  public Dataset<Row> compute(Dataset<Row> index, String key, ConformedTables t) {
    Dataset<Row> idx = index.select(col(key), col(Cols.CUSTOMER_ID).as(CID), unix_seconds(col(INDEX_AT)).as(AT_S));
    Dataset<Row> out = negativeControl(index, t)
        .join(referralsAfter(idx, key, t), key, "left")
        .join(referredByFlexed(t), col(Cols.CUSTOMER_ID).equalTo(col("__flexed_cid")), "left")
        .withColumn(OutcomeCols.REFERRED_BY_FLEXED, coalesce(col("__flexed"), lit(false)))
        .drop("__flexed", "__flexed_cid");
    Column atS = unix_seconds(col(INDEX_AT));
    for (int h : settings.horizonsDays()) {
      Column mature = mature(atS, h);
      Column retained = coalesce(col(churns(h)), lit(0)).equalTo(0).and(coalesce(col(active(h)), lit(0)).gt(0));
      out = out.withColumn(OutcomeCols.mature(h), mature)
          .withColumn(OutcomeCols.retained(h), when(mature, when(retained, 1).otherwise(0)));
    }
    for (int w : settings.revenueWindowsDays()) {
      out = out.withColumn(OutcomeCols.revenueAfter(w),
          when(mature(atS, w), coalesce(col(revenue(w)).cast("double"), lit(0.0))));
    }
    for (int w : settings.referralWindowsDays()) {
      Column m = mature(atS, w);
      out = out
          .withColumn(OutcomeCols.referralsMadeAfter(w), when(m, coalesce(col("__made_" + w), lit(0L))))
          .withColumn(OutcomeCols.referralsConvertedAfter(w), when(m, coalesce(col("__converted_" + w), lit(0L))))
          .withColumn(OutcomeCols.referredValueAfter(w), when(m, coalesce(col("__value_" + w), lit(0.0))));
    }
    List<String> helpers = new ArrayList<>();
    for (String c : out.columns()) {
      if (c.startsWith("__")) {
        helpers.add(c);
      }
    }
    return out.drop(helpers.toArray(String[]::new));
  }

  /**
   * Non-CHURN activity events in [index - lag - window, index - lag): before the request and outside every feature
   * window. Null when that window starts before the customer signed up or before the earliest activity event in the
   * data (the extract does not reach back that far, so a count would be partial).
   */
  private Dataset<Row> negativeControl(Dataset<Row> index, ConformedTables t) {
    Row first = t.activity().agg(min(unix_seconds(col(Cols.EVENT_AT)))).first();
    long earliest = first.isNullAt(0) ? Long.MAX_VALUE : first.getLong(0);
    Dataset<Row> signup = t.customers().select(col(Cols.CUSTOMER_ID).as("__scid"),
        unix_seconds(col(Cols.SIGNUP_DATE).cast("timestamp")).as("__signup_s"));
    Column windowStart = unix_seconds(col(INDEX_AT)).minus(negativeControlStart());
    return index.join(signup, col(Cols.CUSTOMER_ID).equalTo(signup.col("__scid")), "left")
        .withColumn(OutcomeCols.NEGATIVE_CONTROL,
            when(windowStart.geq(lit(earliest)).and(windowStart.geq(col("__signup_s"))),
                coalesce(col(NC_EVENTS).cast("long"), lit(0L))));
  }

  private long negativeControlLag() {
    return settings.negativeControlLagDays() * DAY;
  }

  private long negativeControlStart() {
    return negativeControlLag() + settings.negativeControlWindowDays() * DAY;
  }

  private static String churns(int h) {
    return "__churns_" + h;
  }

  private static String active(int h) {
    return "__active_" + h;
  }

  private static String revenue(int w) {
    return "__revenue_" + w;
  }

  private static final String NC_EVENTS = "__nc_events";

  private Column mature(Column atS, int days) {
    return atS.plus(days * DAY).leq(lit(observedUntil));
  }

  private Dataset<Row> referralsAfter(Dataset<Row> idx, String key, ConformedTables t) {
    // A referred customer is worth their latest lifetime value, or the configured default when unknown.
    Dataset<Row> latestValue = t.clvSnapshots().groupBy(col(Cols.CUSTOMER_ID).as("__vcid"))
        .agg(max_by(col(Cols.CLV), col(Cols.AS_OF_DATE)).as("__referred_clv"));
    Dataset<Row> r = t.referrals()
        .join(latestValue, t.referrals().col(Cols.REFERRED_CUSTOMER_ID).equalTo(latestValue.col("__vcid")), "left")
        .select(col(Cols.REFERRER_ID).as("__rcid"), unix_seconds(col(Cols.REFERRED_AT)).as("__ref_s"),
            col(Cols.CONVERTED).as("__conv"),
            coalesce(col("__referred_clv"), lit(settings.referredCustomerDefaultValue())).as("__ref_value"));
    long window = Collections.max(settings.referralWindowsDays()) * DAY;
    Column ref = r.col("__ref_s");
    Dataset<Row> joined = idx.join(r, idx.col(CID).equalTo(r.col("__rcid"))
        .and(ref.gt(idx.col(AT_S))).and(ref.leq(idx.col(AT_S).plus(window))));
    Column since = col("__ref_s").minus(col(AT_S));
    List<Column> aggs = new ArrayList<>();
    for (int w : settings.referralWindowsDays()) {
      Column in = since.leq(w * DAY);
      aggs.add(sum(when(in, 1L).otherwise(0L)).as("__made_" + w));
      aggs.add(sum(when(in.and(col("__conv")), 1L).otherwise(0L)).as("__converted_" + w));
      aggs.add(sum(when(in.and(col("__conv")), col("__ref_value")).otherwise(0.0)).as("__value_" + w));
    }
    return joined.groupBy(col(key)).agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new));
  }

  /**
   * Customers who converted from a referral made within the interference window after their referrer was granted
   * an exception: their own requests may be influenced by that grant, so they are no clean control.
   */
  Dataset<Row> referredByFlexed(ConformedTables t) {
    Dataset<Row> grants = t.exceptions().filter(col(Cols.DECISION).equalTo(Cols.GRANTED))
        .select(col(Cols.CUSTOMER_ID).as("__gcid"), unix_seconds(col(Cols.REQUESTED_AT)).as("__g_s"));
    Dataset<Row> refs = t.referrals().filter(col(Cols.CONVERTED).and(col(Cols.REFERRED_CUSTOMER_ID).isNotNull()))
        .select(col(Cols.REFERRER_ID), col(Cols.REFERRED_CUSTOMER_ID), unix_seconds(col(Cols.REFERRED_AT)).as("__r_s"));
    long window = settings.interferenceWindowDays() * DAY;
    return refs.join(grants, refs.col(Cols.REFERRER_ID).equalTo(grants.col("__gcid"))
            .and(grants.col("__g_s").lt(refs.col("__r_s")))
            .and(grants.col("__g_s").geq(refs.col("__r_s").minus(window))))
        .select(col(Cols.REFERRED_CUSTOMER_ID).as("__flexed_cid")).distinct()
        .withColumn("__flexed", lit(true));
  }
}
