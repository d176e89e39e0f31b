package dev.leeway.causal.nuisance;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;

/**
 * The aggregation buffer of one pass over the data: per block key, weighted cross-products sum w z z' (packed upper
 * triangle) and sums of z r, plus a scalar total (a loss). Memory is a few blocks of d(d+1)/2 doubles, whatever the
 * number of rows.
 */
final class BlockSums implements Serializable {
  private static final long serialVersionUID = 1L;

  final int d;
  final Map<Long, double[]> gram = new HashMap<>();
  final Map<Long, double[]> vec = new HashMap<>();
  double total;

  BlockSums(int d) {
    this.d = d;
  }

  static int packed(int i, int j) {
    return j * (j + 1) / 2 + i;
  }

  void addGram(long key, Design.Sparse z, double w) {
    if (w == 0) {
      return;
    }
    double[] g = gram.computeIfAbsent(key, k -> new double[d * (d + 1) / 2]);
    int[] idx = z.idx;
    double[] val = z.val;
    for (int b = 0; b < z.nnz; b++) {
      int j = idx[b];
      int col = j * (j + 1) / 2;
      double wv = w * val[b];
      for (int a = 0; a <= b; a++) {
        g[col + idx[a]] += wv * val[a];
      }
    }
  }

  void addVec(long key, Design.Sparse z, double r) {
    if (r == 0) {
      return;
    }
    double[] v = vec.computeIfAbsent(key, k -> new double[d]);
    for (int u = 0; u < z.nnz; u++) {
      v[z.idx[u]] += r * z.val[u];
    }
  }

  BlockSums merge(BlockSums other) {
    other.gram.forEach((k, b) -> gram.merge(k, b, BlockSums::addInto));
    other.vec.forEach((k, b) -> vec.merge(k, b, BlockSums::addInto));
    total += other.total;
    return this;
  }

  private static double[] addInto(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }

  /** Adds the packed block {@code key} (if any) into the full column-major matrix {@code into}. */
  void addGramTo(long key, double[] into) {
    double[] g = gram.get(key);
    if (g == null) {
      return;
    }
    for (int j = 0; j < d; j++) {
      int col = j * (j + 1) / 2;
      for (int i = 0; i <= j; i++) {
        double v = g[col + i];
        into[i + j * d] += v;
        if (i != j) {
          into[j + i * d] += v;
        }
      }
    }
  }

  void addVecTo(long key, double[] into) {
    double[] v = vec.get(key);
    if (v != null) {
      for (int i = 0; i < d; i++) {
        into[i] += v[i];
      }
    }
  }
}
