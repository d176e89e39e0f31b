package dev.leeway.uplift;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.try_divide;
import static org.apache.spark.sql.functions.unix_seconds;
import static org.apache.spark.sql.functions.xxhash64;

import dev.leeway.causal.CrossFit;
import dev.leeway.config.LeewayConfig;
import dev.leeway.config.LeewayConfig.TrainSettings;
import dev.leeway.contract.Cols;
import dev.leeway.features.ModelFeatures;
import dev.leeway.outcomes.OutcomeCols;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.classification.LogisticRegression;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Trains and evaluates the uplift learners on matured requests, for each outcome, on a time split (train on older
 * requests, evaluate on the newest) and a random split; picks the champion by held-out Qini on the time split of
 * the primary outcome (retention); and refits the champion on every matured request for scoring.
 *
 * <p>Policies share one model per learner and outcome, with the policy as a feature: trees split by policy where
 * a policy has the data to support it and pool otherwise.
 */
public final class UpliftTraining {
  public static final String ALL = "ALL";
  public static final String RANDOM = "random";
  public static final String ORACLE = "oracle";
  public static final String TIME_SPLIT = "time";
  public static final String RANDOM_SPLIT = "random";
  /** The keys of every metric and curve row. */
  public static final List<String> KEYS = List.of("split", "outcome", "policy", "ranking");

  /** One outcome the models learn: its name in outputs, its requests-table column and its ground-truth column. */
  public record OutcomeSpec(String name, String column, String truthColumn) {}

