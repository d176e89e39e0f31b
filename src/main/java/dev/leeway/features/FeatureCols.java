package dev.leeway.features;

import dev.leeway.config.LeewayConfig.FeatureSettings;
import java.util.ArrayList;
import java.util.List;

/** Names of the point-in-time feature columns, and which of them models use. */
public final class FeatureCols {
  private FeatureCols() {}

  /** Input of the feature builder: the customer and the instant features are taken at (exclusive). */
  public static final String INDEX_AT = "index_at";

  public static final String SEGMENT = "segment";
  public static final String REGION = "region";
  public static final String CUSTOMER_CHANNEL = "customer_channel";
  public static final String TENURE_DAYS = "tenure_days";

  public static final String CLV = "clv";
  public static final String HISTORICAL_VALUE = "historical_value";
  public static final String CLV_AS_OF_DATE = "clv_as_of_date";
  public static final String CLV_AGE_DAYS = "clv_age_days";
  public static final String HAS_CLV = "has_clv";
  public static final String RISK_FLAG = "risk_flag";

  public static final String DAYS_SINCE_LAST_ACTIVITY = "days_since_last_activity";
  public static final String HAS_ACTIVITY = "has_activity";
  public static final String CHURNED_BEFORE = "churned_before";

  public static final String DAYS_SINCE_LAST_GRANT = "days_since_last_grant";
  public static final String HAS_PRIOR_GRANT = "has_prior_grant";

  /** Value of categorical features that are missing. */
  public static final String UNKNOWN = "UNKNOWN";
  /** Level a model gives every category it does not keep (rare, or new at scoring); see {@link ModelFeatures}. */
  public static final String OTHER = "OTHER";

  /** The flag of an extra numeric column: 1 when the customer has a value, 0 when it is missing. */
  public static String has(String column) {
    return "has_" + column;
  }

  public static String events(int days) {
    return "events_" + days + "d";
  }

  public static String spend(int days) {
    return "spend_" + days + "d";
  }

  public static String referralsMade(int days) {
    return "referrals_made_" + days + "d";
  }

  public static String priorRequests(int days) {
    return "prior_requests_" + days + "d";
  }

  public static String priorGrants(int days) {
    return "prior_grants_" + days + "d";
  }

  /** Categorical customer features, in a fixed order. */
  public static List<String> categorical(FeatureSettings s) {
    List<String> out = new ArrayList<>(List.of(SEGMENT, REGION, CUSTOMER_CHANNEL));
    out.addAll(s.extraCustomerColumns());
    return out;
  }

  /** Numeric features (never null), in a fixed order. */
  public static List<String> numeric(FeatureSettings s) {
    List<String> out = new ArrayList<>(List.of(TENURE_DAYS, CLV, HISTORICAL_VALUE, CLV_AGE_DAYS, HAS_CLV, RISK_FLAG));
    for (int w : s.windowsDays()) {
      out.add(events(w));
      out.add(spend(w));
    }
    out.addAll(List.of(DAYS_SINCE_LAST_ACTIVITY, HAS_ACTIVITY, CHURNED_BEFORE));
    for (int w : s.windowsDays()) {
      out.add(referralsMade(w));
    }
    out.addAll(List.of(priorRequests(s.priorExceptionsDays()), priorGrants(s.priorExceptionsDays()),
        DAYS_SINCE_LAST_GRANT, HAS_PRIOR_GRANT));
    for (String c : s.extraNumericColumns()) {
      out.add(c);
      out.add(has(c));
    }
    return out;
  }
}
