package dev.leeway.uplift.learners;

import dev.leeway.features.ModelFeatures;
import dev.leeway.uplift.trees.HistogramGbt;
import dev.leeway.uplift.trees.TreeBoosting;
import java.util.Map;
import org.apache.spark.ml.Estimator;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * An uplift learner as an MLlib {@link Estimator}: fitted on rows with a feature vector, a 0/1 treatment and an
 * outcome, it returns an {@link UpliftModel} that adds the predicted effect of the treatment. A learner is one
 * subclass: it fits its component models ({@link #fitParts}) and says how they combine into a prediction for one
 * vector ({@link #scorer}); the model, saving and loading are shared. Learners are created by name from
 * {@link Learners}, which is also where a new one is registered.
 *
 * <p>Subclasses need a public constructor taking the uid (MLlib's convention, used to reload saved models).
 */
public abstract class UpliftEstimator extends Estimator<UpliftModel> {
  /** Column names the component models see: the caller's columns are renamed to these. */
  public static final String X = ModelFeatures.VECTOR;
  public static final String T = "__t";
  public static final String Y = "__y";

  private final String uid;
  // Params name their parent by uid, so they are created after it is set.
  private final Param<String> featuresCol;
  private final Param<String> treatmentCol;
  private final Param<String> labelCol;
  private final Param<String> predictionCol;
  private final Param<String> learnerName;
  private LearnerContext context;

  protected UpliftEstimator(String uid) {
    this.uid = uid;
    featuresCol = new Param<>(this, "featuresCol", "feature vector column");
    treatmentCol = new Param<>(this, "treatmentCol", "0/1 treatment column (double)");
    labelCol = new Param<>(this, "labelCol", "outcome column (double)");
    predictionCol = new Param<>(this, "predictionCol", "predicted effect column");
    learnerName = new Param<>(this, "learnerName", "the name the learner is registered by");
    setDefault(featuresCol, X);
    setDefault(treatmentCol, T);
    setDefault(labelCol, Y);
    setDefault(predictionCol, "uplift");
    setDefault(learnerName, getClass().getSimpleName());
  }

  protected UpliftEstimator() {
    this(Identifiable$.MODULE$.randomUID("uplift"));
  }

  @Override
  public String uid() {
    return uid;
  }

  public Param<String> featuresCol() {
    return featuresCol;
  }

  public Param<String> treatmentCol() {
    return treatmentCol;
  }

  public Param<String> labelCol() {
    return labelCol;
  }

  public Param<String> predictionCol() {
    return predictionCol;
  }

  public Param<String> learnerName() {
    return learnerName;
  }

  public UpliftEstimator setFeaturesCol(String v) {
    set(featuresCol, v);
    return this;
  }

  public UpliftEstimator setTreatmentCol(String v) {
    set(treatmentCol, v);
    return this;
  }

  public UpliftEstimator setLabelCol(String v) {
    set(labelCol, v);
    return this;
  }

  public UpliftEstimator setPredictionCol(String v) {
    set(predictionCol, v);
    return this;
  }

  public UpliftEstimator setLearnerName(String v) {
    set(learnerName, v);
    return this;
  }

  public String name() {
    return getOrDefault(learnerName);
  }

  /** Settings and the nuisance vector; required by learners that fit trees or nuisance models. */
  public UpliftEstimator setContext(LearnerContext context) {
    this.context = context;
    return this;
  }

  protected LearnerContext context() {
    if (context == null) {
      throw new IllegalStateException("Learner " + name() + " needs its settings: call setContext first");
    }
    return context;
  }

  /** Whether the learner is valid only for a 0/1 outcome (it is skipped for counts). */
  public boolean binaryOutcomeOnly() {
    return false;
  }

  /**
   * Fits the component models by role on rows holding {@link #X}, {@link #T}, {@link #Y} (and, when the context
   * names one, the nuisance vector and any caller columns such as folds).
   */
  protected abstract Map<String, Model<?>> fitParts(Dataset<Row> rows);

  /** How fitted parts combine into the prediction for one vector. */
  public abstract VectorScorer scorer(Map<String, Model<?>> parts);

  @Override
  public UpliftModel fit(Dataset<?> dataset) {
    Dataset<Row> rows = rename(rename(rename(dataset.toDF(), getOrDefault(featuresCol), X),
        getOrDefault(treatmentCol), T), getOrDefault(labelCol), Y);
    Map<String, Model<?>> parts = fitParts(rows);
    return new UpliftModel(uid, name(), getClass().getName(), parts, scorer(parts))
        .setFeaturesCol(getOrDefault(featuresCol)).setPredictionCol(getOrDefault(predictionCol));
  }

  private static Dataset<Row> rename(Dataset<Row> d, String from, String to) {
    return from.equals(to) ? d : d.drop(to).withColumnRenamed(from, to);
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return schema.add(getOrDefault(predictionCol), DataTypes.DoubleType, false);
  }

  @Override
  public UpliftEstimator copy(ParamMap extra) {
    return ((UpliftEstimator) defaultCopy(extra)).setContext(context);
  }

  /** The boosting settings of training. */
  protected HistogramGbt.Settings boosting() {
    var s = context().train();
    return new HistogramGbt.Settings(s.gbtMaxIter(), s.gbtMaxDepth(), s.gbtStepSize(), s.gbtMinInstancesPerNode(),
        s.gbtSubsamplingRate(), s.gbtMaxBins(), s.seed());
  }

  /** Fits gradient-boosted trees of {@code label} on {@link #X}. */
  protected GBTRegressionModel regress(Dataset<Row> rows, String label) {
    return regress(rows, X, label);
  }

  /** Fits gradient-boosted trees of {@code label} on {@code features}. */
  protected GBTRegressionModel regress(Dataset<Row> rows, String features, String label) {
    return TreeBoosting.fit(rows, features, label, "__pred", boosting(), context().train().singleTaskMaxRows());
  }
}
