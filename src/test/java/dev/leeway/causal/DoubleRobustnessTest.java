package dev.leeway.causal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The doubly robust ATT stays on the truth when either nuisance is wrong: a main-effects logistic propensity fitted to
 * a quadratic grant rule with right outcome models, or the right propensity with a wrong outcome model. The formula
 * the project used before (the ATE pseudo-outcome weighted by e) fails the first case. Simulated in plain Java,
 * 40 data sets of 20,000 requests each.
 */
class DoubleRobustnessTest {
  private static final int REPLICATES = 40;
  private static final int N = 20_000;

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  /** One simulated data set: x1, x2, true e, mu0, mu1, t, y. */
  private record Data(double[] x1, double[] x2, double[] e, double[] mu0, double[] mu1, double[] t, double[] y) {
    static Data draw(long seed) {
      SplittableRandom r = new SplittableRandom(seed);
      double[] x1 = new double[N], x2 = new double[N], e = new double[N], mu0 = new double[N], mu1 = new double[N],
          t = new double[N], y = new double[N];
      for (int i = 0; i < N; i++) {
        x1[i] = gaussian(r);
        x2[i] = gaussian(r);
        // Staff grant to the extremes of x1 (a rule symmetric in x1, which no main effect can follow), where the
        // grant also does the most.
        double bend = x1[i] * x1[i] / (1 + x1[i] * x1[i]);
        e[i] = sigmoid(-1.5 + 3.0 * bend + 0.5 * x2[i]);
        mu0[i] = 0.55 + 0.15 * Math.tanh(x2[i]) + 0.05 * Math.tanh(x1[i]);
        mu1[i] = mu0[i] + 0.2 * bend;
        t[i] = r.nextDouble() < e[i] ? 1 : 0;
        y[i] = r.nextDouble() < (t[i] == 1 ? mu1[i] : mu0[i]) ? 1 : 0;
      }
      return new Data(x1, x2, e, mu0, mu1, t, y);
    }

    double att() {
      double s = 0, n = 0;
      for (int i = 0; i < N; i++) {
        s += t[i] * (mu1[i] - mu0[i]);
        n += t[i];
      }
      return s / n;
    }

    /** A main-effects logistic regression of t on (1, x1, x2), by Newton: misspecified for the quadratic rule. */
    double[] mainEffectsPropensity() {
      double[] b = new double[3];
      for (int it = 0; it < 25; it++) {
        double[] g = new double[3];
        double[][] h = new double[3][3];
        for (int i = 0; i < N; i++) {
          double[] z = {1, x1[i], x2[i]};
          double p = sigmoid(b[0] + b[1] * z[1] + b[2] * z[2]);
          for (int a = 0; a < 3; a++) {
            g[a] += z[a] * (t[i] - p);
            for (int c = 0; c < 3; c++) {
              h[a][c] += p * (1 - p) * z[a] * z[c];
            }
          }
        }
        double[] step = solve3(h, g);
        for (int a = 0; a < 3; a++) {
          b[a] += step[a];
        }
      }
      double[] out = new double[N];
      for (int i = 0; i < N; i++) {
        out[i] = sigmoid(b[0] + b[1] * x1[i] + b[2] * x2[i]);
      }
      return out;
    }
  }

  private static double gaussian(SplittableRandom r) {
    return Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
  }

