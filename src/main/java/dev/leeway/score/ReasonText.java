package dev.leeway.score;

import dev.leeway.features.FeatureCols;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plain words for a feature's value, for reason codes ("long tenure (1,240 days)", "2 grants in the last 365
 * days"). Which features are named, and in which direction they pushed, comes from the model; this only says what
 * the customer's value is, compared with a typical customer's where "high" or "low" is the point.
 */
final class ReasonText {
  private ReasonText() {}

  private static final Pattern WINDOWED = Pattern.compile("(events|spend|referrals_made|prior_requests|prior_grants)_(\\d+)d");

  /**
   * @param feature the model feature
   * @param value the customer's value (numeric features)
   * @param typical the reference (typical customer's) value
   * @param label the customer's category (categorical features), else null
   * @param noHistoryDays the "days since" value of customers without such history
   */
  static String describe(String feature, double value, double typical, String label, int noHistoryDays) {
    if (label != null) {
      String name = switch (feature) {
        case FeatureCols.SEGMENT -> "segment";
        case FeatureCols.REGION -> "region";
        case FeatureCols.CUSTOMER_CHANNEL -> "customer channel";
        default -> feature.replace('_', ' ');
      };
      return name + " " + label;
    }
    boolean high = value > typical;
    Matcher m = WINDOWED.matcher(feature);
    if (m.matches()) {
      String window = "in the last " + window(Long.parseLong(m.group(2)));
      long n = Math.round(value);
      return switch (m.group(1)) {
        case "events" -> n == 0 ? "no activity " + window : count(n, "activity event") + " " + window;
        case "spend" -> value <= 0 ? "no spend " + window : "spent " + money(value) + " " + window;
        case "referrals_made" -> n == 0 ? "no referrals made " + window : count(n, "referral") + " made " + window;
        case "prior_requests" -> n == 0 ? "no exception requested " + window
            : count(n, "exception request") + " " + window;
        default -> n == 0 ? "no exception granted " + window : count(n, "grant") + " " + window;
      };
    }
    return switch (feature) {
      case FeatureCols.TENURE_DAYS -> (high ? "long" : "short") + " tenure (" + days(Math.round(value)) + ")";
      case FeatureCols.CLV -> (high ? "high" : "low") + " predicted lifetime value (" + money(value) + ")";
      case FeatureCols.HISTORICAL_VALUE -> (high ? "high" : "low") + " past value (" + money(value) + ")";
      case FeatureCols.CLV_AGE_DAYS -> value >= noHistoryDays ? "no lifetime-value assessment"
          : "lifetime value assessed " + days(Math.round(value)) + " ago";
      case FeatureCols.HAS_CLV -> value > 0 ? "has a lifetime-value assessment" : "no lifetime-value assessment";
      case FeatureCols.RISK_FLAG -> value > 0 ? "risk flag set" : "no risk flag";
      case FeatureCols.DAYS_SINCE_LAST_ACTIVITY -> value >= noHistoryDays ? "no recorded activity"
          : "last active " + days(Math.round(value)) + " ago";
      case FeatureCols.HAS_ACTIVITY -> value > 0 ? "has recorded activity" : "no recorded activity";
      case FeatureCols.CHURNED_BEFORE -> value > 0 ? "churned before and came back" : "never churned";
      case FeatureCols.DAYS_SINCE_LAST_GRANT -> value >= noHistoryDays ? "never granted an exception"
          : "last exception granted " + days(Math.round(value)) + " ago";
      case FeatureCols.HAS_PRIOR_GRANT -> value > 0 ? "has been granted an exception before"
          : "never granted an exception";
      default -> feature.replace('_', ' ') + " " + (high ? "high" : "low") + " (" + number(value) + ")";
    };
  }

  private static String window(long n) {
    if (n % 365 == 0 && n > 0) {
      return n == 365 ? "year" : n / 365 + " years";
    }
    return days(n);
  }

  private static String days(long n) {
    return n == 1 ? "1 day" : String.format(Locale.ROOT, "%,d days", n);
  }

  private static String count(long n, String what) {
    return String.format(Locale.ROOT, "%,d %s%s", n, what, n == 1 ? "" : "s");
  }

  private static String money(double v) {
    return String.format(Locale.ROOT, "%,.0f", v);
  }

  private static String number(double v) {
    return v == Math.rint(v) ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%,.2f", v);
  }
}
