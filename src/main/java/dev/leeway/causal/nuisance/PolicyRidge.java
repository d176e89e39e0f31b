package dev.leeway.causal.nuisance;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Cross-fitted outcome models mu_t(X) for every outcome and arm at once: ridge regressions on the {@link Design},
 * pooled over policies with a deviation per policy shrunk toward the pooled fit, all from one pass over the data.
 * Ridge needs only cross-products, so one aggregation collects them per fold, arm, maturity pattern (the set of
 * outcomes a row has matured for) and policy group; the model for fold k is then solved on the driver from the
 * sums over the other folds. Driver memory is a few d x d blocks per key, whatever the number of rows.
 */
final class PolicyRidge {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PolicyRidge.class);

  private final Design design;
  private final int folds;
  private final double ridgeRows;
  private final double shrinkRows;

  PolicyRidge(Design design, int folds, double ridgeRows, double shrinkRows) {
    this.design = design;
    this.folds = folds;
    this.ridgeRows = ridgeRows;
    this.shrinkRows = shrinkRows;
  }

  /**
   * Fits mu_0 and mu_1 for each outcome column (null where immature) of {@code data}; returns combined coefficients
   * {@code [outcome][arm][fold][group]}. An arm without matured rows gets zero coefficients (its cells are too small).
   */
  double[][][][][] fit(Dataset<Row> data, String vectorCol, String foldCol, String policyCol, String treatmentCol,
      List<String> outcomeCols) {
    int outcomes = outcomeCols.size();
    if (outcomes > 40) {
      throw new IllegalArgumentException("at most 40 outcomes can be fitted together, got " + outcomes);
    }
    List<Column> cols = new ArrayList<>(List.of(col(vectorCol), col(foldCol), col(policyCol),
        col(treatmentCol).cast("double")));
    outcomeCols.forEach(c -> cols.add(col(c).cast("double")));
    int d = design.dim();
    int groups = design.groups() + 1;
    int k = folds;
    Design dz = design;
    BlockSums s = data.select(cols.toArray(Column[]::new)).javaRDD().treeAggregate(new BlockSums(d),
        (Function2<BlockSums, Row, BlockSums>) (acc, r) -> {
          long pattern = 0;
          for (int o = 0; o < outcomes; o++) {
            if (!r.isNullAt(4 + o)) {
              pattern |= 1L << o;
            }
          }
          if (pattern == 0) {
            return acc;
          }
          Design.Sparse z = dz.expand((Vector) r.get(0), dz.buffer());
          int g = dz.group(r.getString(2));
          int f = r.getInt(1);
          int arm = r.getDouble(3) > 0.5 ? 1 : 0;
          acc.addGram(gramKey(pattern, arm, f, g, k, groups), z, 1.0);
          for (int o = 0; o < outcomes; o++) {
            if (!r.isNullAt(4 + o)) {
              acc.addVec(vecKey(o, arm, f, g, k, groups), z, r.getDouble(4 + o));
            }
          }
          return acc;
        }, BlockSums::merge, 2);
    List<Long> patterns = s.gram.keySet().stream().map(key -> key / (2L * k * groups)).distinct().toList();
    double[][][][][] out = new double[outcomes][2][k][][];
    // Each (outcome, arm, fold) is an independent solve on the driver; two cores halve the wait.
    IntStream.range(0, outcomes * 2 * k).parallel().forEach(i -> {
      int o = i / (2 * k);
      int arm = (i / k) % 2;
      int f = i % k;
      out[o][arm][f] = solve(s, patterns, o, arm, f, d, groups);
    });
    LOG.info("Outcome models: {} outcomes x 2 arms x {} folds, {} policy models, {} design terms", outcomes, k,
        groups - 1, d);
    return out;
  }

  private static long gramKey(long pattern, int arm, int fold, int group, int folds, int groups) {
    return ((pattern * 2 + arm) * folds + fold) * groups + group;
  }

  private static long vecKey(int outcome, int arm, int fold, int group, int folds, int groups) {
    return (((long) outcome * 2 + arm) * folds + fold) * groups + group;
  }

  private double[][] solve(BlockSums s, List<Long> patterns, int o, int arm, int excluded, int d, int groups) {
    double[][] h = new double[groups][];
    double[][] r = new double[groups][];
    double[] all = new double[d * d];
    for (int g = 0; g < groups; g++) {
      h[g] = new double[d * d];
      r[g] = new double[d];
      for (int f = 0; f < folds; f++) {
        if (f == excluded) {
          continue;
        }
        for (long pattern : patterns) {
          if ((pattern & (1L << o)) != 0) {
            s.addGramTo(gramKey(pattern, arm, f, g, folds, groups), h[g]);
          }
        }
        s.addVecTo(vecKey(o, arm, f, g, folds, groups), r[g]);
      }
      for (int i = 0; i < all.length; i++) {
        all[i] += h[g][i];
      }
    }
    double n = all[0];
    double[][] coef = new double[groups][d];
    if (n < 1) {
      return coef;
    }
    double[] var = Penalties.fromGram(all, d);
    double[] p0 = Penalties.pooled(n, var, ridgeRows);
    double[][] hg = new double[groups - 1][];
    double[][] pg = new double[groups - 1][];
    double[][] rg = new double[groups - 1][];
    double[] r0 = r[groups - 1].clone();
    for (int g = 0; g < groups - 1; g++) {
      hg[g] = h[g];
      rg[g] = r[g];
      pg[g] = Penalties.group(h[g][0] > 0 ? Penalties.fromGram(h[g], d) : new double[d], var, shrinkRows);
      for (int j = 0; j < d; j++) {
        r0[j] += r[g][j];
      }
    }
    ArrowSystem.Solution sol = new ArrowSystem(d, h[groups - 1], hg, p0, pg, "the outcome models").solve(r0, rg);
    for (int g = 0; g < groups; g++) {
      coef[g] = sol.beta().clone();
      if (g < groups - 1) {
        for (int j = 0; j < d; j++) {
          coef[g][j] += sol.delta()[g][j];
        }
      }
    }
    return coef;
  }
}
