package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;

import dev.leeway.config.LeewayConfig.EffectSettings;
import java.util.List;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.Predictor;
import org.apache.spark.ml.classification.GBTClassifier;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.ml.regression.GBTRegressor;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The cross-fitted nuisance models of the doubly robust estimator: the propensity e(X) = P(granted | X) and, per
 * outcome, mu_0(X) and mu_1(X) fitted on mature denied and granted rows. For each fold every model is fitted on
 * the other folds and scores the fold once, so the plan holds one union of K branches.
 */
public final class Nuisance {
  /** The unclipped cross-fitted propensity. */
  public static final String E_RAW = "__e_raw";

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Nuisance.class);

  private final EffectSettings settings;

  public Nuisance(EffectSettings settings) {
    this.settings = settings;
  }

  /** {@code data} must hold the feature vector, the fold column and {@code treatmentCol} (0/1, as double). */
  public Dataset<Row> fit(Dataset<Row> data, String treatmentCol, List<EffectOutcome> outcomes) {
    boolean linear = !settings.outcomeModel().equals("gbt");
    Dataset<Row> result = null;
    for (int k = 0; k < settings.folds(); k++) {
      long started = System.nanoTime();
      Dataset<Row> train = data.filter(col(CrossFit.FOLD).notEqual(k));
      Model<?> propensity = CrossFit.fit(classifier(), train, treatmentCol);
      long propensityDone = System.nanoTime();
      Dataset<Row> fold = CrossFit.score(propensity, data.filter(col(CrossFit.FOLD).equalTo(k)), E_RAW);
      for (EffectOutcome o : linear ? List.<EffectOutcome>of() : outcomes) {
        for (int t = 0; t <= 1; t++) {
          Dataset<Row> arm = train.filter(col(treatmentCol).equalTo(t).and(col(o.column()).isNotNull()))
              .withColumn("__label", col(o.column()).cast("double"));
          Model<?> mu = CrossFit.fit(regressor(), arm, "__label");
          fold = CrossFit.score(mu, fold, o.mu(t));
        }
      }
      LOG.info("Fold {}/{} ({}): propensity fitted in {} s, outcome models in {} s", k + 1, settings.folds(),
          treatmentCol, (propensityDone - started) / 1_000_000_000, (System.nanoTime() - propensityDone) / 1_000_000_000);
      result = result == null ? fold : result.unionByName(fold);
    }
    if (linear) {
      long started = System.nanoTime();
      LinearOutcomeModels.Fit fit = new LinearOutcomeModels(settings.folds(), settings.outcomeRidge())
          .fit(data, treatmentCol, outcomes.stream().map(EffectOutcome::column).toList());
      LOG.info("Linear outcome models ({}): {} outcomes x 2 arms x {} folds fitted in one pass in {} s", treatmentCol,
          outcomes.size(), settings.folds(), (System.nanoTime() - started) / 1_000_000_000);
      for (int o = 0; o < outcomes.size(); o++) {
        for (int t = 0; t <= 1; t++) {
          result = LinearOutcomeModels.score(result, fit.coefficients()[o][t], outcomes.get(o).mu(t));
        }
      }
    }
    return result;
  }

  private Predictor<?, ?, ?> classifier() {
    if (settings.propensityModel().equals("gbt")) {
      return new GBTClassifier().setMaxIter(settings.gbtMaxIter()).setMaxDepth(settings.gbtMaxDepth())
          .setSeed(settings.seed());
    }
    return new LogisticRegression().setMaxIter(100).setTol(1e-5).setRegParam(1e-3).setElasticNetParam(0.0);
  }

  private Predictor<?, ?, ?> regressor() {
    if (settings.outcomeModel().equals("gbt")) {
      return new GBTRegressor().setMaxIter(settings.gbtMaxIter()).setMaxDepth(settings.gbtMaxDepth())
          .setSeed(settings.seed());
    }
    throw new IllegalStateException("linear outcome models are fitted by LinearOutcomeModels");
  }
}
