package dev.leeway.causal;

import java.io.Serializable;

/**
 * How strong an unobserved confounder would have to be to explain an effect away. {@code robustnessValue}: the
 * share of residual variation (of the outcome, and of the grant decision's weights) a confounder must explain to
 * bring the estimate to zero; {@code robustnessValueAtInterval}: to bring its 95% interval to include zero;
 * {@code biasBound}: the largest shift a confounder of the configured strength could cause.
 */
public record Sensitivity(Double robustnessValue, Double robustnessValueAtInterval, Double biasBound,
    Verdict verdict) implements Serializable {
  /** What the numbers mean for a reader. */
  public enum Verdict {
    /** The effect survives a confounder of the configured strength. */
    ROBUST,
    /** The effect is significant, but a confounder weaker than the configured strength could explain it away. */
    FRAGILE,
    /** There is no significant effect to explain away. */
    NOT_SIGNIFICANT,
    /** Not computable (too few rows, or degenerate propensities). */
    UNDEFINED
  }
}
