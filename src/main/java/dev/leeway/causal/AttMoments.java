package dev.leeway.causal;

import java.io.Serializable;

/**
 * What one cell's matured rows of one outcome contribute to the ATT estimators, summed so that Spark never ships
 * rows to the driver. Each customer (cluster) c contributes its row sums v_c = (T, C, TY, CY, Cw, CwY, A), with
 * C = 1 - T, w = e/(1-e) (clipped propensity) and A = T(Y - mu0) - C w (Y - mu0); {@code s} is the sum of v_c and
 * {@code m} the sum of v_c v_c' (7 x 7, row-major). Every estimator below is a ratio of sums of v, so its
 * influence function summed within a customer is linear in v_c and its cluster-robust variance is a quadratic form
 * in m. {@code sigma} = sum (Y - mu_T)^2 and {@code nu} = sum [T (1+e)/(1-e) - C w^2] feed the sensitivity analysis.
 */
public record AttMoments(long rows, long clusters, double[] s, double[] m, double sigma, double nu)
    implements Serializable {
  public static final int T = 0, C = 1, TY = 2, CY = 3, CW = 4, CWY = 5, A = 6, WIDTH = 7;

  public AttMoments {
    if (s.length != WIDTH || m.length != WIDTH * WIDTH) {
      throw new IllegalArgumentException("moments of width " + WIDTH + " expected");
    }
  }

  /** An empty cell. */
  public static AttMoments empty() {
    return new AttMoments(0, 0, new double[WIDTH], new double[WIDTH * WIDTH], 0, 0);
  }

  /** Adds one customer's row sums (rows, v_c, and its sigma and nu terms): the plain-Java path tests use. */
  public AttMoments plus(long clusterRows, double[] v, double sigmaTerm, double nuTerm) {
    double[] s2 = s.clone();
    double[] m2 = m.clone();
    for (int i = 0; i < WIDTH; i++) {
      s2[i] += v[i];
      for (int j = 0; j < WIDTH; j++) {
        m2[i * WIDTH + j] += v[i] * v[j];
      }
    }
    return new AttMoments(rows + clusterRows, clusters + 1, s2, m2, sigma + sigmaTerm, nu + nuTerm);
  }

  public double treated() {
    return s[T];
  }

  public double control() {
    return s[C];
  }

  /** Treated mean minus control mean. */
  public Interval naive() {
    double nT = s[T];
    double nC = s[C];
    double mT = s[TY] / nT;
    double mC = s[CY] / nC;
    double[] l = new double[WIDTH];
    l[T] = -mT / nT;
    l[TY] = 1 / nT;
    l[C] = mC / nC;
    l[CY] = -1 / nC;
    return new Interval(mT - mC, se(l));
  }

  /** IPW for the ATT: treated weight 1, control weight e/(1-e), each arm normalised. */
  public Interval ipw() {
    double nT = s[T];
    double a = s[TY] / nT;
    double b = s[CWY] / s[CW];
    double[] l = new double[WIDTH];
    l[T] = -a / nT;
    l[TY] = 1 / nT;
    l[CW] = b / s[CW];
    l[CWY] = -1 / s[CW];
    return new Interval(a - b, se(l));
  }

  /**
   * The doubly robust ATT (DoubleML's ATTE score): sum[T(Y - mu0) - C w (Y - mu0)] / n_T, consistent when either the
   * propensity or mu0 is right. Its influence function per customer is (A_c - theta T_c) / n_T.
   */
  public Interval doublyRobust() {
    double nT = s[T];
    double theta = s[A] / nT;
    double[] l = new double[WIDTH];
    l[T] = -theta / nT;
    l[A] = 1 / nT;
    return new Interval(theta, se(l));
  }

  /**
   * sqrt(G/(G-1) l' M l): the cluster-robust standard error of an estimator whose influence function summed within a
   * customer is l . v_c (G customers; with one row per customer this is the usual influence-function error).
   */
  double se(double[] l) {
    return ClusteredSums.clusterSe(l, m, clusters);
  }

  /**
   * The sensitivity of the doubly robust ATT to an unobserved confounder (Chernozhukov, Cinelli, Newey, Sharma and
   * Syrgkanis 2022, as DoubleML computes it for the ATTE): the bias a confounder can cause is at most
   * rho * sqrt(cf_y cf_d / (1 - cf_d)) * sqrt(sigma2 nu2), where cf_y is the share of the outcome's residual
   * variation it explains and cf_d its share of the Riesz representer's variation (rho = 1, the worst case).
   */
  public Sensitivity sensitivity(double strength) {
    double n = s[T] + s[C];
    double p = s[T] / n;
    double sigma2 = sigma / n;
    double nu2 = nu / (n * p * p);
    Interval dr = doublyRobust();
    if (!(sigma2 > 0) || !(nu2 > 0) || !Double.isFinite(dr.se())) {
      return new Sensitivity(null, null, null, Sensitivity.Verdict.UNDEFINED);
    }
    double scale = Math.sqrt(sigma2 * nu2);
    double rv = robustnessValue(Math.abs(dr.value()) / scale);
    double rva = robustnessValue(Math.max(0, Math.abs(dr.value()) - Interval.Z95 * dr.se()) / scale);
    double bound = strength >= 1 ? Double.POSITIVE_INFINITY : strength / Math.sqrt(1 - strength) * scale;
    Sensitivity.Verdict verdict = !dr.excludesZero() ? Sensitivity.Verdict.NOT_SIGNIFICANT
        : rva >= strength ? Sensitivity.Verdict.ROBUST : Sensitivity.Verdict.FRAGILE;
    return new Sensitivity(rv, rva, bound, verdict);
  }

  /** The strength cf = cf_y = cf_d at which the bias bound cf / sqrt(1 - cf) * scale reaches a * scale. */
  static double robustnessValue(double a) {
    if (a <= 0) {
      return 0;
    }
    double a2 = a * a;
    return (-a2 + Math.sqrt(a2 * a2 + 4 * a2)) / 2;
  }
}
