package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import dev.leeway.features.ModelFeatures;
import dev.ludovic.netlib.lapack.LAPACK;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;
import org.netlib.util.intW;

/**
 * Cross-fitted linear outcome models mu_t(X) for every outcome at once, from one pass over the data.
 *
 * <p>Fitting a separate MLlib regression per fold, arm and outcome costs a Spark job each (K x 2 x outcomes, twice
 * with the placebo), which dominates the stage on small and large data alike. Ridge regression only needs the
 * cross-products X'X and X'y, so one aggregation collects them per fold, arm and maturity pattern (the set of
 * outcomes a row has matured for); the model for fold k is then solved on the driver from the sums over the other
 * folds. Driver memory is a few (features + 1)^2 blocks, independent of the number of rows.
 *
 * <p>The penalty is ridge on standardised features with the intercept unpenalised (as MLlib's LinearRegression
 * with standardisation): minimise sum (y - b0 - x b)^2 / n + lambda * sum (b_j s_j)^2. Constant features get a
 * zero coefficient.
 */
final class LinearOutcomeModels {
  private final int folds;
  private final double lambda;

  LinearOutcomeModels(int folds, double lambda) {
    this.folds = folds;
    this.lambda = lambda;
  }

  /** Coefficients per outcome, arm and fold: {@code [outcome][arm][fold]} = {intercept, b_1 .. b_p}. */
  record Fit(double[][][][] coefficients) implements Serializable {}

  /**
   * Fits mu_0 and mu_1 for each outcome column on {@code data} (feature vector, fold, treatment as 0/1 double, the
   * outcome columns with null when immature).
   */
  Fit fit(Dataset<Row> data, String treatmentCol, List<String> outcomeCols) {
    int outcomes = outcomeCols.size();
    if (outcomes > 62) {
      throw new IllegalArgumentException("at most 62 outcomes can be fitted together, got " + outcomes);
    }
    List<Column> cols = new ArrayList<>(List.of(col(ModelFeatures.VECTOR), col(CrossFit.FOLD), col(treatmentCol)));
    outcomeCols.forEach(c -> cols.add(col(c).cast("double")));
    int k = folds;
    Sums total = data.select(cols.toArray(Column[]::new)).javaRDD().treeAggregate(new Sums(),
        (Function2<Sums, Row, Sums>) (s, r) -> s.add(r, k, outcomes), (Function2<Sums, Sums, Sums>) Sums::merge, 2);
    return new Fit(solve(total, outcomes));
  }

  /** Adds {@code outputCol} = mu for the row's fold, from {@code coefficients[fold]}. */
  static Dataset<Row> score(Dataset<Row> data, double[][] coefficientsByFold, String outputCol) {
    UserDefinedFunction predict = udf((UDF2<Vector, Integer, Double>) (x, fold) -> {
      double[] b = coefficientsByFold[fold];
      double value = b[0];
      if (x instanceof SparseVector sv) {
        int[] idx = sv.indices();
        double[] val = sv.values();
        for (int u = 0; u < idx.length; u++) {
          value += idx[u] + 1 < b.length ? b[idx[u] + 1] * val[u] : 0.0;
        }
      } else {
        double[] val = x.toArray();
        for (int i = 0; i < val.length && i + 1 < b.length; i++) {
          value += b[i + 1] * val[i];
        }
      }
      return value;
    }, DataTypes.DoubleType);
    return data.withColumn(outputCol, predict.apply(col(ModelFeatures.VECTOR), col(CrossFit.FOLD)));
  }

  private double[][][][] solve(Sums total, int outcomes) {
    double[][][][] out = new double[outcomes][2][folds][];
    for (int o = 0; o < outcomes; o++) {
      for (int t = 0; t <= 1; t++) {
        Block all = total.outcomeBlock(o, t, -1);
        for (int f = 0; f < folds; f++) {
          // An arm without mature rows has no model; its predictions are 0 and its cells are flagged too small.
          out[o][t][f] = all == null ? new double[Math.max(total.dim, 1)] : ridge(all.minus(total.outcomeBlock(o, t, f)));
        }
      }
    }
    return out;
  }

  /** Solves the ridge problem from the cross-products; index 0 of the augmented vector is the intercept's 1. */
  private double[] ridge(Block b) {
    int d = b.dim;
    int p = d - 1;
    double n = b.xtx[0];
    double[] coef = new double[d];
    if (n < 1) {
      return coef;
    }
    double ybar = b.xty[0] / n;
    double[] mean = new double[p];
    double[] sd = new double[p];
    for (int i = 0; i < p; i++) {
      mean[i] = b.xtx[i + 1] / n;
      double var = b.xtx[(i + 1) * d + i + 1] / n - mean[i] * mean[i];
      sd[i] = var > 1e-12 * Math.max(1.0, mean[i] * mean[i]) ? Math.sqrt(var) : 0.0;
    }
    // Correlation-scale normal equations (R + lambda I) beta = r over the non-constant features.
    int[] active = java.util.stream.IntStream.range(0, p).filter(i -> sd[i] > 0).toArray();
    int m = active.length;
    double[] a = new double[m * m];
    double[] r = new double[Math.max(m, 1)];
    for (int u = 0; u < m; u++) {
      int i = active[u];
      for (int v = 0; v < m; v++) {
        int j = active[v];
        double cov = b.xtx[(i + 1) * d + j + 1] / n - mean[i] * mean[j];
        a[u + v * m] = cov / (sd[i] * sd[j]) + (u == v ? lambda : 0.0);
      }
      r[u] = (b.xty[i + 1] / n - mean[i] * ybar) / sd[i];
    }
    if (m > 0) {
      intW info = new intW(0);
      LAPACK.getInstance().dposv("U", m, 1, a, m, r, m, info);
      if (info.val != 0) {
        throw new IllegalStateException("outcome model: normal equations are not positive definite (info "
            + info.val + "); raise effects.outcome_ridge");
      }
    }
    double intercept = ybar;
    for (int u = 0; u < m; u++) {
      int i = active[u];
      coef[i + 1] = r[u] / sd[i];
      intercept -= coef[i + 1] * mean[i];
    }
    coef[0] = intercept;
    return coef;
  }

