package dev.leeway.uplift.learners;

import java.io.Serializable;
import org.apache.spark.ml.linalg.Vector;

/**
 * A fitted learner's prediction for one feature vector, without Spark: the effect of a grant (the outcome itself
 * for the response baseline). Serializable, so it runs inside tasks (scoring, explanations).
 */
@FunctionalInterface
public interface VectorScorer extends Serializable {
  double score(Vector features);
}
