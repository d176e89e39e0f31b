package dev.leeway.causal.nuisance;

/**
 * The penalised normal equations of a pooled model with a deviation per group: a row of group g is predicted from
 * z (beta + delta_g), a row of no group from z beta, and the penalty is beta' P0 beta + sum delta_g' P_g delta_g
 * with diagonal P0 and P_g. In blocks:
 *
 * <pre>
 *   [ H_rest + sum_g H_g + P0    H_1 ... H_G ] [ beta    ]   [ r_0 ]
 *   [ H_g                        H_g + P_g   ] [ delta_g ] = [ r_g ]
 * </pre>
 *
 * Each delta_g is eliminated with one d x d inverse, so the cost grows linearly with the number of groups (a joint
 * solve would grow with its cube). The factorisations happen once; {@link #solve} can be called many times.
 */
final class ArrowSystem {
  /** beta and one delta per group. */
  record Solution(double[] beta, double[][] delta) {}

  private final int d;
  private final double[][] penalties;
  private final double[][] inverses;
  private final double[] schurFactor;

  /**
   * @param hRest the cross-products of rows of no group (d x d, full storage, column-major)
   * @param hGroups the cross-products of each group's rows (null for a group without rows)
   * @param p0 the pooled penalty (diagonal, may hold zeros, e.g. for the intercept)
   * @param pGroups each group's penalty (diagonal, every entry positive)
   */
  ArrowSystem(int d, double[] hRest, double[][] hGroups, double[] p0, double[][] pGroups, String what) {
    this.d = d;
    int groups = hGroups.length;
    this.penalties = pGroups;
    this.inverses = new double[groups][];
    double[] schur = hRest.clone();
    double trace = 0;
    for (int i = 0; i < d; i++) {
      schur[i + i * d] += p0[i];
    }
    for (int g = 0; g < groups; g++) {
      double[] p = pGroups[g];
      double[] a = hGroups[g] == null ? new double[d * d] : hGroups[g].clone();
      for (int i = 0; i < d; i++) {
        a[i + i * d] += p[i];
      }
      double[] m = Spd.inverse(Spd.factor(a, d, what), d);
      inverses[g] = m;
      // H_g - H_g (H_g + P_g)^-1 H_g = P_g - P_g (H_g + P_g)^-1 P_g
      for (int j = 0; j < d; j++) {
        for (int i = 0; i < d; i++) {
          schur[i + j * d] -= p[i] * m[i + j * d] * p[j];
        }
        schur[j + j * d] += p[j];
      }
    }
    for (int i = 0; i < d; i++) {
      trace += Math.abs(schur[i + i * d]);
    }
    // A whisker of ridge keeps the factorisation stable when a direction has neither data nor penalty.
    double jitter = 1e-12 * Math.max(trace / d, 1e-300);
    for (int i = 0; i < d; i++) {
      schur[i + i * d] += jitter;
    }
    this.schurFactor = Spd.factor(schur, d, what);
  }

  int groups() {
    return inverses.length;
  }

  /** Solves for the right-hand sides r_0 (pooled) and r_g (per group; null counts as zero). */
  Solution solve(double[] r0, double[][] rGroups) {
    int groups = inverses.length;
    double[][] y = new double[groups][];
    double[] rhs = r0.clone();
    for (int g = 0; g < groups; g++) {
      double[] r = rGroups[g] == null ? new double[d] : rGroups[g];
      y[g] = Spd.times(inverses[g], d, r);
      double[] p = penalties[g];
      for (int i = 0; i < d; i++) {
        // H_g y_g = r_g - P_g y_g
        rhs[i] -= r[i] - p[i] * y[g][i];
      }
    }
    double[] beta = Spd.solve(schurFactor, d, rhs);
    double[][] delta = new double[groups][];
    for (int g = 0; g < groups; g++) {
      double[] p = penalties[g];
      double[] pBeta = new double[d];
      for (int i = 0; i < d; i++) {
        pBeta[i] = p[i] * beta[i];
      }
      double[] mpb = Spd.times(inverses[g], d, pBeta);
      delta[g] = new double[d];
      for (int i = 0; i < d; i++) {
        delta[g][i] = y[g][i] - beta[i] + mpb[i];
      }
    }
    return new Solution(beta, delta);
  }
}
