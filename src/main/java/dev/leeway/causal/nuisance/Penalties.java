package dev.leeway.causal.nuisance;

/**
 * Ridge penalties of the nuisance models, each on the scale of its feature's variance so that they do not depend
 * on units, and each worth a number of pseudo-requests: the pooled model gets {@code ridgeRows * var_j} (pseudo-rows at
 * no effect, which matter on a few hundred requests and fade on many), a group's deviation {@code rows * var_gj}
 * (pseudo-requests at the pooled fit: a policy with far more requests than that gets a model of its own, one with
 * fewer stays close to the pooled model).
 */
final class Penalties {
  private Penalties() {}

  /** Variances from the unweighted moments n, sum z_j and sum z_j^2 (index 0 is the intercept). */
  static double[] variances(double n, double[] sum, double[] sumSq) {
    double[] var = new double[sum.length];
    if (n <= 0) {
      return var;
    }
    for (int j = 1; j < sum.length; j++) {
      double mean = sum[j] / n;
      double v = sumSq[j] / n - mean * mean;
      var[j] = v > 1e-12 * (1 + mean * mean) ? v : 0.0;
    }
    return var;
  }

  /** The pooled penalty: free intercept; a feature constant everywhere is pinned at 0. */
  static double[] pooled(double n, double[] var, double ridgeRows) {
    double[] p = new double[var.length];
    for (int j = 1; j < var.length; j++) {
      p[j] = var[j] > 0 ? ridgeRows * var[j] : Math.max(n, 1.0);
    }
    return p;
  }

  /**
   * A group's penalty from its own variances; a feature constant within the group (its deviation is not
   * identified) falls back to the pooled variance, and every entry stays positive. The intercept's deviation is
   * nearly free (one pseudo-row): features are not centred, so a slope's deviation moves the group's mean, which
   * the intercept must be free to take back; the penalty on slopes is then a penalty on the shape of the rule.
   */
  static double[] group(double[] groupVar, double[] pooledVar, double rows) {
    double[] p = new double[groupVar.length];
    p[0] = Math.min(rows, 1.0);
    for (int j = 1; j < groupVar.length; j++) {
      double v = groupVar[j] > 1e-6 * pooledVar[j] && groupVar[j] > 0 ? groupVar[j] : pooledVar[j];
      p[j] = rows * (v > 0 ? v : 1.0);
    }
    return p;
  }

  /** The variances of the rows whose cross-products (with the intercept at index 0) are {@code gram}. */
  static double[] fromGram(double[] gram, int d) {
    double n = gram[0];
    double[] sum = new double[d];
    double[] sumSq = new double[d];
    for (int j = 0; j < d; j++) {
      sum[j] = gram[j * d];
      sumSq[j] = gram[j + j * d];
    }
    return variances(n, sum, sumSq);
  }
}
