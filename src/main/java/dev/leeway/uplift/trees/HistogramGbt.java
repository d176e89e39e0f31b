package dev.leeway.uplift.trees;

import dev.leeway.uplift.local.LabelledRows;

import java.io.Serializable;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Gradient boosting of regression trees with squared error, on features cut into at most {@code maxBins} bins: the
 * algorithm of Spark MLlib's {@code GBTRegressor} (the same loss, the same pseudo-residuals {@code 2 (y - F)}, a
 * first tree of weight 1 on the labels and later trees of weight {@code stepSize}, variance impurity, the same
 * {@code minInstancesPerNode} rule and row subsampling without replacement), run in plain Java on rows held in
 * memory.
 *
 * <p>Why it exists: MLlib grows each tree level by level as Spark jobs, about four jobs per tree and fifty trees a
 * model, and a Spark job costs tens of milliseconds of scheduling and closure cleaning whatever the rows. Training
 * fits twenty such models a night, so on a few thousand requests it spent minutes in overhead, and on a few hundred
 * thousand most of its time. Here a whole model is one pass over rows a single task holds (see
 * {@link TreeBoosting}, which decides when the rows are few enough).
 *
 * <p>Deterministic: the same rows in the same order and the same seed give the same model.
 */
public final class HistogramGbt {
  /** The most bins a feature is cut into (bins are stored as unsigned bytes). */
  public static final int MAX_BINS = 256;

  /** Boosting settings, as MLlib names them. */
  public record Settings(int maxIter, int maxDepth, double stepSize, int minInstancesPerNode, double subsamplingRate,
      int maxBins, long seed) implements Serializable {
    public Settings {
      if (maxIter < 1 || maxDepth < 0 || stepSize <= 0 || minInstancesPerNode < 1 || subsamplingRate <= 0
          || subsamplingRate > 1 || maxBins < 2 || maxBins > MAX_BINS) {
        throw new IllegalArgumentException("invalid boosting settings: " + this);
      }
    }
  }

  /**
   * One regression tree in arrays, node 0 the root. A node whose {@code feature} is -1 is a leaf; otherwise rows
   * with {@code x[feature] <= threshold} go to {@code left}, the others (NaN included) to {@code right}. Counts, sums
   * and sums of squares are of the training rows (pseudo-residuals) that reached the node.
   */
  public record Tree(int[] feature, double[] threshold, int[] left, int[] right, double[] prediction,
      double[] impurity, double[] gain, double[] count, double[] sum, double[] sumSquares) implements Serializable {

    public int nodes() {
      return feature.length;
    }

    public double predict(double[] x) {
      int n = 0;
      while (feature[n] >= 0) {
        n = x[feature[n]] <= threshold[n] ? left[n] : right[n];
      }
      return prediction[n];
    }
  }

  /** A fitted model: the prediction is the weighted sum of the trees'. */
  public record Ensemble(int numFeatures, Tree[] trees, double[] weights) implements Serializable {
    public double predict(double[] x) {
      double p = 0;
      for (int m = 0; m < trees.length; m++) {
        p += weights[m] * trees[m].predict(x);
      }
      return p;
    }
  }

  private final Settings s;
  private final int n;
  private final int f;
  private final double[][] thresholds;
  /** Row-major bins: row i, feature j at {@code i * f + j}, as an unsigned byte. */
  private final byte[] bins;
  private final int stride;
  // Histogram of the node being split, per feature and bin: count, sum and sum of squares of the target.
  private final double[] hCount;
  private final double[] hSum;
  private final double[] hSquares;

