package dev.leeway.causal;

import java.util.Arrays;
import java.util.Comparator;

/** Benjamini-Hochberg q-values: the smallest false discovery rate at which each test would be called significant. */
public final class MultipleTesting {
  private MultipleTesting() {}

  /** q-values in the order of {@code p}; NaN p-values are not counted as tests and get NaN. */
  public static double[] benjaminiHochberg(double[] p) {
    Integer[] order = new Integer[p.length];
    int m = 0;
    for (int i = 0; i < p.length; i++) {
      if (!Double.isNaN(p[i])) {
        order[m++] = i;
      }
    }
    Integer[] tests = Arrays.copyOf(order, m);
    Arrays.sort(tests, Comparator.comparingDouble(i -> p[i]));
    double[] q = new double[p.length];
    Arrays.fill(q, Double.NaN);
    double running = 1.0;
    for (int rank = m; rank >= 1; rank--) {
      int i = tests[rank - 1];
      running = Math.min(running, p[i] * m / rank);
      q[i] = Math.min(1.0, running);
    }
    return q;
  }
}
