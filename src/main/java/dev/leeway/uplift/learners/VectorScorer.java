package dev.leeway.uplift.learners;

import java.io.Serializable;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;

/**
 * A fitted learner's prediction for one feature vector, without Spark: the effect of a grant (the outcome itself
 * for the response baseline). Serializable, so it runs inside tasks (scoring, explanations).
 */
@FunctionalInterface
public interface VectorScorer extends Serializable {
  double score(Vector features);

  /**
   * The same prediction for the vector's values as an array, which the caller keeps and the scorer does not change.
   * Scorers built with {@link #ofArrays} read the array as it is; others wrap it in a vector.
   */
  default double score(double[] features) {
    return score(Vectors.dense(features));
  }

  /** The predictions for each of {@code v}'s variations of {@code x}, in group order. */
  default double[] variants(double[] x, Variations v) {
    return v.byCopies(x, this::score);
  }

  /** A prediction from a vector's values, for {@link #ofArrays}. */
  @FunctionalInterface
  interface ArrayScorer extends Serializable {
    double score(double[] features);

    /** The predictions for each of {@code v}'s variations of {@code x}: each scored in full unless overridden. */
    default double[] variants(double[] x, Variations v) {
      return v.byCopies(x, this);
    }
  }

  /**
   * A scorer whose work is on arrays: scoring many variations of one row (scoring and explaining it) reads one
   * array throughout instead of a vector each time, and a sparse vector is made dense once.
   */
  static VectorScorer ofArrays(ArrayScorer f) {
    return new VectorScorer() {
      @Override
      public double score(Vector features) {
        return f.score(features.toArray());
      }

      @Override
      public double score(double[] features) {
        return f.score(features);
      }

      @Override
      public double[] variants(double[] x, Variations v) {
        return f.variants(x, v);
      }
    };
  }

  /** The difference of two models' predictions, for each variation too (a T-learner's mu_1 - mu_0). */
  static ArrayScorer difference(ArrayScorer a, ArrayScorer b) {
    return new ArrayScorer() {
      @Override
      public double score(double[] x) {
        return a.score(x) - b.score(x);
      }

      @Override
      public double[] variants(double[] x, Variations v) {
        double[] out = a.variants(x, v);
        double[] minus = b.variants(x, v);
        for (int g = 0; g < out.length; g++) {
          out[g] -= minus[g];
        }
        return out;
      }
    };
  }
}