  private HistogramGbt(double[] x, int n, int f, Settings s) {
    this.s = s;
    this.n = n;
    this.f = f;
    this.thresholds = new double[f][];
    double[] column = new double[n];
    int widest = 1;
    for (int j = 0; j < f; j++) {
      for (int i = 0; i < n; i++) {
        column[i] = x[i * f + j];
      }
      thresholds[j] = thresholds(column, s.maxBins());
      widest = Math.max(widest, thresholds[j].length + 1);
    }
    this.stride = widest;
    this.bins = new byte[n * f];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < f; j++) {
        bins[i * f + j] = (byte) bin(thresholds[j], x[i * f + j]);
      }
    }
    this.hCount = new double[f * stride];
    this.hSum = new double[f * stride];
    this.hSquares = new double[f * stride];
  }

  /**
   * Fits a model.
   *
   * @param x the features, row-major: row i's feature j at {@code x[i * numFeatures + j]}
   * @param y the labels, one per row
   */
  public static Ensemble fit(double[] x, double[] y, int numFeatures, Settings settings) {
    int rows = y.length;
    if (rows == 0) {
      throw new IllegalArgumentException("no rows to fit a model on");
    }
    if ((long) rows * numFeatures != x.length) {
      throw new IllegalArgumentException(x.length + " feature values for " + rows + " rows of " + numFeatures);
    }
    for (int i = 0; i < rows; i++) {
      if (!Double.isFinite(y[i])) {
        throw new IllegalArgumentException("label of row " + i + " is " + y[i] + ": labels must be finite");
      }
    }
    return new HistogramGbt(x, rows, numFeatures, settings).boost(y);
  }

  private Ensemble boost(double[] y) {
    double[] fitted = new double[n];
    double[] target = new double[n];
    int[] index = new int[n];
    Tree[] trees = new Tree[s.maxIter()];
    double[] weights = new double[s.maxIter()];
    for (int m = 0; m < s.maxIter(); m++) {
      for (int i = 0; i < n; i++) {
        target[i] = m == 0 ? y[i] : 2 * (y[i] - fitted[i]);
      }
      int sampled = sample(index, m);
      Builder b = new Builder(target, index);
      b.grow(0, sampled, 0);
      Tree t = b.tree();
      double w = m == 0 ? 1.0 : s.stepSize();
      for (int i = 0; i < n; i++) {
        fitted[i] += w * predictBinned(b, i);
      }
      trees[m] = t;
      weights[m] = w;
    }
    return new Ensemble(f, trees, weights);
  }

  /** Puts the rows drawn for tree {@code m} at the start of {@code index}; returns how many. */
  private int sample(int[] index, int m) {
    if (s.subsamplingRate() >= 1.0) {
      for (int i = 0; i < n; i++) {
        index[i] = i;
      }
      return n;
    }
    SplittableRandom r = new SplittableRandom(s.seed() * 1_000_003L + m);
    int k = 0;
    for (int i = 0; i < n; i++) {
      if (r.nextDouble() < s.subsamplingRate()) {
        index[k++] = i;
      }
    }
    if (k == 0) { // a tiny table: learn from every row rather than from none
      for (int i = 0; i < n; i++) {
        index[i] = i;
      }
      k = n;
    }
    return k;
  }

  private double predictBinned(Builder b, int row) {
    int node = 0;
    while (b.feature.get(node) >= 0) {
      int j = b.feature.get(node);
      node = (bins[row * f + j] & 0xFF) <= b.splitBin.get(node) ? b.left.get(node) : b.right.get(node);
    }
    return b.prediction.get(node);
  }

  /** Grows one tree depth first, splitting the index range of a node in place. */
  private final class Builder {
    private final double[] target;
    private final int[] index;
    final Ints feature = new Ints();
    final Ints splitBin = new Ints();
    final Ints left = new Ints();
    final Ints right = new Ints();
    final LabelledRows.Growing threshold = new LabelledRows.Growing();
    final LabelledRows.Growing prediction = new LabelledRows.Growing();
    final LabelledRows.Growing impurity = new LabelledRows.Growing();
    final LabelledRows.Growing gain = new LabelledRows.Growing();
    final LabelledRows.Growing count = new LabelledRows.Growing();
    final LabelledRows.Growing sum = new LabelledRows.Growing();
    final LabelledRows.Growing squares = new LabelledRows.Growing();

    Builder(double[] target, int[] index) {
      this.target = target;
      this.index = index;
    }

    /** Adds the node for {@code index[from, to)} at {@code depth} and its subtree; returns the node's number. */
    int grow(int from, int to, int depth) {
      double c = to - from;
      double sm = 0;
      double sq = 0;
      for (int k = from; k < to; k++) {
        double t = target[index[k]];
        sm += t;
        sq += t * t;
      }
      double mean = sm / c;
      double imp = variance(c, sm, sq);
      int node = feature.size();
      feature.add(-1);
      splitBin.add(-1);
      left.add(-1);
      right.add(-1);
      threshold.add(Double.NaN);
      prediction.add(mean);
      impurity.add(imp);
      gain.add(-1);
      count.add(c);
      sum.add(sm);
      squares.add(sq);
      if (depth >= s.maxDepth() || c < 2.0 * s.minInstancesPerNode()) {
        return node;
      }
      int[] best = bestSplit(from, to, c, sm, sq, imp);
      if (best == null) {
        return node;
      }
      int j = best[0];
      int cut = best[1];
      int mid = partition(from, to, j, cut);
      feature.set(node, j);
      splitBin.set(node, cut);
      threshold.set(node, thresholds[j][cut]);
      gain.set(node, lastGain);
      int l = grow(from, mid, depth + 1);
      int r = grow(mid, to, depth + 1);
      left.set(node, l);
      right.set(node, r);
      return node;
    }

    private double lastGain;

    /** The best split of the node as {feature, last bin on the left}, or null when no split gains. */
    private int[] bestSplit(int from, int to, double c, double totalSum, double totalSquares, double imp) {
      Arrays.fill(hCount, 0);
      Arrays.fill(hSum, 0);
      Arrays.fill(hSquares, 0);
      for (int k = from; k < to; k++) {
        int i = index[k];
        double t = target[i];
        double t2 = t * t;
        int base = i * f;
        for (int j = 0; j < f; j++) {
          int h = j * stride + (bins[base + j] & 0xFF);
          hCount[h] += 1;
          hSum[h] += t;
          hSquares[h] += t2;
        }
      }
      double bestGain = 0;
      int[] best = null;
      int min = s.minInstancesPerNode();
      for (int j = 0; j < f; j++) {
        double lc = 0;
        double ls = 0;
        double lq = 0;
        for (int b = 0; b < thresholds[j].length; b++) {
          int h = j * stride + b;
          lc += hCount[h];
          ls += hSum[h];
          lq += hSquares[h];
          double rc = c - lc;
          if (lc < min || rc < min) {
            continue;
          }
          double g = imp - lc / c * variance(lc, ls, lq) - rc / c * variance(rc, totalSum - ls, totalSquares - lq);
          if (g > bestGain) {
            bestGain = g;
            best = new int[] {j, b};
          }
        }
      }
      lastGain = bestGain;
      return best;
    }

    /** Moves rows of {@code index[from, to)} whose feature {@code j} falls in bins up to {@code cut} first. */
    private int partition(int from, int to, int j, int cut) {
      int lo = from;
      int hi = to - 1;
      while (lo <= hi) {
        if ((bins[index[lo] * f + j] & 0xFF) <= cut) {
          lo++;
        } else {
          int tmp = index[lo];
          index[lo] = index[hi];
          index[hi] = tmp;
          hi--;
        }
      }
      return lo;
    }

    Tree tree() {
      return new Tree(feature.toArray(), threshold.toArray(), left.toArray(), right.toArray(), prediction.toArray(),
          impurity.toArray(), gain.toArray(), count.toArray(), sum.toArray(), squares.toArray());
    }
  }

  /** Variance of values from their count, sum and sum of squares (MLlib's variance impurity). */
  static double variance(double count, double sum, double squares) {
    if (count == 0) {
      return 0;
    }
    double mean = sum / count;
    return Math.max(0, squares / count - mean * mean);
  }

  /**
   * Cut points of one feature: midpoints between neighbouring distinct values, every one when there are at most
   * {@code maxBins} distinct values, else at about equal numbers of rows apart. NaN takes no cut point (it goes
   * right of every split).
   */
  static double[] thresholds(double[] values, int maxBins) {
    double[] sorted = values.clone();
    Arrays.sort(sorted); // NaN sorts last
    int m = sorted.length;
    while (m > 0 && Double.isNaN(sorted[m - 1])) {
      m--;
    }
    int distinct = 0;
    for (int i = 0; i < m; i++) {
      if (i == 0 || sorted[i] != sorted[i - 1]) {
        distinct++;
      }
    }
    double[] out = new double[Math.min(distinct, maxBins) - (distinct == 0 ? 0 : 1)];
    int k = 0;
    if (distinct <= maxBins) {
      for (int i = 1; i < m; i++) {
        if (sorted[i] != sorted[i - 1]) {
          out[k++] = midpoint(sorted[i - 1], sorted[i]);
        }
      }
      return out;
    }
    double previous = Double.NEGATIVE_INFINITY;
    for (int q = 1; q < maxBins; q++) {
      double v = sorted[(int) ((long) q * m / maxBins)];
      // The next distinct value above v: the cut sits between them.
      int at = upperBound(sorted, m, v);
      if (at >= m) {
        break;
      }
      double cut = midpoint(v, sorted[at]);
      if (cut > previous) {
        out[k++] = cut;
        previous = cut;
      }
    }
    return Arrays.copyOf(out, k);
  }

  private static double midpoint(double a, double b) {
    double mid = a + (b - a) / 2;
    return mid < b ? mid : a; // neighbouring doubles: the lower one still separates them
  }

  /** The first position in {@code sorted[0, m)} holding a value above {@code v}. */
  private static int upperBound(double[] sorted, int m, double v) {
    int lo = 0;
    int hi = m;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] <= v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** The bin of a value: how many cut points lie below it (NaN: past them all). */
  static int bin(double[] cuts, double v) {
    if (Double.isNaN(v)) {
      return cuts.length;
    }
    int lo = 0;
    int hi = cuts.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (cuts[mid] < v) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** A growable int array. */
  static final class Ints {
    private int[] a = new int[32];
    private int size;

    void add(int v) {
      if (size == a.length) {
        a = Arrays.copyOf(a, size * 2);
      }
      a[size++] = v;
    }

    int get(int i) {
      return a[i];
    }

    void set(int i, int v) {
      a[i] = v;
    }

    int size() {
      return size;
    }

    int[] toArray() {
      return Arrays.copyOf(a, size);
    }
  }

}
