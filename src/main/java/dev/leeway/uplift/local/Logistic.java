package dev.leeway.uplift.local;

import static org.apache.spark.sql.functions.col;

import dev.leeway.run.OneTask;
import java.io.Serializable;
import java.util.Iterator;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A binary logistic regression with MLlib's objective and MLlib's model: the mean log loss plus
 * {@code regParam / 2} times the squared norm of the coefficients of the standardised features (MLlib's default
 * {@code standardization = true}; the intercept is not penalised; a feature that never varies gets 0).
 *
 * <ul>
 *   <li>Up to {@code singleTaskMaxRows} rows it is solved exactly in one Spark task by Newton's method (a handful of
 *       iterations, each a pass over the rows held as doubles: 8 bytes per feature value), where MLlib's L-BFGS
 *       runs one Spark job per iteration, up to {@code maxIter} of them.
 *   <li>Beyond that, MLlib's {@link LogisticRegression} with the same settings.
 * </ul>
 *
 * <p>Either way the result is MLlib's {@link LogisticRegressionModel}, so scoring, saving and loading are MLlib's.
 */
public final class Logistic {
  private Logistic() {}

  /** MLlib's settings: the penalty, and the iteration limit and tolerance of the solver. */
  public record Settings(double regParam, int maxIter, double tol) implements Serializable {}

  /**
   * @param rows rows holding {@code featuresCol} (a vector) and {@code labelCol} (0 or 1)
   * @param predictionCol the prediction column the returned model adds
   */
  public static LogisticRegressionModel fit(Dataset<Row> rows, String featuresCol, String labelCol,
      String predictionCol, Settings settings, long singleTaskMaxRows) {
    Dataset<Row> d = rows.select(col(featuresCol), col(labelCol).cast("double"));
    LogisticRegressionModel m;
    if (d.count() <= singleTaskMaxRows) {
      Coefficients c = OneTask.run(d, it -> fitRows(it, settings));
      m = new LogisticRegressionModel(Identifiable$.MODULE$.randomUID("logreg"), Vectors.dense(c.beta()),
          c.intercept());
    } else {
      LogisticRegression lr = new LogisticRegression().setRegParam(settings.regParam()).setMaxIter(settings.maxIter())
          .setTol(settings.tol());
      lr.setFeaturesCol(featuresCol);
      lr.setLabelCol(labelCol);
      m = lr.fit(d);
    }
    m.setFeaturesCol(featuresCol);
    m.setPredictionCol(predictionCol);
    return m;
  }

  /** Fitted coefficients on the original scale of the features. */
  public record Coefficients(double intercept, double[] beta) implements Serializable {}

  /** Reads a task's rows into arrays and fits them. */
  static Coefficients fitRows(Iterator<Row> it, Settings settings) {
    LabelledRows rows = LabelledRows.read(it);
    double[] y = rows.y();
    if (y.length == 0) {
      throw new IllegalArgumentException("no rows to fit a logistic regression on");
    }
    for (int i = 0; i < y.length; i++) {
      if (y[i] != 0.0 && y[i] != 1.0) {
        throw new IllegalArgumentException("row " + i + " has label " + y[i] + ", not 0 or 1");
      }
    }
    return fit(rows.x(), y, rows.features(), settings);
  }

