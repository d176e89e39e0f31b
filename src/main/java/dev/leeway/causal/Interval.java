package dev.leeway.causal;

import java.io.Serializable;

/** An estimate with its standard error, its 95% interval and the two-sided p-value of "no effect". */
public record Interval(double value, double se) implements Serializable {
  public static final double Z95 = 1.959963984540054;

  public double low() {
    return value - Z95 * se;
  }

  public double high() {
    return value + Z95 * se;
  }

  /** The interval excludes zero. */
  public boolean excludesZero() {
    return low() > 0 || high() < 0;
  }

  public double pValue() {
    if (!(se > 0)) {
      return value == 0 ? 1.0 : 0.0;
    }
    return 2 * Normal.upperTail(Math.abs(value / se));
  }
}
