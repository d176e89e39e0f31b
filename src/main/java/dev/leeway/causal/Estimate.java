package dev.leeway.causal;

import java.io.Serializable;

/**
 * The effect of granting on one outcome in one cell, for the granted requests inside the overlap: sample sizes,
 * and (unless the cell is too small) the naive difference, the IPW and doubly robust ATTs with cluster-robust 95%
 * intervals, the Benjamini-Hochberg q-value of the doubly robust one, the placebo beside it, its sensitivity to an
 * unobserved confounder, and the worst weighted imbalance of a feature on the rows it used.
 */
public record Estimate(
    Level level, String policy, String segment, String team, EffectOutcome outcome, CellSupport support,
    long matureRows, long matureTreated, long matureControl, long customers, boolean tooSmall,
    Interval naive, Interval ipw, Interval doublyRobust, Double qValue, boolean significant, Interval placebo,
    Sensitivity sensitivity, Double maxAbsSmdAfter, boolean balanceFlag) implements Serializable {

  /** The same estimate with its q-value and significance decided. */
  Estimate withQ(double q, double fdr) {
    return new Estimate(level, policy, segment, team, outcome, support, matureRows, matureTreated, matureControl,
        customers, tooSmall, naive, ipw, doublyRobust, q, q < fdr, placebo, sensitivity, maxAbsSmdAfter,
        balanceFlag);
  }
}
