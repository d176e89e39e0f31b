package dev.leeway.uplift;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.try_divide;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.leeway.causal.CrossFit;
import dev.leeway.causal.Interval;
import dev.leeway.config.LeewayConfig;
import dev.leeway.config.LeewayConfig.TrainSettings;
import dev.leeway.contract.Cols;
import dev.leeway.features.ModelFeatures;
import dev.leeway.outcomes.OutcomeCols;
import dev.leeway.run.SideBySide;
import dev.leeway.uplift.learners.LearnerContext;
import dev.leeway.uplift.learners.Learners;
import dev.leeway.uplift.learners.UpliftEstimator;
import dev.leeway.uplift.learners.UpliftModel;
import dev.leeway.uplift.local.Logistic;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Trains and evaluates the uplift learners on matured requests, for each outcome (retention at the ROI horizon,
 * the primary one, and converted referrals in the ROI's referral window):
 *
 * <ol>
 *   <li>customers are split three ways ({@link CustomerSplit}); every learner and the response baseline are
 *       fitted on the train part and rank the validation and test parts;
 *   <li>Qini, AUUC and uplift@k on both parts, with intervals from a bootstrap over customers
 *       ({@link UpliftBootstrap});
 *   <li>the champion is the best learner on validation ({@link Champion}); its test figures, and the difference
 *       from every other ranking on test with an interval, are what is reported;
 *   <li>the champion is refitted on every matured request for scoring.
 * </ol>
 *
 * <p>Policies share one model per learner and outcome, with the policy as a feature: trees split by policy where
 * a policy has the data to support it and pool otherwise.
 */
public final class UpliftTraining {
  public static final String ALL = "ALL";
  public static final String RANDOM = "random";
  public static final String ORACLE = "oracle";
  /** The keys of every metric and curve row. */
  public static final List<String> KEYS = List.of("split", "outcome", "policy", "ranking");
  /** The nuisance models' feature vector: the uplift features plus the request's team and channel. */
  public static final String NUISANCE_VECTOR = "__nuisance_features";
  /** Predicted effects added to held-out and per-request rows. */
  public static final String UPLIFT_RETENTION = "__uplift_retention";
  public static final String UPLIFT_REFERRALS = "__uplift_referrals";
  private static final List<String> TIE_BREAK = List.of(Cols.CUSTOMER_ID, Cols.EXCEPTION_ID);
  /**
   * Training rows per partition. Spark's tree learners add partial sums in the order tasks finish, so models are
   * bit-for-bit repeatable only within one partition: up to this many requests, the same data and seed give the
   * same metrics; beyond it they can differ in the last digits.
   */
  static final int ROWS_PER_PARTITION = 100_000;

  /** One outcome the models learn: its name in outputs, its requests-table column, ground truth, and 0/1 or not. */
  public record OutcomeSpec(String name, String column, String truthColumn, boolean binary) {}

  /** The champion against another ranking on the test part: the difference of a metric with its interval. */
  public record Comparison(String outcome, String alternative, String metric, Double champion,
      Double alternativeValue, Interval difference, boolean championBetter) {}

  /** What training produced. */
  public record Result(Dataset<Row> metrics, Dataset<Row> curves, String champion, Map<String, String> learnerByOutcome,
      PipelineModel encoding, Map<String, UpliftModel> models, Map<String, Object> facts, Dataset<Row> primaryTest,
      Dataset<Row> heldOut, Dataset<Row> requestEffects, List<Comparison> comparisons,
      Map<String, double[]> support) {}

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(UpliftTraining.class);

  private final LeewayConfig config;
  private final TrainSettings settings;

  public UpliftTraining(LeewayConfig config) {
    this.config = config;
    this.settings = config.train();
    Learners.validate(settings.learners(), settings.learnerClasses());
  }

  /** Retention at the ROI horizon (primary) and converted referrals in the ROI's referral window. */
  public static List<OutcomeSpec> outcomes(LeewayConfig c) {
    int h = c.effects().roiHorizonDays();
    int w = c.effects().roiReferralWindowDays();
    return List.of(new OutcomeSpec("retention_" + h + "d", OutcomeCols.retained(h), "tau_retention_" + h, true),
        new OutcomeSpec("referrals_" + w + "d", OutcomeCols.referralsConvertedAfter(w), "tau_referrals_" + w, false));
  }

  /** The features uplift models use: customer features and the policy (no request context: scoring has none). */
  public ModelFeatures features() {
    return new ModelFeatures(config.features(), false);
  }

  private LearnerContext context() {
    return new LearnerContext(settings, config.effects(), new ModelFeatures(config.features(), true), NUISANCE_VECTOR);
  }

  private UpliftEstimator learner(String name) {
    return Learners.create(name, settings.learnerClasses(), context());
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
    ModelFeatures nuisance = new ModelFeatures(config.features(), true);
    Dataset<Row> nuisancePrepared = nuisance.prepare(population.withColumn(UpliftEstimator.T,
        col(OutcomeCols.TREATED).cast("double")));
    Dataset<Row> withNuisance = ModelFeatures.transform(nuisance.fit(nuisancePrepared), nuisancePrepared)
        .withColumnRenamed(ModelFeatures.VECTOR, NUISANCE_VECTOR);
    Dataset<Row> prepared = features.prepare(withNuisance);
    PipelineModel encoding = features.fit(prepared);
    Dataset<Row> vectors = CrossFit.assignFolds(ModelFeatures.transform(encoding, prepared), Cols.CUSTOMER_ID,
        config.effects().folds(), config.effects().seed()).persist(StorageLevel.MEMORY_AND_DISK());
    List<Dataset<Row>> persisted = new ArrayList<>(List.of(vectors));
    try {
      List<OutcomeSpec> outcomes = outcomes(config);
      OutcomeSpec primary = outcomes.get(0);
      Map<String, Object> facts = new LinkedHashMap<>();
      facts.put("requests", requests.count());
      long used = vectors.count();
      facts.put("requests_used", used);
      int partitions = (int) Math.max(1, Math.ceil(used / (double) ROWS_PER_PARTITION));

      Dataset<Row> primaryMature = mature(vectors, primary);
      if (primaryMature.isEmpty()) {
        throw new NotEnoughData("no matured requests to train on: every request is younger than the "
            + primary.name() + " horizon; run with a later run date or more history");
      }
      CustomerSplit.Split split = CustomerSplit.of(primaryMature, UpliftEstimator.T, settings.validationFraction(),
          settings.testFraction(), settings.seed(), settings.minArmRows());
      if (!split.enough(settings.minArmRows())) {
        throw new NotEnoughData("the train, validation and test parts need at least " + settings.minArmRows()
            + " granted and denied matured requests each (leeway.train.min_arm_rows); they have "
            + split.describeArms());
      }
      Map<String, Object> splitFacts = new LinkedHashMap<>();
      splitFacts.put("by", split.how());
      splitFacts.put("validation_fraction", settings.validationFraction());
      splitFacts.put("test_fraction", settings.testFraction());
      splitFacts.put("requests", split.describeArms());
      if (split.warning() != null) {
        LOG.warn("Training split: {}", split.warning());
        splitFacts.put("warning", split.warning());
      }
      facts.put("split", splitFacts);

      Map<String, Map<String, UpliftModel>> fitted = new LinkedHashMap<>();
      Map<String, Dataset<Row>> testRows = new LinkedHashMap<>();
      List<Dataset<Row>> rankings = new ArrayList<>();
      Dataset<Row> primaryTest = null;
      for (OutcomeSpec o : outcomes) {
        // The join with the split scatters rows in an order that varies from run to run; the learners subsample
        // within partitions and sum over them, so the rows are put back in a fixed layout (one partition per
        // ROWS_PER_PARTITION requests, in request order) for the same data to give the same models.
        Dataset<Row> parted = split.assign(mature(vectors, o), settings.validationFraction(), settings.testFraction(),
            settings.seed()).repartition(partitions, col(Cols.EXCEPTION_ID)).sortWithinPartitions(Cols.EXCEPTION_ID)
            .persist(StorageLevel.MEMORY_AND_DISK());
        persisted.add(parted);
        Dataset<Row> train = parted.filter(col(CustomerSplit.PART).equalTo(CustomerSplit.TRAIN));
        requireArms(train, "The " + o.name() + " training part");
        Model<?> propensity = propensity(train);
        Dataset<Row> validation = weighted(propensity, parted.filter(col(CustomerSplit.PART)
            .equalTo(CustomerSplit.VALIDATION)), "The " + o.name() + " validation part");
        Dataset<Row> test = weighted(propensity, parted.filter(col(CustomerSplit.PART).equalTo(CustomerSplit.TEST)),
            "The " + o.name() + " test part");
        Map<String, Long> sizes = new LinkedHashMap<>();
        for (Row r : parted.groupBy(CustomerSplit.PART).count().collectAsList()) {
          sizes.put(r.getString(0), r.getLong(1));
        }
        facts.put(o.name(), Map.of("matured_requests", sizes.values().stream().mapToLong(Long::longValue).sum(),
            "requests_by_part", sizes));
        testRows.put(o.name(), test);
        if (o == primary) {
          primaryTest = population.join(test.select(Cols.EXCEPTION_ID, UpliftMetrics.W), Cols.EXCEPTION_ID)
              .withColumn(UpliftEstimator.T, col(OutcomeCols.TREATED).cast("double"))
              .withColumn(UpliftEstimator.Y, col(o.column()).cast("double"));
        }
        List<String> names = new ArrayList<>();
        for (String name : candidates(true)) {
          if (learner(name).binaryOutcomeOnly() && !o.binary()) {
            LOG.info("{} is skipped for {}: it needs a 0/1 outcome", name, o.name());
          } else {
            names.add(name);
          }
        }
        Map<String, UpliftModel> models = sideBySide(names, name -> "leeway-fit-" + o.name() + "-" + name, name -> {
          long started = System.nanoTime();
          UpliftModel m = learner(name).fit(train);
          LOG.info("{}: {} fitted on the train part in {} s", o.name(), name,
              (System.nanoTime() - started) / 1_000_000_000);
          return m;
        });
        fitted.put(o.name(), models);
        rankings.addAll(rankings(models, validation.withColumn("split", lit(CustomerSplit.VALIDATION))
            .unionByName(test.withColumn("split", lit(CustomerSplit.TEST))), o, truth, materialize));
      }
      Dataset<Row> all = rankings.get(0);
      for (Dataset<Row> r : rankings.subList(1, rankings.size())) {
        all = all.unionByName(r, true);
      }
      long evaluating = System.nanoTime();
      Dataset<Row> scored = materialize.apply(all.unionByName(all.withColumn("policy", lit(ALL))));
      UpliftMetrics.Output out = UpliftMetrics.evaluate(scored, KEYS, TIE_BREAK, materialize);
      UpliftBootstrap.Result boot = UpliftBootstrap.run(scored.filter(col("policy").equalTo(ALL)), KEYS, TIE_BREAK,
          new UpliftBootstrap.Settings(Cols.CUSTOMER_ID, "ranking", settings.bootstrapReplicates(), settings.seed()));
      Dataset<Row> metrics = materialize.apply(withOracleFraction(boot.withIntervals(out.metrics())));
      Dataset<Row> curves = materialize.apply(out.curves());
      // In key order, so that the summary lists comparisons in the same order on every run.
      List<Row> metricRows = metrics.orderBy(KEYS.stream().map(org.apache.spark.sql.functions::col)
          .toArray(Column[]::new)).collectAsList();
      LOG.info("Metrics with bootstrap intervals ({} replicates) in {} s", settings.bootstrapReplicates(),
          (System.nanoTime() - evaluating) / 1_000_000_000);

      List<String> learners = new ArrayList<>(fitted.get(primary.name()).keySet());
      learners.remove(Learners.RESPONSE);
      String champion = Champion.pick(metricRows, learners, primary.name());
      Map<String, String> learnerByOutcome = new LinkedHashMap<>();
      for (OutcomeSpec o : outcomes) {
        List<String> available = new ArrayList<>(fitted.get(o.name()).keySet());
        available.remove(Learners.RESPONSE);
        learnerByOutcome.put(o.name(), available.contains(champion) ? champion
            : Champion.pick(metricRows, available, o.name()));
      }
      List<Comparison> comparisons = comparisons(metricRows, boot, outcomes, learnerByOutcome);
      if (truth != null) {
        facts.put("champion_vs_oracle", oracleFractions(metricRows, boot, outcomes, learnerByOutcome));
      }

      // What the champion fitted on the train part predicts for the primary outcome's test requests: the rows the
      // targeting rule is valued on.
      Dataset<Row> heldOut = testRows.get(primary.name());
      heldOut = predict(fitted.get(primary.name()).get(learnerByOutcome.get(primary.name())), heldOut,
          UPLIFT_RETENTION);
      OutcomeSpec referrals = outcomes.get(1);
      heldOut = materialize.apply(predict(fitted.get(referrals.name()).get(learnerByOutcome.get(referrals.name())),
          heldOut, UPLIFT_REFERRALS));
      primaryTest = materialize.apply(primaryTest);

      Map<String, UpliftModel> models = new LinkedHashMap<>();
      Map<OutcomeSpec, UpliftModel> refitted = sideBySide(outcomes, o -> "leeway-refit-" + o.name(), o -> {
        long started = System.nanoTime();
        UpliftModel m = learner(learnerByOutcome.get(o.name())).fit(mature(vectors, o));
        LOG.info("{} refitted on all matured requests for {} in {} s", learnerByOutcome.get(o.name()), o.name(),
            (System.nanoTime() - started) / 1_000_000_000);
        return m;
      });
      refitted.forEach((o, m) -> models.put(o.name(), m));
      Dataset<Row> requestEffects = predict(models.get(referrals.name()),
          predict(models.get(primary.name()), primaryMature, UPLIFT_RETENTION), UPLIFT_REFERRALS)
          .select(col(Cols.EXCEPTION_ID), col(Cols.CUSTOMER_ID), col(Cols.POLICY), col(OutcomeCols.TREATED),
              col(UPLIFT_RETENTION), col(UPLIFT_REFERRALS));
      Row window = vectors.agg(min(Cols.REQUESTED_AT), max(Cols.REQUESTED_AT)).first();
      facts.put("training_window", Map.of("from", String.valueOf(window.get(0)), "to", String.valueOf(window.get(1))));
      return new Result(metrics, curves, champion, learnerByOutcome, encoding, models, facts, primaryTest, heldOut,
          requestEffects, comparisons, support(primaryMature, features));
    } finally {
      persisted.forEach(Dataset::unpersist);
    }
  }

  /**
   * Fits side by side, as many at once as Spark has task slots: most fits are one Spark task each
   * ({@link dev.leeway.run.OneTask}), so one at a time leaves all other cores idle; on small data, one fit's
   * planning overlaps another's. Results are in {@code keys}' order, so models and metrics do not depend on which
   * fit finished first.
   */
  private <K> Map<K, UpliftModel> sideBySide(List<K> keys, Function<K, String> threadName,
      Function<K, UpliftModel> fit) {
    return SideBySide.unchecked(keys, SparkSession.active().sparkContext().defaultParallelism(), threadName, fit);
  }

  /** The learners compared: the configured ones and (with {@code withResponse}) the response baseline. */
  private List<String> candidates(boolean withResponse) {
    List<String> names = new ArrayList<>(settings.learners());
    if (withResponse) {
      names.add(Learners.RESPONSE);
    }
    return names;
  }

  private static Dataset<Row> mature(Dataset<Row> vectors, OutcomeSpec o) {
    return vectors.filter(col(o.column()).isNotNull()).withColumn(UpliftEstimator.Y, col(o.column()).cast("double"));
  }

  private static Dataset<Row> predict(UpliftModel m, Dataset<Row> rows, String outputCol) {
    return m.copy(new org.apache.spark.ml.param.ParamMap()).setFeaturesCol(ModelFeatures.VECTOR)
        .setPredictionCol(outputCol).transform(rows);
  }

  private static final Column[] KEEP = {col(Cols.POLICY), col(Cols.CUSTOMER_ID), col(Cols.EXCEPTION_ID),
      col(UpliftEstimator.T).as(UpliftMetrics.T), col(UpliftEstimator.Y).as(UpliftMetrics.Y), col(UpliftMetrics.W)};

  /**
   * Every ranking of the held-out rows (each learner's, a random one and, with ground truth, the oracle's), one
   * row per request and ranking. All scores are computed in one pass and stored once as columns, then read back
   * ranking by ranking: one stored step per outcome, where a step per ranking cost more than the fits on small
   * data, and a union of the rankings' whole lineages made Spark analyse a plan that grew with every learner.
   */
  private List<Dataset<Row>> rankings(Map<String, UpliftModel> models, Dataset<Row> held, OutcomeSpec o,
      Dataset<Row> truth, UnaryOperator<Dataset<Row>> materialize) {
    Dataset<Row> scores = held;
    List<String> names = new ArrayList<>(models.keySet());
    for (int i = 0; i < names.size(); i++) {
      scores = predict(models.get(names.get(i)), scores, "__score_" + i);
    }
    scores = scores.withColumn("__score_" + RANDOM, pmod(xxhash64(col(Cols.CUSTOMER_ID), col(Cols.EXCEPTION_ID),
        lit(settings.seed())), lit(1_000_003)).cast("double"));
    boolean oracle = truth != null && List.of(truth.columns()).contains(o.truthColumn());
    if (oracle) {
      scores = scores.join(truth.select(col(Cols.EXCEPTION_ID), col(o.truthColumn()).as("__score_" + ORACLE),
          lit(true).as("__has_truth")).dropDuplicates(Cols.EXCEPTION_ID), Cols.EXCEPTION_ID, "left");
    }
    List<Column> keep = new ArrayList<>(List.of(KEEP));
    keep.add(col("split"));
    for (String c : scores.columns()) {
      if (c.startsWith("__score_") || c.equals("__has_truth")) {
        keep.add(col(c));
      }
    }
    Dataset<Row> stored = materialize.apply(scores.select(keep.toArray(Column[]::new)));
    List<Dataset<Row>> out = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      out.add(ranking(stored, "__score_" + i, names.get(i), o));
    }
    out.add(ranking(stored, "__score_" + RANDOM, RANDOM, o));
    if (oracle) {
      out.add(ranking(stored.filter(col("__has_truth").isNotNull()), "__score_" + ORACLE, ORACLE, o));
    }
    return out;
  }

  private static Dataset<Row> ranking(Dataset<Row> stored, String scoreCol, String name, OutcomeSpec o) {
    // The stored columns of KEEP and the split; the scores are the columns named __*.
    Column[] kept = java.util.Arrays.stream(stored.columns()).filter(c -> !c.startsWith("__"))
        .map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
    return stored.select(concat(kept, col(scoreCol).as(UpliftMetrics.SCORE), lit(name).as("ranking"),
        lit(o.name()).as("outcome")));
  }

  /** The propensity of a grant, fitted on the train part (for the held-out parts' weights). */
  private Model<?> propensity(Dataset<Row> train) {
    return Logistic.fit(train, ModelFeatures.VECTOR, UpliftEstimator.T, "__pred",
        new Logistic.Settings(1e-3, 100, 1e-5), settings.singleTaskMaxRows());
  }

  /**
   * Adds {@link UpliftMetrics#W} to held-out rows: the inverse propensity of their arm, so the granted and denied
   * rows compared within the top k of a ranking stand for the same customers (the data are observational).
   */
  private Dataset<Row> weighted(Model<?> propensity, Dataset<Row> rows, String what) {
    requireArms(rows, what);
    Column e = least(greatest(col("__e"), lit(config.effects().clipLow())), lit(config.effects().clipHigh()));
    return CrossFit.score(propensity, rows, "__e")
        .withColumn(UpliftMetrics.W, when(col(UpliftEstimator.T).gt(0.5), lit(1.0).divide(e))
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
    for (Row r : rows.groupBy(UpliftEstimator.T).count().collectAsList()) {
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

  /** Per outcome, the champion's test Qini against every other ranking's on the same rows, all policies. */
  private static List<Comparison> comparisons(List<Row> metrics, UpliftBootstrap.Result boot,
      List<OutcomeSpec> outcomes, Map<String, String> learnerByOutcome) {
    List<Comparison> out = new ArrayList<>();
    for (OutcomeSpec o : outcomes) {
      String champ = learnerByOutcome.get(o.name());
      Map<String, String> key = Map.of("split", CustomerSplit.TEST, "outcome", o.name(), "policy", ALL);
      Double c = value(metrics, key, champ, "qini");
      for (Row r : metrics) {
        String ranking = r.getAs("ranking");
        if (!CustomerSplit.TEST.equals(r.getAs("split")) || !o.name().equals(r.getAs("outcome"))
            || !ALL.equals(r.getAs("policy")) || ranking.equals(champ)) {
          continue;
        }
        Double a = value(metrics, key, ranking, "qini");
        Interval diff = null;
        if (c != null && a != null) {
          UpliftBootstrap.Spread spread = boot.difference(key, champ, ranking, "qini");
          diff = spread.replicates() < 2 || Double.isNaN(spread.se()) ? null : new Interval(c - a, spread.se());
        }
        out.add(new Comparison(o.name(), ranking, "qini", c, a, diff, diff != null && diff.low() > 0));
      }
    }
    return out;
  }

  /**
   * The champion's test Qini as a fraction of the oracle's on the same rows, with a 95% interval from the spread of
   * the ratio over the bootstrap replicates (generated data only).
   */
  private static Map<String, Object> oracleFractions(List<Row> metrics, UpliftBootstrap.Result boot,
      List<OutcomeSpec> outcomes, Map<String, String> learnerByOutcome) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (OutcomeSpec o : outcomes) {
      String champ = learnerByOutcome.get(o.name());
      Map<String, String> key = Map.of("split", CustomerSplit.TEST, "outcome", o.name(), "policy", ALL);
      Double c = value(metrics, key, champ, "qini");
      Double oracle = value(metrics, key, ORACLE, "qini");
      if (c == null || oracle == null || oracle == 0) {
        continue;
      }
      double[] rc = boot.replicates(key, champ, "qini");
      double[] ro = boot.replicates(key, ORACLE, "qini");
      // A ratio's replicates are skewed (the oracle's Qini can come near 0 in a replicate): percentile interval.
      org.apache.commons.math3.stat.descriptive.DescriptiveStatistics ratio =
          new org.apache.commons.math3.stat.descriptive.DescriptiveStatistics();
      for (int i = 0; i < Math.min(rc.length, ro.length); i++) {
        if (Double.isFinite(rc[i]) && Double.isFinite(ro[i]) && ro[i] != 0) {
          ratio.addValue(rc[i] / ro[i]);
        }
      }
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("learner", champ);
      f.put("qini", c);
      f.put("oracle_qini", oracle);
      f.put("fraction", c / oracle);
      boolean enough = ratio.getN() >= 20;
      f.put("low", enough ? ratio.getPercentile(2.5) : null);
      f.put("high", enough ? ratio.getPercentile(97.5) : null);
      f.put("interval", "2.5th and 97.5th percentiles of the ratio over the bootstrap replicates");
      out.put(o.name(), f);
    }
    return out;
  }

  static Double value(List<Row> metrics, Map<String, String> key, String ranking, String field) {
    for (Row r : metrics) {
      boolean match = ranking.equals(r.getAs("ranking"));
      for (Map.Entry<String, String> e : key.entrySet()) {
        match &= e.getValue().equals(r.getAs(e.getKey()));
      }
      if (match) {
        Object v = r.getAs(field);
        return v == null ? null : ((Number) v).doubleValue();
      }
    }
    return null;
  }

  /**
   * The support of the requests the models learned from: per numeric feature, the support_quantile and
   * 1 - support_quantile quantiles. A customer beyond them on any feature is unlike the requesters the model saw.
   */
  private Map<String, double[]> support(Dataset<Row> rows, ModelFeatures features) {
    String[] numeric = features.numeric().toArray(String[]::new);
    Dataset<Row> d = rows;
    for (String c : numeric) {
      d = d.withColumn(c, col(c).cast("double"));
    }
    double q = settings.supportQuantile();
    double[][] bounds = d.stat().approxQuantile(numeric, new double[] {q, 1 - q}, Math.max(q / 10, 1e-5));
    Map<String, double[]> out = new LinkedHashMap<>();
    for (int i = 0; i < numeric.length; i++) {
      if (bounds[i].length == 2) {
        out.put(numeric[i], bounds[i]);
      }
    }
    return out;
  }
}
