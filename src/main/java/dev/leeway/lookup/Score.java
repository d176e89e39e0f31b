package dev.leeway.lookup;

import java.time.LocalDate;
import java.util.List;

/**
 * One published recommendation (scores contract version 3, docs/scores.md): if this customer asks for this policy
 * today, what a frontline tool needs to flex or hold the line, how much, and why. {@code pastGrants} are the
 * customer's actual grants in the sporadic-cap window up to the run date and {@code sporadicCap} the grants at which
 * they are held for every policy: {@link #recommendationAfter(int)} applies the cap to grants made since.
 */
public record Score(
    String customerId, String policy, String recommendation, double maxConcession, Double expectedNetValue,
    Double flexThreshold, Double entitlementCost, double upliftRetention, double upliftReferrals,
    boolean upliftCalibrated, List<String> outsideSupport, long pastGrants, int sporadicCap,
    double expectedRequestsPerDay, List<String> reasonCodes, List<Reason> reasons, String modelVersion,
    LocalDate runDate, LocalDate validUntil) {

  /** A feature that pushed the predicted uplift: its name, "raises" or "lowers", by how much, in plain words. */
  public record Reason(String feature, String direction, double effect, String text) {}

  public boolean isFlex() {
    return "FLEX".equals(recommendation);
  }

  /**
   * The recommendation at the moment of the request, given the grants (of any policy) the customer has had since
   * the run date: HOLD_LINE once those and {@link #pastGrants()} reach {@link #sporadicCap()}, else the published
   * one. The published recommendation already counts every grant up to the run date.
   */
  public String recommendationAfter(int grantsSinceRunDate) {
    if (grantsSinceRunDate < 0) {
      throw new IllegalArgumentException("grants since the run date cannot be negative: " + grantsSinceRunDate);
    }
    return pastGrants + grantsSinceRunDate >= sporadicCap ? "HOLD_LINE" : recommendation;
  }
}
