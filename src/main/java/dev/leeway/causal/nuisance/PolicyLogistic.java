package dev.leeway.causal.nuisance;

import static org.apache.spark.sql.functions.col;

import dev.leeway.run.OneTask;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.function.Function2;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The cross-fitted propensity e(X) = P(granted | X): a penalised logistic regression on the {@link Design}, pooled
 * over policies with a deviation per policy shrunk toward the pooled fit (so each policy can have its own grant
 * rule). The model of fold k is the exact penalised fit on the other folds: Newton iterations on all rows give a
 * close starting point and a Hessian per fold, and chord iterations (exact gradients without the fold, the
 * starting Hessian without the fold) converge from there. Every pass is one aggregation; driver memory is a few
 * d x d blocks per group and fold.
 */
final class PolicyLogistic implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(PolicyLogistic.class);
  private static final int MAX_NEWTON = 30;
  private static final int MAX_CHORD = 15;
  private static final double TOLERANCE = 1e-6;
  /** Logistic information per row is at most 1/4: the group penalty is scaled alike so "rows" means rows. */
  private static final double INFORMATION = 0.25;

  private final Design design;
  private final int folds;
  private final double ridgeRows;
  private final double shrinkRows;

  PolicyLogistic(Design design, int folds, double ridgeRows, double shrinkRows) {
    this.design = design;
    this.folds = folds;
    this.ridgeRows = ridgeRows;
    this.shrinkRows = shrinkRows;
  }

  /**
   * Combined coefficients (pooled plus the group's deviation; the last group is "rest"): of the fit on all rows
   * {@code [group]}, and of each fold's model {@code [fold][group]}.
   */
  record Fit(double[][] all, double[][][] byFold) implements Serializable {}

  /**
   * Fits on {@code data} (feature vector, fold, policy, {@code labelCol} as 0/1 double). Up to
   * {@code singleTaskMaxRows} rows, every pass runs in one Spark task over the rows held in memory: on rows this few,
   * a Spark job per Newton step costs more than the step.
   */
  Fit fit(Dataset<Row> data, String vectorCol, String foldCol, String policyCol, String labelCol,
      long singleTaskMaxRows) {
    Dataset<Row> rows = data.select(col(vectorCol), col(foldCol), col(policyCol), col(labelCol).cast("double"));
    long count = rows.count();
    if (count == 0) {
      throw new IllegalStateException("Cannot fit the propensity model: no rows");
    }
    int d = design.dim();
    if (count <= singleTaskMaxRows) {
      return OneTask.run(rows, it -> {
        List<Row> held = new ArrayList<>();
        it.forEachRemaining(held::add);
        return fit(add -> {
          BlockSums s = new BlockSums(d);
          try {
            for (Row r : held) {
              s = add.call(s, r);
            }
          } catch (Exception e) {
            throw new IllegalStateException("Cannot fit the propensity model: " + e.getMessage(), e);
          }
          return s;
        });
      });
    }
    JavaRDD<Row> distributed = rows.javaRDD();
    return fit(add -> distributed.treeAggregate(new BlockSums(d), add, BlockSums::merge, 2));
  }

  /** One pass over the rows (vector, fold, policy, label): every row folded into one new {@link BlockSums}. */
  private interface Passes {
    BlockSums over(Function2<BlockSums, Row, BlockSums> add);
  }

  private Fit fit(Passes rows) {
    int d = design.dim();
    int groups = design.groups() + 1;
    Design dz = design;
    int k = folds;

    // Unweighted moments per group (for the penalties) and the grant rate (for the start).
    BlockSums moments = rows.over((s, r) -> {
      Design.Sparse z = dz.expand((Vector) r.get(0), dz.buffer());
      int g = dz.group(r.getString(2));
      s.addVec(2L * g, z, 1.0);
      for (int u = 0; u < z.nnz; u++) {
        z.val[u] *= z.val[u];
      }
      s.addVec(2L * g + 1, z, 1.0);
      s.total += r.getDouble(3);
      return s;
    });
    double n = 0;
    double[] sum = new double[d];
    double[] sumSq = new double[d];
    double[][] groupVar = new double[groups][];
    double[] groupN = new double[groups];
    for (int g = 0; g < groups; g++) {
      double[] s1 = moments.vec.getOrDefault(2L * g, new double[d]);
      double[] s2 = moments.vec.getOrDefault(2L * g + 1, new double[d]);
      groupN[g] = s1[0];
      groupVar[g] = Penalties.variances(s1[0], s1, s2);
      n += s1[0];
      for (int j = 0; j < d; j++) {
        sum[j] += s1[j];
        sumSq[j] += s2[j];
      }
    }
    if (n == 0) {
      throw new IllegalStateException("Cannot fit the propensity model: no rows");
    }
    double[] var = Penalties.variances(n, sum, sumSq);
    double[] p0 = Penalties.pooled(n, var, ridgeRows * INFORMATION);
    double[][] pg = new double[groups - 1][];
    for (int g = 0; g < groups - 1; g++) {
      pg[g] = Penalties.group(groupVar[g], var, shrinkRows * INFORMATION);
    }
    double rate = Math.min(Math.max(moments.total / n, 1e-4), 1 - 1e-4);

    // Newton on all rows.
    double[][] theta = new double[groups][d];
    theta[groups - 1][0] = Math.log(rate / (1 - rate));
    double[][] previous = null;
    double previousObjective = Double.POSITIVE_INFINITY;
    BlockSums last = null;
    for (int it = 0; it < MAX_NEWTON; it++) {
      double[][] coef = combined(theta);
      BlockSums s = rows.over((acc, r) -> {
        Design.Sparse z = dz.expand((Vector) r.get(0), dz.buffer());
        int g = dz.group(r.getString(2));
        int f = r.getInt(1);
        double t = r.getDouble(3);
        double eta = z.dot(coef[g]);
        double p = 1 / (1 + Math.exp(-eta));
        acc.addGram((long) g * k + f, z, p * (1 - p));
        acc.addVec((long) g * k + f, z, p - t);
        // log(1 + e^eta) - t * eta, stable for large |eta|
        acc.total += Math.max(eta, 0) + Math.log1p(Math.exp(-Math.abs(eta))) - t * eta;
        return acc;
      });
      double objective = s.total + penalty(theta, p0, pg);
      if (previous != null && objective > previousObjective + 1e-9 * Math.abs(previousObjective)) {
        // The full step overshot: go half way back and evaluate again.
        for (int g = 0; g < groups; g++) {
          for (int j = 0; j < d; j++) {
            theta[g][j] = (theta[g][j] + previous[g][j]) / 2;
          }
        }
        continue;
      }
      last = s;
      previous = copy(theta);
      previousObjective = objective;
      ArrowSystem system = system(s, -1, p0, pg, d, groups);
      double[] step = newtonStep(system, gradients(s, -1, d, groups), theta, p0, pg, d, groups);
      double change = 0;
      for (int g = 0; g < groups; g++) {
        for (int j = 0; j < d; j++) {
          double dj = step[g * d + j];
          theta[g][j] += dj;
          change = Math.max(change, Math.abs(dj) * Math.sqrt(Math.max(var[j], j == 0 ? 1 : 0)));
        }
      }
      LOG.debug("propensity Newton {}: objective {} change {}", it, objective, change);
      if (change < TOLERANCE) {
        break;
      }
      if (it == MAX_NEWTON - 1) {
        LOG.warn("Propensity model: Newton iterations stopped after {} steps (last change {}); the fold models "
            + "still converge from there", MAX_NEWTON, change);
      }
    }

    // Chord iterations per fold from the full fit, with the Hessian of the other folds.
    ArrowSystem[] systems = new ArrowSystem[k];
    double[][][] thetas = new double[k][][];
    for (int f = 0; f < k; f++) {
      systems[f] = system(last, f, p0, pg, d, groups);
      thetas[f] = copy(theta);
    }
    for (int it = 0; it < MAX_CHORD; it++) {
      double[][][] coefs = new double[k][][];
      for (int f = 0; f < k; f++) {
        coefs[f] = combined(thetas[f]);
      }
      BlockSums s = rows.over((acc, r) -> {
        Design.Sparse z = dz.expand((Vector) r.get(0), dz.buffer());
        int g = dz.group(r.getString(2));
        int own = r.getInt(1);
        double t = r.getDouble(3);
        for (int f = 0; f < k; f++) {
          if (f != own) {
            double p = 1 / (1 + Math.exp(-z.dot(coefs[f][g])));
            acc.addVec((long) g * k + f, z, p - t);
          }
        }
        return acc;
      });
      double change = 0;
      for (int f = 0; f < k; f++) {
        double[] step = newtonStep(systems[f], gradients(s, f, d, groups), thetas[f], p0, pg, d, groups);
        for (int g = 0; g < groups; g++) {
          for (int j = 0; j < d; j++) {
            thetas[f][g][j] += step[g * d + j];
            change = Math.max(change, Math.abs(step[g * d + j]) * Math.sqrt(Math.max(var[j], j == 0 ? 1 : 0)));
          }
        }
      }
      LOG.debug("propensity chord {}: change {}", it, change);
      if (change < TOLERANCE) {
        break;
      }
    }
    double[][][] out = new double[k][][];
    for (int f = 0; f < k; f++) {
      out[f] = combined(thetas[f]);
    }
    LOG.info("Propensity: {} rows, {} policy models, {} design terms", (long) n, groups - 1, d);
    return new Fit(combined(theta), out);
  }

  /** theta holds the deviations in rows 0..G-1 and the pooled coefficients in row G. */
  private static double[][] combined(double[][] theta) {
    int groups = theta.length;
    double[] beta = theta[groups - 1];
    double[][] out = new double[groups][];
    for (int g = 0; g < groups; g++) {
      out[g] = beta.clone();
      if (g < groups - 1) {
        for (int j = 0; j < beta.length; j++) {
          out[g][j] += theta[g][j];
        }
      }
    }
    return out;
  }

  private static double[][] copy(double[][] a) {
    double[][] out = new double[a.length][];
    for (int i = 0; i < a.length; i++) {
      out[i] = a[i].clone();
    }
    return out;
  }

  private static double penalty(double[][] theta, double[] p0, double[][] pg) {
    int groups = theta.length;
    double s = 0;
    for (int j = 0; j < p0.length; j++) {
      s += 0.5 * p0[j] * theta[groups - 1][j] * theta[groups - 1][j];
    }
    for (int g = 0; g < groups - 1; g++) {
      for (int j = 0; j < pg[g].length; j++) {
        s += 0.5 * pg[g][j] * theta[g][j] * theta[g][j];
      }
    }
    return s;
  }

  /** The arrow system of the Hessians summed over every fold but {@code excluded} (-1: all folds). */
  private ArrowSystem system(BlockSums s, int excluded, double[] p0, double[][] pg, int d, int groups) {
    double[] rest = new double[d * d];
    double[][] h = new double[groups - 1][];
    for (int g = 0; g < groups; g++) {
      double[] into = g == groups - 1 ? rest : new double[d * d];
      for (int f = 0; f < folds; f++) {
        if (f != excluded) {
          s.addGramTo((long) g * folds + f, into);
        }
      }
      if (g < groups - 1) {
        h[g] = into;
      }
    }
    return new ArrowSystem(d, rest, h, p0, pg, "the propensity model");
  }

  /**
   * Sums the gradient blocks of each group: over every fold of the rows ({@code modelFold} -1, Newton passes), or
   * the one block a chord pass keeps per fold model.
   */
  private double[][] gradients(BlockSums s, int modelFold, int d, int groups) {
    double[][] out = new double[groups][d];
    for (int g = 0; g < groups; g++) {
      for (int f = 0; f < folds; f++) {
        if (modelFold < 0 || f == modelFold) {
          s.addVecTo((long) g * folds + f, out[g]);
        }
      }
    }
    return out;
  }

  /** The step -A^-1 grad of the penalised objective at theta, with the data part of the gradient given. */
  private static double[] newtonStep(ArrowSystem system, double[][] grads, double[][] theta, double[] p0,
      double[][] pg, int d, int groups) {
    double[] r0 = new double[d];
    double[][] rg = new double[groups - 1][];
    for (int g = 0; g < groups; g++) {
      double[] grad = grads[g];
      for (int j = 0; j < d; j++) {
        r0[j] -= grad[j];
      }
      if (g < groups - 1) {
        rg[g] = new double[d];
        for (int j = 0; j < d; j++) {
          rg[g][j] = -(grad[j] + pg[g][j] * theta[g][j]);
        }
      }
    }
    for (int j = 0; j < d; j++) {
      r0[j] -= p0[j] * theta[groups - 1][j];
    }
    ArrowSystem.Solution sol = system.solve(r0, rg);
    double[] step = new double[groups * d];
    for (int g = 0; g < groups - 1; g++) {
      System.arraycopy(sol.delta()[g], 0, step, g * d, d);
    }
    System.arraycopy(sol.beta(), 0, step, (groups - 1) * d, d);
    return step;
  }
}
