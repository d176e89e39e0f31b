package dev.leeway.generate;

/**
 * What staff see about a request when they decide: exactly the features the pipeline computes for it from the
 * written tables (as-of lifetime-value snapshot, tenure in whole days, counts strictly before the request time),
 * so that a grant rule built on it leaves no confounder unobserved.
 *
 * @param hasClv whether a snapshot dated before the request day exists
 * @param clv the snapshot's CLV as written (rounded to cents), 0 without a snapshot
 * @param historicalValue the snapshot's historical value as written, 0 without a snapshot
 * @param risk the snapshot's risk flag, false without a snapshot
 * @param tenureDays request date minus signup date
 * @param priorGrants365 grants requested in [request - 365 days, request)
 * @param priorRequests365 requests made in [request - 365 days, request)
 * @param events90 non-CHURN activity events in [request - 90 days, request)
 */
record Seen(boolean hasClv, double clv, double historicalValue, boolean risk, int tenureDays, int priorGrants365,
    int priorRequests365, int events90, int segment, int team, String channel) {
  /** Mean and standard deviation of log(clv) over requests that have a snapshot (measured on generated data). */
  static final double LOG_CLV_MEAN = 8.1;
  static final double LOG_CLV_SD = 1.5;
  /** Standardised log CLV staff assume for a customer with no snapshot yet: a little below the typical customer. */
  static final double NO_CLV_Z = -0.5;

  /** Standardised log CLV. */
  double clvZ() {
    return hasClv ? (Math.log(Math.max(clv, 1.0)) - LOG_CLV_MEAN) / LOG_CLV_SD : NO_CLV_Z;
  }

  double tenureYears() {
    return tenureDays / 365.0;
  }
}
