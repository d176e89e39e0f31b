package dev.leeway.generate;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One truth row per generated exception request: the true effect of granting it on retention at each horizon and
 * on converted referrals in each window (expected values under the planted model; the customer's later decisions
 * are made again, so tau is the total effect of the decision), the outcomes actually realised (null where the window ends after the end date), what staff saw when they decided
 * (seen_*: equal to the pipeline's features of the request) and the customer's hidden confounder.
 */
final class TruthRows {
  private TruthRows() {}

  static final int[] HORIZONS = {30, 90, 180, 365};
  static final int[] REFERRAL_WINDOWS = {90, 365};

  static StructType schema() {
    StructType s = new StructType()
        .add("exception_id", DataTypes.StringType)
        .add("customer_id", DataTypes.StringType)
        .add("policy", DataTypes.StringType)
        .add("segment", DataTypes.StringType)
        .add("team", DataTypes.StringType)
        .add("granted", DataTypes.BooleanType)
        .add("requested_at", DataTypes.StringType)
        .add("true_propensity", DataTypes.DoubleType)
        .add("grants_prior_365d", DataTypes.IntegerType)
        .add("tenure_years", DataTypes.DoubleType)
        .add("request_channel", DataTypes.StringType)
        .add("seen_has_clv", DataTypes.IntegerType)
        .add("seen_clv", DataTypes.DoubleType)
        .add("seen_historical_value", DataTypes.DoubleType)
        .add("seen_risk_flag", DataTypes.IntegerType)
        .add("seen_tenure_days", DataTypes.IntegerType)
        .add("seen_prior_grants_365d", DataTypes.IntegerType)
        .add("seen_prior_requests_365d", DataTypes.IntegerType)
        .add("seen_events_90d", DataTypes.IntegerType)
        .add("hidden_u", DataTypes.DoubleType);
    for (int h : HORIZONS) {
      s = s.add("tau_retention_" + h, DataTypes.DoubleType).add("y_retention_" + h, DataTypes.DoubleType);
    }
    for (int w : REFERRAL_WINDOWS) {
      s = s.add("tau_referrals_" + w, DataTypes.DoubleType).add("y_referrals_" + w, DataTypes.DoubleType);
    }
    return s;
  }

  static List<Row> rows(CustomerStory base) {
    List<Row> out = new ArrayList<>();
    for (CustomerStory c : TableRows.family(base)) {
      if (c.requests.isEmpty()) {
        continue;
      }
      double[] activity = c.activityDays();
      int inactivity = c.spec.inactivityDays();
      for (int i = 0; i < c.requests.size(); i++) {
        CustomerStory.Request r = c.requests.get(i);
        List<Object> v = new ArrayList<>(List.of(TableRows.exceptionId(c, r), c.id, World.POLICIES.get(r.policy),
            c.segmentName(), String.format("T%02d", r.team + 1), r.granted, TableRows.timestamp(r.day),
            r.propensity, r.priorGrants365, r.tenureYears, r.channel, r.seen.hasClv() ? 1 : 0, r.seen.clv(),
            r.seen.historicalValue(), r.seen.risk() ? 1 : 0, r.seen.tenureDays(), r.seen.priorGrants365(),
            r.seen.priorRequests365(), r.seen.events90(), c.hidden));
        // The total effect of this decision: later decisions inside the longest window are made again.
        double window = Math.max(HORIZONS[HORIZONS.length - 1], REFERRAL_WINDOWS[REFERRAL_WINDOWS.length - 1]);
        CustomerStory.History on = c.counterfactual(i, true, window);
        CustomerStory.History off = c.counterfactual(i, false, window);
        for (int h : HORIZONS) {
          v.add(c.expectedRetention(i, on, h, inactivity) - c.expectedRetention(i, off, h, inactivity));
          double end = r.day + h;
          boolean mature = end <= c.endDay;
          boolean retained = !c.churnedWithin(r.day, end)
              && anyWithin(activity, end - Math.min(inactivity, h), end);
          v.add(mature ? (retained ? 1.0 : 0.0) : null);
        }
        for (int w : REFERRAL_WINDOWS) {
          v.add(c.expectedReferrals(i, on, w) - c.expectedReferrals(i, off, w));
          double end = r.day + w;
          int converted = 0;
          if (c == base) {
            for (CustomerStory.Referral ref : c.referrals) {
              if (ref.converted && ref.day > r.day && ref.day <= end) {
                converted++;
              }
            }
          }
          v.add(end <= c.endDay ? (double) converted : null);
        }
        out.add(RowFactory.create(v.toArray()));
      }
    }
    return out;
  }

  /** Whether any sorted day lies in (from, to]. */
  static boolean anyWithin(double[] sorted, double from, double to) {
    int i = java.util.Arrays.binarySearch(sorted, from);
    int next = i >= 0 ? i + 1 : -i - 1;
    while (next < sorted.length && sorted[next] <= from) {
      next++;
    }
    return next < sorted.length && sorted[next] <= to;
  }
}