  private static double[] solve3(double[][] a, double[] b) {
    double det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
        + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    double[] x = new double[3];
    for (int k = 0; k < 3; k++) {
      double[][] m = {a[0].clone(), a[1].clone(), a[2].clone()};
      for (int r = 0; r < 3; r++) {
        m[r][k] = b[r];
      }
      x[k] = (m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
          + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])) / det;
    }
    return x;
  }

  /** The doubly robust ATT from the project's moments, one customer per row. */
  private static Interval doublyRobust(Data d, double[] e, double[] mu0) {
    AttMoments m = AttMoments.empty();
    for (int i = 0; i < N; i++) {
      double t = d.t()[i];
      double w = e[i] / (1 - e[i]);
      double r0 = d.y()[i] - mu0[i];
      double[] v = {t, 1 - t, t * d.y()[i], (1 - t) * d.y()[i], (1 - t) * w, (1 - t) * w * d.y()[i],
          t * r0 - (1 - t) * w * r0};
      m = m.plus(1, v, 0, 0);
    }
    return m.doublyRobust();
  }

  /** The formula used before: sum(e psi) / sum(e) with the ATE pseudo-outcome psi, and its influence function. */
  private static Interval oldFormula(Data d, double[] e, double[] mu0, double[] mu1) {
    double[] psi = new double[N];
    double se = 0, sep = 0;
    for (int i = 0; i < N; i++) {
      double t = d.t()[i];
      double y = d.y()[i];
      psi[i] = mu1[i] - mu0[i] + t * (y - mu1[i]) / e[i] - (1 - t) * (y - mu0[i]) / (1 - e[i]);
      se += e[i];
      sep += e[i] * psi[i];
    }
    double att = sep / se;
    double eBar = se / N;
    double ss = 0;
    for (int i = 0; i < N; i++) {
      double phi = e[i] * (psi[i] - att) / eBar;
      ss += phi * phi;
    }
    return new Interval(att, Math.sqrt(ss) / N);
  }

  private static boolean covers(Interval i, double truth) {
    return i.low() <= truth && truth <= i.high();
  }

  @Test
  void wrongPropensityRightOutcomeModel() {
    int drCovers = 0, oldCovers = 0;
    double drBias = 0, oldBias = 0;
    for (int r = 0; r < REPLICATES; r++) {
      Data d = Data.draw(1000 + r);
      double[] wrong = d.mainEffectsPropensity();
      double truth = d.att();
      Interval dr = doublyRobust(d, wrong, d.mu0());
      Interval old = oldFormula(d, wrong, d.mu0(), d.mu1());
      drCovers += covers(dr, truth) ? 1 : 0;
      oldCovers += covers(old, truth) ? 1 : 0;
      drBias += (dr.value() - truth) / REPLICATES;
      oldBias += (old.value() - truth) / REPLICATES;
    }
    String ctx = String.format("e wrong, mu right: DR coverage %d/%d, mean bias %.4f; old formula coverage %d/%d, "
        + "mean bias %.4f", drCovers, REPLICATES, drBias, oldCovers, REPLICATES, oldBias);
    System.out.println("double robustness: " + ctx);
    assertTrue(drCovers >= 0.85 * REPLICATES, "the DR interval covers the truth: " + ctx);
    assertTrue(Math.abs(drBias) < 0.003, "the DR estimate is unbiased: " + ctx);
    assertTrue(oldCovers <= 0.5 * REPLICATES, "the old formula misses the truth: " + ctx);
    assertTrue(Math.abs(oldBias) > 0.01, "the old formula is biased: " + ctx);
  }

  @Test
  void rightPropensityWrongOutcomeModel() {
    int drCovers = 0;
    double drBias = 0;
    for (int r = 0; r < REPLICATES; r++) {
      Data d = Data.draw(2000 + r);
      double truth = d.att();
      // The outcome model ignores the features entirely: the mean of the denied.
      double s = 0, n = 0;
      for (int i = 0; i < N; i++) {
        s += (1 - d.t()[i]) * d.y()[i];
        n += 1 - d.t()[i];
      }
      double[] constant = new double[N];
      java.util.Arrays.fill(constant, s / n);
      Interval dr = doublyRobust(d, d.e(), constant);
      drCovers += covers(dr, truth) ? 1 : 0;
      drBias += (dr.value() - truth) / REPLICATES;
    }
    String ctx = String.format("e right, mu wrong: DR coverage %d/%d, mean bias %.4f", drCovers, REPLICATES, drBias);
    System.out.println("double robustness: " + ctx);
    assertTrue(drCovers >= 0.85 * REPLICATES, "the DR interval covers the truth: " + ctx);
    assertTrue(Math.abs(drBias) < 0.005, "the DR estimate is unbiased: " + ctx);
  }
}
