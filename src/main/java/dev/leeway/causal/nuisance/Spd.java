package dev.leeway.causal.nuisance;

import dev.ludovic.netlib.lapack.LAPACK;
import org.netlib.util.intW;

/** Dense symmetric positive-definite matrices (column-major, full storage), factorised by Cholesky through LAPACK. */
final class Spd {
  private Spd() {}

  /** The Cholesky factor of {@code a} (d x d); {@code a} is not changed. */
  static double[] factor(double[] a, int d, String what) {
    double[] l = a.clone();
    intW info = new intW(0);
    LAPACK.getInstance().dpotrf("U", d, l, d, info);
    if (info.val != 0) {
      throw new IllegalStateException("Cannot fit " + what + ": the penalised normal equations are not positive "
          + "definite (LAPACK dpotrf info " + info.val + "); raise leeway.effects.ridge_rows");
    }
    return l;
  }

  /** Solves {@code a x = b} from the factor of {@code a}; returns x. */
  static double[] solve(double[] factor, int d, double[] b) {
    double[] x = b.clone();
    intW info = new intW(0);
    LAPACK.getInstance().dpotrs("U", d, 1, factor, d, x, d, info);
    if (info.val != 0) {
      throw new IllegalStateException("dpotrs failed (info " + info.val + ")");
    }
    return x;
  }

  /** The inverse of {@code a} (full storage) from its factor. */
  static double[] inverse(double[] factor, int d) {
    double[] inv = factor.clone();
    intW info = new intW(0);
    LAPACK.getInstance().dpotri("U", d, inv, d, info);
    if (info.val != 0) {
      throw new IllegalStateException("dpotri failed (info " + info.val + ")");
    }
    for (int j = 0; j < d; j++) {
      for (int i = j + 1; i < d; i++) {
        inv[i + j * d] = inv[j + i * d];
      }
    }
    return inv;
  }

  /** y = a x for a full d x d matrix. */
  static double[] times(double[] a, int d, double[] x) {
    double[] y = new double[d];
    for (int j = 0; j < d; j++) {
      double xj = x[j];
      if (xj != 0) {
        int col = j * d;
        for (int i = 0; i < d; i++) {
          y[i] += a[col + i] * xj;
        }
      }
    }
    return y;
  }
}