  /** Cross-products of the augmented vector (1, x): X'X (dense, d x d) and X'y. */
  static final class Block implements Serializable {
    final int dim;
    final double[] xtx;
    final double[] xty;

    Block(int dim) {
      this.dim = dim;
      this.xtx = new double[dim * dim];
      this.xty = new double[dim];
    }

    void addTo(Block other) {
      for (int i = 0; i < xtx.length; i++) {
        other.xtx[i] += xtx[i];
      }
      for (int i = 0; i < xty.length; i++) {
        other.xty[i] += xty[i];
      }
    }

    Block minus(Block other) {
      Block out = new Block(dim);
      addTo(out);
      if (other != null) {
        for (int i = 0; i < xtx.length; i++) {
          out.xtx[i] -= other.xtx[i];
        }
        for (int i = 0; i < xty.length; i++) {
          out.xty[i] -= other.xty[i];
        }
      }
      return out;
    }
  }

  /**
   * The aggregation buffer. X'X is kept per (fold, arm, maturity pattern) because rows with the same pattern share
   * it across outcomes; X'y is kept per (fold, arm, outcome).
   */
  static final class Sums implements Serializable {
    private final Map<Long, Block> gram = new HashMap<>();
    private final Map<Long, double[]> xty = new HashMap<>();
    private int dim = -1;

    private static long key(int fold, int arm, long pattern) {
      return (pattern << 8) | ((long) fold << 1) | arm;
    }

    Sums add(Row r, int folds, int outcomes) {
      Vector x = r.getAs(0);
      int fold = r.getInt(1);
      int arm = r.getDouble(2) > 0.5 ? 1 : 0;
      if (fold < 0 || fold >= folds || fold > 127) {
        throw new IllegalStateException("fold out of range: " + fold);
      }
      long pattern = 0;
      for (int o = 0; o < outcomes; o++) {
        if (!r.isNullAt(3 + o)) {
          pattern |= 1L << o;
        }
      }
      if (pattern == 0) {
        return this;
      }
      if (dim < 0) {
        dim = x.size() + 1;
      }
      int d = dim;
      int[] idx;
      double[] val;
      if (x instanceof SparseVector sv) {
        idx = new int[sv.indices().length + 1];
        val = new double[idx.length];
        for (int u = 0; u < sv.indices().length; u++) {
          idx[u + 1] = sv.indices()[u] + 1;
          val[u + 1] = sv.values()[u];
        }
      } else {
        double[] dense = x.toArray();
        idx = new int[dense.length + 1];
        val = new double[idx.length];
        for (int i = 0; i < dense.length; i++) {
          idx[i + 1] = i + 1;
          val[i + 1] = dense[i];
        }
      }
      val[0] = 1.0;
      int len = idx.length;
      double[] g = gram.computeIfAbsent(key(fold, arm, pattern), k -> new Block(d)).xtx;
      for (int u = 0; u < len; u++) {
        int row = idx[u] * d;
        double vu = val[u];
        for (int w = 0; w < len; w++) {
          g[row + idx[w]] += vu * val[w];
        }
      }
      for (int o = 0; o < outcomes; o++) {
        if (!r.isNullAt(3 + o)) {
          double y = r.getDouble(3 + o);
          double[] xy = xty.computeIfAbsent(key(fold, arm, o), k -> new double[d]);
          for (int u = 0; u < len; u++) {
            xy[idx[u]] += val[u] * y;
          }
        }
      }
      return this;
    }

    Sums merge(Sums other) {
      if (dim < 0) {
        dim = other.dim;
      }
      other.gram.forEach((k, b) -> {
        Block mine = gram.get(k);
        if (mine == null) {
          gram.put(k, b);
        } else {
          b.addTo(mine);
        }
      });
      other.xty.forEach((k, v) -> xty.merge(k, v, (a, b) -> {
        for (int i = 0; i < a.length; i++) {
          a[i] += b[i];
        }
        return a;
      }));
      return this;
    }

    /** The block of outcome {@code o}, arm {@code t}, summed over one fold or over all of them ({@code fold} -1). */
    Block outcomeBlock(int o, int t, int fold) {
      Block out = null;
      for (Map.Entry<Long, Block> e : gram.entrySet()) {
        long k = e.getKey();
        long pattern = k >>> 8;
        int f = (int) ((k >>> 1) & 0x7f);
        int arm = (int) (k & 1);
        if (arm != t || (pattern & (1L << o)) == 0 || (fold >= 0 && f != fold)) {
          continue;
        }
        if (out == null) {
          out = new Block(dim);
        }
        e.getValue().addTo(out);
      }
      if (out != null) {
        for (Map.Entry<Long, double[]> e : xty.entrySet()) {
          long k = e.getKey();
          int f = (int) ((k >>> 1) & 0x7f);
          if ((k >>> 8) == o && (k & 1) == t && (fold < 0 || f == fold)) {
            for (int i = 0; i < dim; i++) {
              out.xty[i] += e.getValue()[i];
            }
          }
        }
      }
      return out;
    }
  }
}
