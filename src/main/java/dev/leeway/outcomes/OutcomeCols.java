package dev.leeway.outcomes;

/** Names of the outcome columns of the requests table. */
public final class OutcomeCols {
  private OutcomeCols() {}

  public static final String TREATED = "treated";
  public static final String REFERRED_BY_FLEXED = "referred_by_flexed";
  public static final String REQUEST_CHANNEL = "request_channel";
  /**
   * The negative-control outcome: activity events in a window well before the request (null when the customer or the
   * data does not reach back that far). No grant can have caused it.
   */
  public static final String NEGATIVE_CONTROL = "negative_control_events";

  /** 1 retained, 0 not, null when the horizon ends after the run date (immature). */
  public static String retained(int days) {
    return "retained_" + days + "d";
  }

  public static String mature(int days) {
    return "mature_" + days + "d";
  }

  public static String referralsMadeAfter(int days) {
    return "referrals_made_next_" + days + "d";
  }

  public static String referralsConvertedAfter(int days) {
    return "referrals_converted_next_" + days + "d";
  }

  public static String referredValueAfter(int days) {
    return "referred_value_next_" + days + "d";
  }

  public static String revenueAfter(int days) {
    return "revenue_next_" + days + "d";
  }
}
