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

  /** A prediction from a vector's values, for {@link #ofArrays}. */
  @FunctionalInterface
  interface ArrayScorer extends Serializable {
    double score(double[] features);
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
    };
  }
}