  /**
   * Fits rows {@code x} (row-major, {@code p} per row) to labels {@code y}. Newton's method on the standardised,
   * centred features (centring moves only the intercept), with step halving when a step does not lower the
   * objective; it stops when the largest step is below {@code tol} times the largest coefficient (plus one).
   */
  public static Coefficients fit(double[] x, double[] y, int p, Settings settings) {
    int n = y.length;
    double positives = 0;
    for (double v : y) {
      positives += v;
    }
    if (positives == 0 || positives == n) {
      // As MLlib: every label the same gives zero coefficients and an infinite intercept of that label's sign.
      return new Coefficients(positives == 0 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY, new double[p]);
    }
    double[] mean = new double[p];
    double[] sd = new double[p];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < p; j++) {
        mean[j] += x[i * p + j];
      }
    }
    for (int j = 0; j < p; j++) {
      mean[j] /= n;
    }
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < p; j++) {
        double d = x[i * p + j] - mean[j];
        sd[j] += d * d;
      }
    }
    // The active features (those that vary), standardised with MLlib's sample standard deviation.
    int[] active = java.util.stream.IntStream.range(0, p).filter(j -> n > 1 && sd[j] > 0).toArray();
    int q = active.length;
    for (int j : active) {
      sd[j] = Math.sqrt(sd[j] / (n - 1));
    }
    double[] z = new double[n * q];
    for (int i = 0; i < n; i++) {
      for (int a = 0; a < q; a++) {
        int j = active[a];
        z[i * q + a] = (x[i * p + j] - mean[j]) / sd[j];
      }
    }
    double lambda = settings.regParam();
    // b[0] is the intercept, b[1..q] the standardised coefficients.
    double[] b = new double[q + 1];
    double rate = positives / n;
    b[0] = Math.log(rate / (1 - rate));
    double f = objective(z, y, q, b, lambda);
    int dim = q + 1;
    for (int iter = 0; iter < Math.max(1, settings.maxIter()); iter++) {
      double[] grad = new double[dim];
      double[] hess = new double[dim * dim];
      double[] row = new double[dim];
      row[0] = 1;
      for (int i = 0; i < n; i++) {
        System.arraycopy(z, i * q, row, 1, q);
        double m = 0;
        for (int a = 0; a < dim; a++) {
          m += row[a] * b[a];
        }
        double prob = sigmoid(m);
        double r = prob - y[i];
        double w = prob * (1 - prob);
        for (int a = 0; a < dim; a++) {
          double ra = row[a];
          grad[a] += r * ra;
          double wa = w * ra;
          for (int c = 0; c <= a; c++) {
            hess[a * dim + c] += wa * row[c];
          }
        }
      }
      for (int a = 0; a < dim; a++) {
        grad[a] = grad[a] / n + (a > 0 ? lambda * b[a] : 0);
        for (int c = 0; c <= a; c++) {
          double h = hess[a * dim + c] / n + (a == c && a > 0 ? lambda : 0);
          hess[a * dim + c] = h;
          hess[c * dim + a] = h;
        }
      }
      double[] step = solve(hess, grad, dim);
      double t = 1;
      double[] next = new double[dim];
      double fNext;
      int halvings = 0;
      do {
        for (int a = 0; a < dim; a++) {
          next[a] = b[a] - t * step[a];
        }
        fNext = objective(z, y, q, next, lambda);
        t /= 2;
      } while (!(fNext <= f) && ++halvings < 30);
      double largestStep = 0;
      double largest = 0;
      for (int a = 0; a < dim; a++) {
        largestStep = Math.max(largestStep, Math.abs(next[a] - b[a]));
        largest = Math.max(largest, Math.abs(next[a]));
      }
      if (!(fNext <= f)) {
        break;
      }
      b = next;
      f = fNext;
      if (largestStep <= settings.tol() * (1 + largest)) {
        break;
      }
    }
    double[] beta = new double[p];
    double intercept = b[0];
    for (int a = 0; a < q; a++) {
      int j = active[a];
      beta[j] = b[a + 1] / sd[j];
      intercept -= beta[j] * mean[j];
    }
    return new Coefficients(intercept, beta);
  }

  private static double objective(double[] z, double[] y, int q, double[] b, double lambda) {
    int n = y.length;
    double loss = 0;
    for (int i = 0; i < n; i++) {
      double m = b[0];
      for (int a = 0; a < q; a++) {
        m += z[i * q + a] * b[a + 1];
      }
      // log(1 + e^m) - y m, without overflow.
      loss += (m > 0 ? m + Math.log1p(Math.exp(-m)) : Math.log1p(Math.exp(m))) - y[i] * m;
    }
    double penalty = 0;
    for (int a = 1; a < b.length; a++) {
      penalty += b[a] * b[a];
    }
    return loss / n + lambda / 2 * penalty;
  }

  private static double sigmoid(double m) {
    return m >= 0 ? 1 / (1 + Math.exp(-m)) : Math.exp(m) / (1 + Math.exp(m));
  }

  /**
   * Solves the symmetric positive definite system {@code a s = g} by Cholesky; a matrix that is not (no penalty and
   * collinear features) gets a tiny ridge until it is.
   */
  static double[] solve(double[] a, double[] g, int d) {
    for (double ridge = 0; ; ridge = ridge == 0 ? 1e-10 : ridge * 100) {
      double[] l = new double[d * d];
      boolean ok = true;
      for (int i = 0; i < d && ok; i++) {
        for (int j = 0; j <= i; j++) {
          double s = a[i * d + j] + (i == j ? ridge : 0);
          for (int k = 0; k < j; k++) {
            s -= l[i * d + k] * l[j * d + k];
          }
          if (i == j) {
            if (!(s > 0)) {
              ok = false;
              break;
            }
            l[i * d + i] = Math.sqrt(s);
          } else {
            l[i * d + j] = s / l[j * d + j];
          }
        }
      }
      if (!ok) {
        if (ridge > 1) {
          throw new IllegalStateException("the logistic regression's Hessian is singular");
        }
        continue;
      }
      double[] s = new double[d];
      for (int i = 0; i < d; i++) {
        double v = g[i];
        for (int k = 0; k < i; k++) {
          v -= l[i * d + k] * s[k];
        }
        s[i] = v / l[i * d + i];
      }
      for (int i = d - 1; i >= 0; i--) {
        double v = s[i];
        for (int k = i + 1; k < d; k++) {
          v -= l[k * d + i] * s[k];
        }
        s[i] = v / l[i * d + i];
      }
      return s;
    }
  }
}
