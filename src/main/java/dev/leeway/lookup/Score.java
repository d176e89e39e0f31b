package dev.leeway.lookup;

import java.time.LocalDate;
import java.util.List;

/**
 * One published recommendation (scores contract version 2, docs/scores.md): what a frontline tool needs to flex or
 * hold the line, how much, and why.
 */
public record Score(
    String customerId, String policy, String recommendation, double maxConcession, Double expectedNetValue,
    double upliftRetention, double upliftReferrals, boolean upliftCalibrated, List<String> outsideSupport,
    List<String> reasonCodes, List<Reason> reasons, String modelVersion, LocalDate runDate, LocalDate validUntil) {

  /** A feature that pushed the predicted uplift: its name, "raises" or "lowers", by how much, in plain words. */
  public record Reason(String feature, String direction, double effect, String text) {}

  public boolean isFlex() {
    return "FLEX".equals(recommendation);
  }
}
