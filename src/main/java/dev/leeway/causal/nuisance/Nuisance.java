package dev.leeway.causal.nuisance;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;

import dev.leeway.causal.CrossFit;
import dev.leeway.causal.EffectOutcome;
import dev.leeway.config.LeewayConfig.EffectSettings;
import dev.leeway.contract.Cols;
import dev.leeway.features.ModelFeatures;
import java.util.List;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.classification.GBTClassifier;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.regression.GBTRegressor;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF3;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

/**
 * The cross-fitted nuisance models of the doubly robust estimators: the propensity e(X) = P(granted | X) and, per
 * outcome, mu_0(X) and mu_1(X) fitted on matured denied and granted rows. Every row's predictions come from models
 * fitted without its fold (folds are drawn by customer, so no customer's other requests train the model that
 * predicts for them). Either penalised linear and logistic models on a spline {@link Design} with a deviation per
 * policy ("logistic", "linear"), or MLlib gradient-boosted trees with the policy among the features ("gbt").
 */
public final class Nuisance {
  /** The unclipped cross-fitted propensity. */
  public static final String E_RAW = "__e_raw";

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Nuisance.class);

  private final EffectSettings settings;
  private final Design design;

  public Nuisance(EffectSettings settings, Design design) {
    this.settings = settings;
    this.design = design;
  }

  /** Chooses the design (spline knots, policy groups) on {@code data}, which holds the feature vector. */
  public static Design design(Dataset<Row> data, ModelFeatures features, EffectSettings settings) {
    boolean policies = List.of(data.columns()).contains(Cols.POLICY);
    return Design.fit(policies ? data : data.withColumn(Cols.POLICY, lit(null).cast("string")), ModelFeatures.VECTOR,
        Cols.POLICY, features.logScaleSlots(), settings.splineKnots(), policies ? settings.maxPolicyModels() : 0);
  }

  /**
   * {@code data} must hold the feature vector, the fold column, the policy and {@code treatmentCol} (0/1, as
   * double). Returns it with {@link #E_RAW} and each outcome's {@code mu(0)} and {@code mu(1)} added.
   */
  public Dataset<Row> fit(Dataset<Row> input, String treatmentCol, List<EffectOutcome> outcomes) {
    long started = System.nanoTime();
    // Data without policies (an experiment such as the public benchmark) is one pooled group.
    boolean noPolicy = !List.of(input.columns()).contains(Cols.POLICY);
    Dataset<Row> data = noPolicy ? input.withColumn(Cols.POLICY, lit(null).cast("string")) : input;
    Dataset<Row> scored = settings.propensityModel().equals("gbt")
        ? gbtPropensity(data, treatmentCol)
        : logisticPropensity(data, treatmentCol);
    long propensityDone = System.nanoTime();
    scored = settings.outcomeModel().equals("gbt")
        ? gbtOutcomes(scored, treatmentCol, outcomes)
        : ridgeOutcomes(scored, data, treatmentCol, outcomes);
    LOG.info("Nuisance models ({}): propensity in {} s, outcome models in {} s", treatmentCol,
        (propensityDone - started) / 1_000_000_000, (System.nanoTime() - propensityDone) / 1_000_000_000);
    return noPolicy ? scored.drop(Cols.POLICY) : scored;
  }

  private Dataset<Row> logisticPropensity(Dataset<Row> data, String treatmentCol) {
    double[][][] coef = new PolicyLogistic(design, settings.folds(), settings.ridgeRows(),
        settings.policyShrinkageRows()).fit(data, ModelFeatures.VECTOR, CrossFit.FOLD, Cols.POLICY, treatmentCol,
            settings.singleTaskMaxRows())
        .byFold();
    Design dz = design;
    UserDefinedFunction predict = udf((UDF3<Vector, Integer, String, Double>) (x, fold, policy) ->
        1 / (1 + Math.exp(-dz.expand(x, dz.buffer()).dot(coef[fold][dz.group(policy)]))), DataTypes.DoubleType);
    return data.withColumn(E_RAW, predict.apply(col(ModelFeatures.VECTOR), col(CrossFit.FOLD), col(Cols.POLICY)));
  }

  private Dataset<Row> ridgeOutcomes(Dataset<Row> scored, Dataset<Row> data, String treatmentCol,
      List<EffectOutcome> outcomes) {
    double[][][][][] coef = new PolicyRidge(design, settings.folds(), settings.ridgeRows(), settings.policyShrinkageRows())
        .fit(data, ModelFeatures.VECTOR, CrossFit.FOLD, Cols.POLICY, treatmentCol,
            outcomes.stream().map(EffectOutcome::column).toList());
    Design dz = design;
    int n = outcomes.size();
    UserDefinedFunction predict = udf((UDF3<Vector, Integer, String, double[]>) (x, fold, policy) -> {
      Design.Sparse z = dz.expand(x, dz.buffer());
      int g = dz.group(policy);
      double[] out = new double[2 * n];
      for (int o = 0; o < n; o++) {
        out[2 * o] = z.dot(coef[o][0][fold][g]);
        out[2 * o + 1] = z.dot(coef[o][1][fold][g]);
      }
      return out;
    }, DataTypes.createArrayType(DataTypes.DoubleType, false));
    String all = "__mu_all";
    Dataset<Row> d = scored.withColumn(all,
        predict.apply(col(ModelFeatures.VECTOR), col(CrossFit.FOLD), col(Cols.POLICY)));
    for (int o = 0; o < n; o++) {
      d = d.withColumn(outcomes.get(o).mu(0), col(all).getItem(2 * o))
          .withColumn(outcomes.get(o).mu(1), col(all).getItem(2 * o + 1));
    }
    return d.drop(all);
  }

  /** MLlib trees: K fits, each scoring its own fold, joined back as a union of K branches. */
  private Dataset<Row> gbtPropensity(Dataset<Row> data, String treatmentCol) {
    Dataset<Row> result = null;
    for (int k = 0; k < settings.folds(); k++) {
      Model<?> m = CrossFit.fit(new GBTClassifier().setMaxIter(settings.gbtMaxIter())
          .setMaxDepth(settings.gbtMaxDepth()).setSeed(settings.seed()), data.filter(col(CrossFit.FOLD).notEqual(k)),
          treatmentCol);
      Dataset<Row> fold = CrossFit.score(m, data.filter(col(CrossFit.FOLD).equalTo(k)), E_RAW);
      result = result == null ? fold : result.unionByName(fold);
    }
    return result;
  }

  private Dataset<Row> gbtOutcomes(Dataset<Row> scored, String treatmentCol, List<EffectOutcome> outcomes) {
    Dataset<Row> result = null;
    for (int k = 0; k < settings.folds(); k++) {
      Dataset<Row> train = scored.filter(col(CrossFit.FOLD).notEqual(k));
      Dataset<Row> fold = scored.filter(col(CrossFit.FOLD).equalTo(k));
      for (EffectOutcome o : outcomes) {
        for (int t = 0; t <= 1; t++) {
          Dataset<Row> arm = train.filter(col(treatmentCol).equalTo(t).and(col(o.column()).isNotNull()))
              .withColumn("__label", col(o.column()).cast("double"));
          Model<?> mu = CrossFit.fit(new GBTRegressor().setMaxIter(settings.gbtMaxIter())
              .setMaxDepth(settings.gbtMaxDepth()).setSeed(settings.seed()), arm, "__label");
          fold = CrossFit.score(mu, fold, o.mu(t));
        }
      }
      result = result == null ? fold : result.unionByName(fold);
    }
    return result;
  }
}