  /** What training produced: held-out metrics and curves, the champion refitted on all rows, and sizes. */
  public record Result(Dataset<Row> metrics, Dataset<Row> curves, String champion, PipelineModel encoding,
      Map<String, UpliftLearner.Fitted> models, Map<String, Object> facts, Dataset<Row> primaryTimeTest) {}

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UpliftTraining.class);

  private final LeewayConfig config;
  private final TrainSettings settings;

  public UpliftTraining(LeewayConfig config) {
    this.config = config;
    this.settings = config.train();
  }

  /** Retention at the configured horizon (primary) and converted referrals in the configured window. */
  public static List<OutcomeSpec> outcomes(TrainSettings s) {
    int h = s.retentionHorizonDays();
    int w = s.referralWindowDays();
    return List.of(new OutcomeSpec("retention_" + h + "d", OutcomeCols.retained(h), "tau_retention_" + h),
        new OutcomeSpec("referrals_" + w + "d", OutcomeCols.referralsConvertedAfter(w), "tau_referrals_" + w));
  }

  /** The features uplift models use: customer features and the policy (no request context: scoring has none). */
  public ModelFeatures features() {
    return new ModelFeatures(config.features(), false);
  }

  /**
   * @param requests the outcomes stage's requests table
   * @param truth the generator's per-request truth (exception_id, tau_* columns), or null
   * @param materialize stores an intermediate result and returns it read back
   */
  public Result train(Dataset<Row> requests, Dataset<Row> truth, UnaryOperator<Dataset<Row>> materialize) {
    // Interference: customers referred by a flexed customer are treated alike in both arms (as in effects).
    Dataset<Row> population = config.effects().referredByFlexed().equals(LeewayConfig.EffectSettings.EXCLUDE)
        ? requests.filter(not(col(OutcomeCols.REFERRED_BY_FLEXED))) : requests;
    ModelFeatures features = features();
    Dataset<Row> prepared = features.prepare(population.withColumn(UpliftLearner.T,
        col(OutcomeCols.TREATED).cast("double")));
    PipelineModel encoding = features.fit(prepared);
    // Folds and the random split are drawn by customer: a customer's requests share outcome windows.
    Dataset<Row> vectors = CrossFit.assignFolds(ModelFeatures.transform(encoding, prepared), Cols.CUSTOMER_ID,
        config.effects().folds(), config.effects().seed())
        .withColumn("__random_split", pmod(xxhash64(col(Cols.CUSTOMER_ID), lit(settings.seed())), lit(10_000))
            .lt(Math.round(settings.testFraction() * 10_000)))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      List<OutcomeSpec> outcomes = outcomes(settings);
      Dataset<Row> primaryTimeTest = null;
      List<Dataset<Row>> rankings = new ArrayList<>();
      Map<String, Object> facts = new LinkedHashMap<>();
      facts.put("requests", requests.count());
      facts.put("requests_used", vectors.count());
      for (OutcomeSpec o : outcomes) {
        Dataset<Row> mature = vectors.filter(col(o.column()).isNotNull())
            .withColumn(UpliftLearner.Y, col(o.column()).cast("double"));
        double cutoff = timeCutoff(mature);
        Map<String, Object> of = new LinkedHashMap<>();
        of.put("matured_requests", mature.count());
        of.put("time_split_test_from", java.time.Instant.ofEpochSecond((long) cutoff).toString());
        facts.put(o.name(), of);
        Column newest = unix_seconds(col(Cols.REQUESTED_AT)).geq(cutoff);
        Dataset<Row> timeTest = weighted(mature.filter(not(newest)), mature.filter(newest),
            TIME_SPLIT + "-split " + o.name());
        if (primaryTimeTest == null) {
          primaryTimeTest = population.filter(col(o.column()).isNotNull().and(newest))
              .withColumn(UpliftLearner.T, col(OutcomeCols.TREATED).cast("double"))
              .withColumn(UpliftLearner.Y, col(o.column()).cast("double"))
              .join(timeTest.select(Cols.EXCEPTION_ID, UpliftMetrics.W), Cols.EXCEPTION_ID);
        }
        rankings.add(evaluateSplit(TIME_SPLIT, o, mature.filter(not(newest)), timeTest, truth));
        Dataset<Row> randomTrain = mature.filter(not(col("__random_split")));
        rankings.add(evaluateSplit(RANDOM_SPLIT, o, randomTrain,
            weighted(randomTrain, mature.filter(col("__random_split")), RANDOM_SPLIT + "-split " + o.name()), truth));
      }
      Dataset<Row> all = rankings.get(0);
      for (Dataset<Row> r : rankings.subList(1, rankings.size())) {
        all = all.unionByName(r);
      }
      Dataset<Row> scored = materialize.apply(all.unionByName(all.withColumn("policy", lit(ALL))));
      UpliftMetrics.Output out = UpliftMetrics.evaluate(scored, KEYS, List.of(Cols.CUSTOMER_ID, Cols.EXCEPTION_ID));
      Dataset<Row> metrics = materialize.apply(withOracleFraction(out.metrics()));
      Dataset<Row> curves = materialize.apply(out.curves());

      String champion = champion(metrics, outcomes.get(0).name());
      Map<String, UpliftLearner.Fitted> models = new LinkedHashMap<>();
      for (OutcomeSpec o : outcomes) {
        Dataset<Row> mature = vectors.filter(col(o.column()).isNotNull())
            .withColumn(UpliftLearner.Y, col(o.column()).cast("double"));
        long started = System.nanoTime();
        models.put(o.name(), learner(champion).fit(mature));
        LOG.info("Champion {} refitted on all matured requests for {} in {} s", champion, o.name(),
            (System.nanoTime() - started) / 1_000_000_000);
      }
      Row window = vectors.agg(min(Cols.REQUESTED_AT), max(Cols.REQUESTED_AT)).first();
      facts.put("training_window", Map.of("from", String.valueOf(window.get(0)), "to", String.valueOf(window.get(1))));
      return new Result(metrics, curves, champion, encoding, models, facts, primaryTimeTest);
    } finally {
      vectors.unpersist();
    }
  }

  private UpliftLearner learner(String name) {
    return new UpliftLearner(name, settings, config.effects(), features());
  }

  /** Requests at or after this instant (epoch seconds) are the newest test_fraction of {@code mature}. */
  private double timeCutoff(Dataset<Row> mature) {
    double[] q = mature.withColumn("__at_s", unix_seconds(col(Cols.REQUESTED_AT)).cast("double")).stat()
        .approxQuantile("__at_s", new double[] {1 - settings.testFraction()}, 0.0005);
    if (q.length == 0) {
      throw new NotEnoughData("no matured requests to train on: every request is younger than the "
          + "outcome horizon; run with a later run date or more history");
    }
    return q[0];
  }

  /**
   * Adds {@link UpliftMetrics#W} to the held-out rows: the inverse propensity of their arm, from a model fitted on
   * the training rows, so the granted and denied rows compared within the top k of a ranking stand for the same
   * customers (the held-out data are observational, not an experiment).
   */
  private Dataset<Row> weighted(Dataset<Row> train, Dataset<Row> test, String what) {
    requireArms(train, "The " + what + " training set");
    requireArms(test, "The " + what + " test set");
    Model<?> propensity = CrossFit.fit(new LogisticRegression().setMaxIter(100).setTol(1e-5).setRegParam(1e-3),
        train, UpliftLearner.T);
    Column e = least(greatest(col("__e"), lit(config.effects().clipLow())), lit(config.effects().clipHigh()));
    return CrossFit.score(propensity, test, "__e")
        .withColumn(UpliftMetrics.W, when(col(UpliftLearner.T).gt(0.5), lit(1.0).divide(e))
            .otherwise(lit(1.0).divide(lit(1.0).minus(e)))).drop("__e");
  }

  /** Too few matured requests in an arm to train or evaluate on. */
  public static final class NotEnoughData extends RuntimeException {
    NotEnoughData(String message) {
      super(message);
    }
  }

  private void requireArms(Dataset<Row> rows, String what) {
    long treated = 0;
    long control = 0;
    for (Row r : rows.groupBy(UpliftLearner.T).count().collectAsList()) {
      if (r.getDouble(0) > 0.5) {
        treated = r.getLong(1);
      } else {
        control = r.getLong(1);
      }
    }
    if (treated < settings.minArmRows() || control < settings.minArmRows()) {
      throw new NotEnoughData(what + " has " + treated + " granted and " + control + " denied matured requests; "
          + "at least " + settings.minArmRows() + " of each are needed (leeway.train.min_arm_rows)");
    }
  }

  /** Fits every learner and the baselines on {@code train} and ranks {@code test} with each. */
  private Dataset<Row> evaluateSplit(String split, OutcomeSpec o, Dataset<Row> train, Dataset<Row> test,
      Dataset<Row> truth) {
    Column[] keep = {col(Cols.POLICY), col(Cols.CUSTOMER_ID), col(Cols.EXCEPTION_ID),
        col(UpliftLearner.T).as(UpliftMetrics.T), col(UpliftLearner.Y).as(UpliftMetrics.Y), col(UpliftMetrics.W)};
    List<Dataset<Row>> out = new ArrayList<>();
    List<String> names = new ArrayList<>(settings.learners());
    names.add(UpliftLearner.RESPONSE);
    for (String name : names) {
      long started = System.nanoTime();
      UpliftLearner.Fitted fitted = learner(name).fit(train);
      LOG.info("{} split, {}: {} fitted in {} s", split, o.name(), name, (System.nanoTime() - started) / 1_000_000_000);
      out.add(fitted.predict(test, UpliftMetrics.SCORE).select(concat(keep, col(UpliftMetrics.SCORE)))
          .withColumn("ranking", lit(name)));
    }
    // A random ranking: a fixed function of the ids and the seed.
    out.add(test.select(concat(keep, pmod(xxhash64(col(Cols.CUSTOMER_ID), col(Cols.EXCEPTION_ID),
        lit(settings.seed())), lit(1_000_003)).cast("double").as(UpliftMetrics.SCORE))).withColumn("ranking",
        lit(RANDOM)));
    if (truth != null && List.of(truth.columns()).contains(o.truthColumn())) {
      out.add(test.join(truth.select(col(Cols.EXCEPTION_ID), col(o.truthColumn()).as(UpliftMetrics.SCORE)),
          Cols.EXCEPTION_ID).select(concat(keep, col(UpliftMetrics.SCORE))).withColumn("ranking", lit(ORACLE)));
    }
    Dataset<Row> all = out.get(0);
    for (Dataset<Row> d : out.subList(1, out.size())) {
      all = all.unionByName(d);
    }
    return all.withColumn("split", lit(split)).withColumn("outcome", lit(o.name()));
  }

  private static Column[] concat(Column[] a, Column... b) {
    Column[] out = new Column[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** Adds each ranking's Qini as a fraction of the oracle's on the same rows (null without ground truth). */
  private static Dataset<Row> withOracleFraction(Dataset<Row> metrics) {
    Dataset<Row> oracle = metrics.filter(col("ranking").equalTo(ORACLE))
        .select(col("split"), col("outcome"), col("policy"), col("qini").as("oracle_qini"));
    return metrics.join(oracle, new String[] {"split", "outcome", "policy"}, "left")
        .withColumn("qini_fraction_of_oracle", try_divide(col("qini"), col("oracle_qini")));
  }

  /** The learner with the highest Qini on the time split of the primary outcome over all policies. */
  private String champion(Dataset<Row> metrics, String primary) {
    String best = null;
    double bestQini = Double.NEGATIVE_INFINITY;
    for (String name : settings.learners()) {
      List<Row> r = metrics.filter(col("split").equalTo(TIME_SPLIT).and(col("outcome").equalTo(primary))
          .and(col("policy").equalTo(ALL)).and(col("ranking").equalTo(name))).select("qini").collectAsList();
      double q = r.isEmpty() || r.get(0).isNullAt(0) ? Double.NEGATIVE_INFINITY : r.get(0).getDouble(0);
      if (best == null || q > bestQini) {
        best = name;
        bestQini = q;
      }
    }
    return best;
  }
}
