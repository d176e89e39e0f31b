package dev.leeway.causal;

import java.io.Serializable;
import java.util.List;

/**
 * What the evaluated requests contribute to the values of targeting rules, summed so that Spark never ships rows to
 * the driver. Each customer (cluster) c contributes v_c = (n_c, Phi_c,1, ..., Phi_c,R): their number of requests
 * and, per rule k, the sum of their requests' doubly robust scores phi_k. {@code s} is the sum of v_c over customers
 * and {@code m} the sum of v_c v_c' (row-major, (R+1) x (R+1)). A rule's value is the ratio s[k] / s[0], so its
 * influence function summed within a customer, (Phi_c,k - n_c V_k) / N, is linear in v_c and its cluster-robust
 * variance is a quadratic form in m; so is that of a difference between two rules.
 */
public record RuleMoments(List<String> rules, long clusters, double[] s, double[] m) implements Serializable {

  public RuleMoments {
    rules = List.copyOf(rules);
    int w = rules.size() + 1;
    if (s.length != w || m.length != w * w) {
      throw new IllegalArgumentException("moments of width " + w + " expected for rules " + rules);
    }
  }

  /** The number of evaluated requests N. */
  public double requests() {
    return s[0];
  }

  /** V(pi) = mean phi over the evaluated requests, with its cluster-robust standard error. */
  public Interval value(String rule) {
    int k = slot(rule);
    double n = s[0];
    double v = s[k] / n;
    double[] l = new double[s.length];
    l[0] = -v / n;
    l[k] = 1 / n;
    return new Interval(v, ClusteredSums.clusterSe(l, m, clusters));
  }

  /**
   * V(rule) - V(baseline) on the same requests: the mean of phi_rule - phi_baseline, whose per-customer sums give its
   * cluster-robust standard error (exactly 0 when the rule is the baseline).
   */
  public Interval difference(String rule, String baseline) {
    int k = slot(rule);
    int b = slot(baseline);
    if (k == b) {
      return new Interval(0, 0);
    }
    double n = s[0];
    double d = (s[k] - s[b]) / n;
    double[] l = new double[s.length];
    l[0] = -d / n;
    l[k] = 1 / n;
    l[b] = -1 / n;
    return new Interval(d, ClusteredSums.clusterSe(l, m, clusters));
  }

  private int slot(String rule) {
    int i = rules.indexOf(rule);
    if (i < 0) {
      throw new IllegalArgumentException("Cannot compare rule " + rule + ": it was not evaluated (rules: " + rules
          + ")");
    }
    return i + 1;
  }
}
