package dev.leeway.causal;

import java.io.Serializable;

/**
 * The effect of granting on one outcome in one cell: sample sizes, and (unless the cell is too small) the naive
 * difference, the IPW and AIPW ATTs with 95% intervals, and the placebo AIPW beside them.
 */
public record Estimate(
    Level level, String policy, String segment, String team, EffectOutcome outcome,
    long rows, long rowsOutsideOverlap, long granted, long matureRows, long matureTreated, long matureControl,
    boolean tooSmall, AttSums.Estimate naive, AttSums.Estimate ipw, AttSums.Estimate aipw, AttSums.Estimate placebo,
    boolean balanceFlag) implements Serializable {}
