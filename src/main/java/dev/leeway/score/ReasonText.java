package dev.leeway.score;

import dev.leeway.features.FeatureCols;
import java.math.BigDecimal;
import java.math.RoundingMode;
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
    return n == 1 ? "1 day" : grouped(n) + " days";
  }

  private static String count(long n, String what) {
    return grouped(n) + " " + what + (n == 1 ? "" : "s");
  }

  /** The value to whole units with thousands separators, as {@code String.format(Locale.ROOT, "%,.0f", v)}. */
  static String money(double v) {
    return rounded(v, 0);
  }

  /** Whole values as {@link #money}; others to two decimals ({@code "%,.2f"}). */
  static String number(double v) {
    return rounded(v, v == Math.rint(v) ? 0 : 2);
  }

  // Reasons are put in words for every offered row: a Formatter (format string parsed, number symbols looked up) per
  // number cost more than the model's answers. These give the same text.

  /** {@code v} rounded half up to {@code scale} decimals (of its shortest decimal form, as Formatter does), grouped. */
  private static String rounded(double v, int scale) {
    if (Double.isNaN(v) || Double.isInfinite(v)) {
      return String.format(Locale.ROOT, "%,." + scale + "f", v);
    }
    // The sign is the value's own: Formatter writes -0.3 as "-0".
    boolean negative = Math.copySign(1.0, v) < 0;
    String digits = BigDecimal.valueOf(Math.abs(v)).setScale(scale, RoundingMode.HALF_UP).toPlainString();
    int point = digits.indexOf('.');
    String whole = point < 0 ? digits : digits.substring(0, point);
    return (negative ? "-" : "") + group(whole) + (point < 0 ? "" : digits.substring(point));
  }

  /** {@code n} with thousands separators, as {@code String.format(Locale.ROOT, "%,d", n)}. */
  static String grouped(long n) {
    String s = Long.toString(n);
    return n < 0 ? "-" + group(s.substring(1)) : group(s);
  }

  private static String group(String digits) {
    int first = digits.length() % 3 == 0 ? 3 : digits.length() % 3;
    StringBuilder b = new StringBuilder(digits.length() + digits.length() / 3).append(digits, 0, first);
    for (int i = first; i < digits.length(); i += 3) {
      b.append(',').append(digits, i, i + 3);
    }
    return b.toString();
  }
}
