package dev.leeway.uplift.trees;

import static org.apache.spark.sql.functions.col;

import dev.leeway.uplift.local.LabelledRows;
import dev.leeway.run.OneTask;
import java.util.Iterator;
import org.apache.spark.ml.regression.DecisionTreeRegressionModel;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.ml.regression.GBTRegressor;
import org.apache.spark.ml.tree.ContinuousSplit;
import org.apache.spark.ml.tree.InternalNode;
import org.apache.spark.ml.tree.LeafNode;
import org.apache.spark.ml.tree.Node;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.mllib.tree.impurity.VarianceCalculator;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Fits a gradient-boosted regression model and returns it as MLlib's {@link GBTRegressionModel}, so that scoring,
 * explaining, saving and loading are MLlib's whichever way it was fitted:
 *
 * <ul>
 *   <li>up to {@code singleTaskMaxRows} rows, in one Spark task with {@link HistogramGbt} (one Spark job for the
 *       whole model; the task holds the rows, about 8 bytes per feature value and one per binned value);
 *   <li>beyond that, with MLlib's distributed {@link GBTRegressor} and the same settings.
 * </ul>
 *
 * <p>Only the fitted trees reach the driver, never the rows.
 */
public final class TreeBoosting {
  private TreeBoosting() {}

  /**
   * @param rows rows holding {@code featuresCol} (a vector) and {@code labelCol} (a non-null double)
   * @param predictionCol the prediction column the returned model adds
   */
  public static GBTRegressionModel fit(Dataset<Row> rows, String featuresCol, String labelCol, String predictionCol,
      HistogramGbt.Settings settings, long singleTaskMaxRows) {
    Dataset<Row> d = rows.select(col(featuresCol), col(labelCol).cast("double"));
    GBTRegressionModel m = d.count() <= singleTaskMaxRows ? singleTask(d, settings)
        : distributed(d, featuresCol, labelCol, settings);
    m.setFeaturesCol(featuresCol);
    m.setPredictionCol(predictionCol);
    return m;
  }

  private static GBTRegressionModel distributed(Dataset<Row> d, String featuresCol, String labelCol,
      HistogramGbt.Settings s) {
    GBTRegressor r = new GBTRegressor().setMaxIter(s.maxIter()).setMaxDepth(s.maxDepth()).setStepSize(s.stepSize())
        .setMinInstancesPerNode(s.minInstancesPerNode()).setSubsamplingRate(s.subsamplingRate())
        .setMaxBins(s.maxBins()).setSeed(s.seed());
    r.setFeaturesCol(featuresCol);
    r.setLabelCol(labelCol);
    return r.fit(d);
  }

  private static GBTRegressionModel singleTask(Dataset<Row> d, HistogramGbt.Settings settings) {
    return toMllib(OneTask.run(d, it -> fitRows(it, settings)));
  }

  /** Reads a task's rows into arrays and fits them. */
  static HistogramGbt.Ensemble fitRows(Iterator<Row> it, HistogramGbt.Settings settings) {
    LabelledRows rows = LabelledRows.read(it);
    return HistogramGbt.fit(rows.x(), rows.y(), rows.features(), settings);
  }

  /** The ensemble as MLlib's model (its trees, weights and per-node statistics). */
  static GBTRegressionModel toMllib(HistogramGbt.Ensemble e) {
    DecisionTreeRegressionModel[] trees = new DecisionTreeRegressionModel[e.trees().length];
    for (int m = 0; m < trees.length; m++) {
      trees[m] = new DecisionTreeRegressionModel(Identifiable$.MODULE$.randomUID("dtr"), node(e.trees()[m], 0),
          e.numFeatures());
    }
    return new GBTRegressionModel(Identifiable$.MODULE$.randomUID("gbtr"), trees, e.weights().clone(),
        e.numFeatures());
  }

  private static Node node(HistogramGbt.Tree t, int n) {
    VarianceCalculator stats = new VarianceCalculator(new double[] {t.count()[n], t.sum()[n], t.sumSquares()[n]},
        (long) t.count()[n]);
    if (t.feature()[n] < 0) {
      return new LeafNode(t.prediction()[n], t.impurity()[n], stats);
    }
    return new InternalNode(t.prediction()[n], t.impurity()[n], t.gain()[n], node(t, t.left()[n]),
        node(t, t.right()[n]), new ContinuousSplit(t.feature()[n], t.threshold()[n]), stats);
  }
}
