package dev.leeway.causal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Customers make several requests whose outcome windows overlap, so their outcomes move together. Summing the
 * influence function within each customer gives intervals that cover at their nominal rate; treating requests as
 * independent does not. 400 simulated data sets of 300 customers with 1 to 9 requests each.
 */
class ClusteredErrorsTest {
  private static final int REPLICATES = 400;
  private static final int CUSTOMERS = 300;

  private static double sigmoid(double x) {
    return 1 / (1 + Math.exp(-x));
  }

  /** E over u ~ N(0,1) of sigmoid(a + b u + c) - sigmoid(a + b u): the true effect of every grant. */
  private static double trueEffect() {
    double s = 0, w = 0;
    for (double u = -8; u <= 8; u += 0.001) {
      double density = Math.exp(-u * u / 2);
      s += density * (sigmoid(0.3 + 1.5 * u + 0.4) - sigmoid(0.3 + 1.5 * u));
      w += density;
    }
    return s / w;
  }

  @Test
  void clusterRobustIntervalsCoverWhereRowLevelOnesDoNot() {
    double truth = trueEffect();
    double mean0 = 0;
    for (double u = -8, w = 0; u <= 8; u += 0.001) {
      w += Math.exp(-u * u / 2);
      mean0 += Math.exp(-u * u / 2) * sigmoid(0.3 + 1.5 * u);
      if (u + 0.001 > 8) {
        mean0 /= w;
      }
    }
    int clustered = 0, rowLevel = 0;
    SplittableRandom r = new SplittableRandom(7);
    for (int rep = 0; rep < REPLICATES; rep++) {
      AttMoments byCustomer = AttMoments.empty();
      AttMoments byRow = AttMoments.empty();
      for (int c = 0; c < CUSTOMERS; c++) {
        double u = Math.sqrt(-2 * Math.log(1 - r.nextDouble())) * Math.cos(2 * Math.PI * r.nextDouble());
        // Staff tend to decide alike for the same customer; the customer's fate is shared by all their requests.
        double grantRate = r.nextDouble() < 0.5 ? 0.1 : 0.9;
        double fate = r.nextDouble();
        int requests = 1 + r.nextInt(9);
        double[] sum = new double[AttMoments.WIDTH];
        for (int j = 0; j < requests; j++) {
          double t = r.nextDouble() < grantRate ? 1 : 0;
          double y = fate < sigmoid(0.3 + 1.5 * u + 0.4 * t) ? 1 : 0;
          // e = 0.5 is the propensity given what is observed (nothing); mu0 is the denied outcome's mean.
          double w = 1.0;
          double r0 = y - mean0;
          double[] v = {t, 1 - t, t * y, (1 - t) * y, (1 - t) * w, (1 - t) * w * y, t * r0 - (1 - t) * w * r0};
          byRow = byRow.plus(1, v, 0, 0);
          for (int k = 0; k < v.length; k++) {
            sum[k] += v[k];
          }
        }
        byCustomer = byCustomer.plus(requests, sum, 0, 0);
      }
      Interval a = byCustomer.doublyRobust();
      Interval b = byRow.doublyRobust();
      clustered += a.low() <= truth && truth <= a.high() ? 1 : 0;
      rowLevel += b.low() <= truth && truth <= b.high() ? 1 : 0;
    }
    String ctx = String.format("true effect %.4f; coverage of 95%% intervals: by customer %d/%d, by request %d/%d",
        truth, clustered, REPLICATES, rowLevel, REPLICATES);
    System.out.println("clustered errors: " + ctx);
    assertTrue(clustered >= 0.92 * REPLICATES, "cluster-robust intervals cover at about 95%: " + ctx);
    assertTrue(rowLevel <= 0.85 * REPLICATES, "row-level intervals are too narrow: " + ctx);
  }
}
