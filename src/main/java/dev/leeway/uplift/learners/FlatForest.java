package dev.leeway.uplift.learners;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.ml.classification.LogisticRegressionModel;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.regression.DecisionTreeRegressionModel;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.ml.tree.ContinuousSplit;
import org.apache.spark.ml.tree.InternalNode;
import org.apache.spark.ml.tree.LeafNode;
import org.apache.spark.ml.tree.Node;

/**
 * An MLlib boosted-trees model's prediction as a walk over flat arrays: all trees' nodes in one set of arrays, each
 * node a feature, a threshold and its children's positions, or a leaf's value. It gives MLlib's prediction (rows with
 * {@code x[feature] <= threshold} go left, others and NaN right; the weighted sum of the trees' leaves) without a
 * vector, an object per node or an array per prediction: scoring asks the models tens of questions per row.
 *
 * <p>Variations of a row (one per feature, for reasons) are answered from the trees' structure: a variation that
 * changes no feature a tree tested on the row's own path reaches the same leaf, so each tree walks again only for
 * the few features on that path, not once per feature.
 */
public final class FlatForest implements VectorScorer.ArrayScorer {
  private final int[] roots;
  private final double[] weights;
  private final int[] feature;
  private final double[] threshold;
  private final int[] left;
  private final int[] right;
  private final double[] value;

  private FlatForest(int[] roots, double[] weights, int[] feature, double[] threshold, int[] left, int[] right,
      double[] value) {
    this.roots = roots;
    this.weights = weights;
    this.feature = feature;
    this.threshold = threshold;
    this.left = left;
    this.right = right;
    this.value = value;
  }

  /**
   * The model's prediction on arrays: flat when every split is a threshold on a feature (always, for models
   * {@link dev.leeway.uplift.trees.TreeBoosting} fits in one task); MLlib's own prediction otherwise (a categorical split).
   */
  public static VectorScorer.ArrayScorer of(GBTRegressionModel m) {
    List<Integer> f = new ArrayList<>();
    List<Double> t = new ArrayList<>();
    List<Integer> l = new ArrayList<>();
    List<Integer> r = new ArrayList<>();
    List<Double> v = new ArrayList<>();
    DecisionTreeRegressionModel[] trees = m.trees();
    int[] roots = new int[trees.length];
    for (int i = 0; i < trees.length; i++) {
      roots[i] = add(trees[i].rootNode(), f, t, l, r, v);
      if (roots[i] < 0) {
        return x -> m.predict(Vectors.dense(x));
      }
    }
    return new FlatForest(roots, m.treeWeights().clone(), f.stream().mapToInt(Integer::intValue).toArray(),
        t.stream().mapToDouble(Double::doubleValue).toArray(), l.stream().mapToInt(Integer::intValue).toArray(),
        r.stream().mapToInt(Integer::intValue).toArray(), v.stream().mapToDouble(Double::doubleValue).toArray());
  }

  /** Adds a node and its subtree; its position, or -1 when a split is not a threshold. */
  private static int add(Node n, List<Integer> f, List<Double> t, List<Integer> l, List<Integer> r, List<Double> v) {
    int at = f.size();
    f.add(-1);
    t.add(0.0);
    l.add(-1);
    r.add(-1);
    v.add(n.prediction());
    if (n instanceof LeafNode) {
      return at;
    }
    InternalNode in = (InternalNode) n;
    if (!(in.split() instanceof ContinuousSplit split)) {
      return -1;
    }
    f.set(at, split.featureIndex());
    t.set(at, split.threshold());
    int lc = add(in.leftChild(), f, t, l, r, v);
    int rc = add(in.rightChild(), f, t, l, r, v);
    if (lc < 0 || rc < 0) {
      return -1;
    }
    l.set(at, lc);
    r.set(at, rc);
    return at;
  }

  @Override
  public double score(double[] x) {
    double p = 0;
    for (int m = 0; m < roots.length; m++) {
      int n = roots[m];
      while (feature[n] >= 0) {
        n = x[feature[n]] <= threshold[n] ? left[n] : right[n];
      }
      p += weights[m] * value[n];
    }
    return p;
  }

  /**
   * Each variation's prediction: the row's own, plus, for each tree, the change of leaf of each variation whose
   * features the row's path tested (exact: any other variation follows the same path).
   */
  @Override
  public double[] variants(double[] x, Variations v) {
    double[] out = new double[v.size()];
    double base = 0;
    int[] seen = new int[8];
    for (int m = 0; m < roots.length; m++) {
      int n = roots[m];
      int groups = 0;
      while (feature[n] >= 0) {
        int g = v.groupOf(feature[n]);
        if (g >= 0 && indexOf(seen, groups, g) < 0) {
          if (groups == seen.length) {
            seen = java.util.Arrays.copyOf(seen, 2 * groups);
          }
          seen[groups++] = g;
        }
        n = x[feature[n]] <= threshold[n] ? left[n] : right[n];
      }
      double leaf = value[n];
      base += weights[m] * leaf;
      for (int i = 0; i < groups; i++) {
        int g = seen[i];
        int k = roots[m];
        while (feature[k] >= 0) {
          int f = feature[k];
          double xf = v.groupOf(f) == g ? v.reference(f) : x[f];
          k = xf <= threshold[k] ? left[k] : right[k];
        }
        out[g] += weights[m] * (value[k] - leaf);
      }
    }
    for (int g = 0; g < out.length; g++) {
      out[g] += base;
    }
    return out;
  }

  private static int indexOf(int[] a, int n, int v) {
    for (int i = 0; i < n; i++) {
      if (a[i] == v) {
        return i;
      }
    }
    return -1;
  }

  /** A binary logistic model's probability of the positive class, on arrays (MLlib's, for other models). */
  public static VectorScorer.ArrayScorer probability(LogisticRegressionModel g) {
    if (g.numClasses() != 2 || g.coefficientMatrix().numRows() != 1) {
      return x -> g.predictProbability(Vectors.dense(x)).apply(1);
    }
    double[] w = g.coefficients().toArray();
    double b = g.intercept();
    return new VectorScorer.ArrayScorer() {
      @Override
      public double score(double[] x) {
        return sigmoid(margin(x));
      }

      /** A variation moves the margin by its slots' coefficients times their change. */
      @Override
      public double[] variants(double[] x, Variations v) {
        double m = margin(x);
        double[] shift = new double[v.size()];
        for (int i = 0; i < w.length; i++) {
          int k = v.groupOf(i);
          if (k >= 0) {
            shift[k] += w[i] * (v.reference(i) - x[i]);
          }
        }
        for (int k = 0; k < shift.length; k++) {
          shift[k] = sigmoid(m + shift[k]);
        }
        return shift;
      }

      private double margin(double[] x) {
        double margin = b;
        for (int i = 0; i < w.length; i++) {
          margin += w[i] * x[i];
        }
        return margin;
      }
    };
  }

  private static double sigmoid(double margin) {
    return 1.0 / (1.0 + Math.exp(-margin));
  }
}
