package dev.leeway.uplift;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.causal.EffectsSummary;
import dev.leeway.config.LeewayConfig.TrainSettings;
import dev.leeway.uplift.learners.UpliftEstimator;
import dev.leeway.contract.Cols;
import dev.leeway.io.Files;
import dev.leeway.io.InputError;
import dev.leeway.io.RunLayout;
import dev.leeway.outcomes.OutcomesJob;
import dev.leeway.run.PausePoints;
import dev.leeway.run.Stage;
import dev.leeway.run.StageContext;
import dev.leeway.run.StageResult;
import dev.leeway.run.Version;
import dev.leeway.tables.AuditedWrite;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The train stage: trains and evaluates the uplift learners on the run date's requests table, publishes the
 * held-out metrics, curves and per-request effects (tables train_*), saves the champion as the immutable model
 * version &lt;date&gt;-a&lt;attempt&gt; and makes it current unless it is worse than the current model on the same
 * held-out rows by more than the tolerance, or the current model was trained on a later run date. In a nightly run
 * it trains only when the current model is at least {@code train.cadence_days} old.
 */
public final class TrainJob implements Stage {
  public static final String NAME = "train";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(TrainJob.class);

  private final boolean always;

  /** @param always train whatever the cadence ({@code leeway train}); false follows the cadence (nightly) */
  public TrainJob(boolean always) {
    this.always = always;
  }

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public StageResult run(StageContext ctx) throws Exception {
    SparkSession spark = ctx.spark();
    TrainSettings settings = ctx.config().train();
    ModelRegistry registry = new ModelRegistry(ctx.config().paths().outputRoot(),
        spark.sparkContext().hadoopConfiguration());
    // Versions are immutable: a re-run of a date trains a new version (date and attempt) beside the earlier one.
    String version = ctx.runDate() + "-a" + ctx.attempt().number();
    registry.sweepStaging(ctx.runDate());
    Optional<String> current = registry.current();
    Optional<LocalDate> currentDate = current.isPresent() ? Optional.of(registry.runDate(current.get()))
        : Optional.empty();
    if (!always && currentDate.isPresent()) {
      long age = ChronoUnit.DAYS.between(currentDate.get(), ctx.runDate());
      if (age < settings.cadenceDays()) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("skipped", age < 0
            ? "backfill: model " + current.get() + " was trained on a later run date and stays current"
            : "model " + current.get() + " is " + age + " day(s) old; retraining every " + settings.cadenceDays()
                + " days (leeway.train.cadence_days)");
        metrics.put("current_model", current.get());
        return new StageResult(NAME, Map.of(), List.of(), List.of(), metrics);
      }
    }

    Dataset<Row> requests = OutcomesJob.readRequests(ctx, "train");
    Dataset<Row> truth = null;
    if (!settings.truthPath().isBlank()) {
      Path truthPath = new Path(settings.truthPath(), "truth/requests");
      if (!Files.of(truthPath, spark.sparkContext().hadoopConfiguration()).exists(truthPath)) {
        throw new InputError("leeway.train.truth_path: no ground truth at " + truthPath);
      }
      truth = spark.read().parquet(truthPath.toString());
    }

