package dev.leeway.causal;

import java.io.Serializable;

/**
 * One outcome effects are estimated for: its name in outputs, the requests-table column holding it (null when
 * immature), the horizon or window in days, and its kind (retention, referrals, a money value for ROI, or the
 * negative control: something before the request that no grant can have caused).
 */
public record EffectOutcome(String name, String column, int days, Kind kind) implements Serializable {
  /** What the outcome measures. */
  public enum Kind { RETENTION, REFERRALS, RETAINED_VALUE, REFERRAL_VALUE, NEGATIVE_CONTROL }

  /** Column of the outcome model's prediction for arm t (0 denied, 1 granted). */
  public String mu(int t) {
    return "__mu" + t + "_" + name;
  }
}
