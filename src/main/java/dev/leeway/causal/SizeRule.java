package dev.leeway.causal;

import java.io.Serializable;

/**
 * When a cell gets no estimate, only a flag: each arm needs {@code minArmRows} matured rows; cells below a policy
 * (policy x segment, policy x team) and the segment and team totals also need {@code minCellRows} in all, because
 * there are many of them. A whole policy with few requests still gets its estimate, with an honest, wide interval.
 */
public record SizeRule(int minCellRows, int minArmRows) implements Serializable {
  public boolean tooSmall(Level level, long rows, double treated, double control) {
    if (treated < minArmRows || control < minArmRows) {
      return true;
    }
    boolean perPolicy = level == Level.POLICY || level == Level.OVERALL;
    return !perPolicy && rows < minCellRows;
  }
}