    Path work = ctx.layout().workDir(NAME);
    {
      UpliftTraining training = new UpliftTraining(ctx.config());
      UpliftTraining.Result r;
      try {
        r = training.train(requests, truth, RunLayout.materializer(spark, work));
      } catch (UpliftTraining.NotEnoughData e) {
        Map<String, Object> metrics = new LinkedHashMap<>();
        metrics.put("skipped", e.getMessage());
        current.ifPresent(v -> metrics.put("current_model", v));
        return new StageResult(NAME, Map.of(), List.of(), List.of("no model trained: " + e.getMessage()), metrics);
      }
      List<Row> metricRows = r.metrics().orderBy("split", "outcome", "policy", "ranking").collectAsList();
      String primary = UpliftTraining.outcomes(ctx.config()).get(0).name();
      Dataset<Row> requestEffects = RunLayout.materializer(spark, new Path(work, "request-effects"))
          .apply(r.requestEffects());
      List<String> warnings = new ArrayList<>();
      EffectsSummary effects = effectsSummary(ctx);
      if (effects == null) {
        warnings.add("no effects summary for " + ctx.runDate() + ": the model's uplift is not calibrated against "
            + "measured effects (run `leeway effects` first)");
      }
      List<Calibration.PolicyCalibration> calibration = Calibration.compare(requestEffects, effects, primary);
      long started = System.nanoTime();
      Map<String, Object> policyValue = TargetingValue.toMap(TargetingValue.evaluate(ctx.config(), r.heldOut(),
          requests, r.support(), truth));
      LOG.info("Targeting rules valued on the test part in {} s", (System.nanoTime() - started) / 1_000_000_000);
      Map<String, Object> promotion = decide(registry, current, ctx.runDate(), r, metricRows, primary,
          requests.columns(),
          settings.promotionTolerance());
      if (currentDate.isPresent() && currentDate.get().isAfter(ctx.runDate())) {
        promotion.put("promoted", false);
        promotion.put("reason", "backfill: the current model " + current.get() + " was trained on a later run date ("
            + currentDate.get() + "); models only move forward");
      }
      AuditedWrite tables = ctx.writeAuditPublish(NAME, audit -> {
        audit.write(table("metrics"), r.metrics().coalesce(1));
        audit.write(table("curves"), r.curves().coalesce(1));
        audit.write(table("request_effects"), requestEffects);
        return audit;
      });

      Map<String, Object> meta = new LinkedHashMap<>();
      meta.put("version", version);
      meta.put("run_date", ctx.runDate().toString());
      meta.put("created_at", Instant.now().toString());
      meta.put("code_version", Version.get());
      meta.put("learner", r.champion());
      meta.put("seed", settings.seed());
      Map<String, Object> outcomes = new LinkedHashMap<>();
      for (UpliftTraining.OutcomeSpec o : UpliftTraining.outcomes(ctx.config())) {
        outcomes.put(o.name(), Map.of("column", o.column(), "learner", r.learnerByOutcome().get(o.name())));
      }
      meta.put("outcomes", outcomes);
      meta.put("primary_outcome", primary);
      meta.put("retention_horizon_days", ctx.config().effects().roiHorizonDays());
      meta.put("referral_window_days", ctx.config().effects().roiReferralWindowDays());
      meta.put("support", r.support());
      meta.put("support_quantile", settings.supportQuantile());
      meta.put("calibration", Calibration.toMaps(calibration));
      meta.put("features", Map.of("numeric", training.features().numeric(), "categorical",
          training.features().categorical()));
      meta.put("gbt", Map.of("max_iter", settings.gbtMaxIter(), "max_depth", settings.gbtMaxDepth(), "step_size",
          settings.gbtStepSize(), "min_instances_per_node", settings.gbtMinInstancesPerNode(), "subsampling_rate",
          settings.gbtSubsamplingRate()));
      meta.put("data", r.facts());
      meta.put("metrics", championMetrics(metricRows, r.champion()));
      meta.put("promotion", promotion);
      meta.put("previous_version", promotion.get("compared_with"));
      meta.put("attempt", ctx.attempt().number());
      // The held-out metrics, curves and per-request effects of this training, as published.
      meta.put("tables", tables.published());
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("run_date", ctx.runDate().toString());
      summary.put("model_version", version);
      summary.put("champion", r.champion());
      summary.put("champion_chosen_on", "validation part, " + primary + ", all policies (Qini)");
      summary.put("primary_outcome", primary);
      summary.put("promotion", promotion);
      summary.put("data", r.facts());
      summary.put("comparisons", comparisons(r.comparisons()));
      summary.put("policy_value", policyValue);
      summary.put("calibration", Calibration.toMaps(calibration));
      summary.put("metrics", table(metricRows));
      summary.put("tables", tables.published());
      String summaryJson = JSON.writeValueAsString(summary);
      registry.save(version, r.encoding(), r.models(), meta, summaryJson);
      ctx.layout().writeAtomically(new Path(ctx.layout().stageDir(NAME), "summary.json"), summaryJson);
      PausePoints.at("train.saved");
      if (Boolean.TRUE.equals(promotion.get("promoted"))) {
        Optional<String> replaced = registry.promote(version, ctx.runDate());
        if (replaced.isEmpty() && current.isPresent()) {
          promotion.put("promoted", false);
          promotion.put("reason", "a model of a later run date became current meanwhile");
        }
      }

      Map<String, Object> metrics = new LinkedHashMap<>();
      metrics.put("champion", r.champion());
      metrics.put("model_version", version);
      metrics.put("promoted", promotion.get("promoted"));
      metrics.put("promotion", promotion.get("reason"));
      Map<String, Object> champ = championMetrics(metricRows, r.champion());
      metrics.put("test_" + primary, champ.get(CustomerSplit.TEST + "/" + primary));
      if (r.facts().get("split") instanceof Map<?, ?> split && split.get("warning") != null) {
        warnings.add("training split: " + split.get("warning"));
      }
      for (Calibration.PolicyCalibration c : calibration) {
        if (c.applied()) {
          warnings.add(String.format("%s: mean predicted uplift %.4f of granted requests is outside the measured "
              + "effect's interval [%.4f, %.4f]; scores shift it by %+.4f", c.policy(), c.meanPredicted(), c.low(),
              c.high(), c.shift()));
        }
      }
      if (!Boolean.TRUE.equals(promotion.get("promoted"))) {
        warnings.add("model " + version + " was not promoted: " + promotion.get("reason"));
      }
      List<String> outputs = new ArrayList<>(ctx.describe(tables.published()));
      outputs.add(registry.dir(version).toString());
      return new StageResult(NAME, Map.of(), outputs, warnings, metrics);
    }
  }

  /**
   * One of the tables a training published (train_metrics, train_curves, train_request_effects), as that training's
   * summary names it; null for trainings that did not record their tables.
   */
  public static Dataset<Row> publishedTable(StageContext ctx, Map<String, Object> trainSummary, String name) {
    if (!(trainSummary.get("tables") instanceof Map<?, ?> tables) || !(tables.get(table(name)) instanceof Number id)) {
      return null;
    }
    return ctx.published().read(table(name), id.longValue(), LocalDate.parse(String.valueOf(
        trainSummary.get("run_date"))));
  }

  /** The published name of one of this stage's tables, e.g. train_curves. */
  public static String table(String name) {
    return NAME + "_" + name;
  }

  private static Double metric(List<Row> rows, String split, String outcome, String policy, String ranking,
      String field) {
    for (Row r : rows) {
      if (r.getAs("split").equals(split) && r.getAs("outcome").equals(outcome) && r.getAs("policy").equals(policy)
          && r.getAs("ranking").equals(ranking)) {
        Object v = r.getAs(field);
        return v == null ? null : ((Number) v).doubleValue();
      }
    }
    return null;
  }

  /**
   * Promotes the new champion unless the current model ranks the same held-out rows better by more than the
   * tolerance.
   */
  private static Map<String, Object> decide(ModelRegistry registry, Optional<String> current, LocalDate runDate,
      UpliftTraining.Result r, List<Row> rows, String primary, String[] dataColumns, double tolerance)
      throws java.io.IOException {
    Map<String, Object> out = new LinkedHashMap<>();
    Double newQini = metric(rows, CustomerSplit.TEST, primary, UpliftTraining.ALL, r.champion(), "qini");
    out.put("metric", "qini, test part, " + primary + ", all policies");
    out.put("new_qini", newQini);
    out.put("tolerance", tolerance);
    String baseline = current.orElse(null);
    if (baseline == null) {
      out.put("promoted", true);
      out.put("reason", "no current model");
      return out;
    }
    out.put("compared_with", baseline);
    if (registry.runDate(baseline).equals(runDate)
        && registry.metadata(baseline).get("metrics") instanceof Map<?, ?> recorded
        && recorded.get(CustomerSplit.TEST + "/" + primary) instanceof Map<?, ?> test
        && test.get("qini") instanceof Number q) {
      // A model of the same run date was refitted on these same rows, test part included: scoring them again would
      // flatter it. Its own held-out Qini, on the same split, is the fair comparison.
      out.put("current_qini_from", "its own held-out figure (trained on the same run date's data)");
      return compare(out, newQini, q.doubleValue(), baseline, tolerance);
    }
    ModelRegistry.Loaded old;
    try {
      old = registry.load(baseline, List.of(dataColumns));
    } catch (InputError e) {
      out.put("promoted", true);
      out.put("reason", "the current model cannot score this data: " + e.getMessage());
      return out;
    }
    Dataset<Row> scored = old.predict(r.primaryTest(), primary, UpliftMetrics.SCORE)
        .select(col(Cols.CUSTOMER_ID), col(Cols.EXCEPTION_ID), col(UpliftMetrics.SCORE),
            col(UpliftEstimator.T).as(UpliftMetrics.T), col(UpliftEstimator.Y).as(UpliftMetrics.Y),
            col(UpliftMetrics.W))
        .withColumn("policy", lit(UpliftTraining.ALL));
    Row m = UpliftMetrics.evaluate(scored, List.of("policy"), List.of(Cols.CUSTOMER_ID, Cols.EXCEPTION_ID))
        .metrics().first();
    Double oldQini = m.getAs("qini");
    out.put("current_qini", oldQini);
    if (oldQini == null) {
      out.put("promoted", newQini != null);
      out.put("reason", "the current model's Qini is undefined on these rows (no responders to rank)");
      return out;
    }
    return compare(out, newQini, oldQini, baseline, tolerance);
  }

  private static Map<String, Object> compare(Map<String, Object> out, Double newQini, double oldQini, String baseline,
      double tolerance) {
    out.put("current_qini", oldQini);
    boolean promoted = newQini != null && newQini >= oldQini - tolerance;
    out.put("promoted", promoted);
    out.put("reason", promoted
        ? String.format("held-out Qini %.4f is not worse than model %s's %.4f by more than %.4f", newQini, baseline,
            oldQini, tolerance)
        : String.format("held-out Qini %s is worse than model %s's %.4f by more than %.4f; keeping %s", newQini,
            baseline, oldQini, tolerance, baseline));
    return out;
  }

  /** The champion's all-policy metrics per split and outcome, keyed "split/outcome". */
  private static Map<String, Object> championMetrics(List<Row> rows, String champion) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Row r : rows) {
      if (r.getAs("ranking").equals(champion) && r.getAs("policy").equals(UpliftTraining.ALL)) {
        out.put(r.getAs("split") + "/" + r.getAs("outcome"), values(r));
      }
    }
    return out;
  }

  private static Map<String, Object> values(Row r) {
    Map<String, Object> v = new LinkedHashMap<>();
    List<String> fields = List.of(r.schema().fieldNames());
    for (String f : List.of("n", "treated", "qini", "auuc", "uplift_at_10", "uplift_at_20", "uplift_at_30",
        "qini_fraction_of_oracle")) {
      v.put(f, r.getAs(f));
      for (String bound : List.of("_low", "_high")) {
        if (fields.contains(f + bound)) {
          v.put(f + bound, r.getAs(f + bound));
        }
      }
    }
    return v;
  }

  private static List<Map<String, Object>> comparisons(List<UpliftTraining.Comparison> rows) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (UpliftTraining.Comparison c : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("outcome", c.outcome());
      m.put("alternative", c.alternative());
      m.put("metric", c.metric());
      m.put("champion", c.champion());
      m.put("alternative_value", c.alternativeValue());
      m.put("difference", c.difference() == null ? null : c.difference().value());
      m.put("difference_low", c.difference() == null ? null : c.difference().low());
      m.put("difference_high", c.difference() == null ? null : c.difference().high());
      m.put("champion_better", c.championBetter());
      out.add(m);
    }
    return out;
  }

  /** The effects stage's summary of this run date, or null when it has not run. */
  private static EffectsSummary effectsSummary(StageContext ctx) throws java.io.IOException {
    Path p = new Path(ctx.layout().stageDir("effects"), "summary.json");
    FileSystem fs = Files.of(p, ctx.spark().sparkContext().hadoopConfiguration());
    if (!fs.exists(p)) {
      return null;
    }
    try (java.io.InputStream in = fs.open(p)) {
      return EffectsSummary.read(in);
    }
  }

  /** Every metric row, nested split -> outcome -> policy -> ranking, for the report. */
  @SuppressWarnings("unchecked")
  private static Map<String, Object> table(List<Row> rows) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Row r : rows) {
      Map<String, Object> bySplit = (Map<String, Object>) out.computeIfAbsent(r.getAs("split"),
          k -> new LinkedHashMap<>());
      Map<String, Object> byOutcome = (Map<String, Object>) bySplit.computeIfAbsent(r.getAs("outcome"),
          k -> new LinkedHashMap<>());
      Map<String, Object> byPolicy = (Map<String, Object>) byOutcome.computeIfAbsent(r.getAs("policy"),
          k -> new LinkedHashMap<>());
      byPolicy.put(r.getAs("ranking"), values(r));
    }
    return out;
  }
}
