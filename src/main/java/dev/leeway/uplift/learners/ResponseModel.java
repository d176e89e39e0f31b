package dev.leeway.uplift.learners;

import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The plain response model: predicts the outcome on all rows, whatever the treatment. Not an uplift learner: the
 * baseline that shows whether modelling the effect beats ranking customers by how likely they are to stay.
 */
public final class ResponseModel extends UpliftEstimator {
  public ResponseModel(String uid) {
    super(uid);
  }

  @Override
  protected Map<String, Model<?>> fitParts(Dataset<Row> rows) {
    return Map.of("m", regress(rows, Y));
  }

  @Override
  public VectorScorer scorer(Map<String, Model<?>> parts) {
    return VectorScorer.ofArrays(FlatForest.of((GBTRegressionModel) parts.get("m")));
  }
}
