package dev.leeway.report;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.lit;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.causal.EffectsSummary;
import dev.leeway.causal.Level;
import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import dev.leeway.io.Files;
import dev.leeway.io.InputError;
import dev.leeway.outcomes.OutcomeCols;
import dev.leeway.outcomes.OutcomesJob;
import dev.leeway.run.PausePoints;
import dev.leeway.run.Stage;
import dev.leeway.run.StageContext;
import dev.leeway.run.StageResult;
import dev.leeway.run.Version;
import dev.leeway.score.ScoreCols;
import dev.leeway.score.Scoring;
import dev.leeway.uplift.ModelRegistry;
import dev.leeway.uplift.TrainJob;
import dev.leeway.uplift.UpliftTraining;
import io.pebbletemplates.pebble.PebbleEngine;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringWriter;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The report stage: one self-contained HTML page for leadership (inline SVG charts, no scripts, no external
 * references) and the same figures as JSON and CSV, written to runs/&lt;date&gt;/report. It reads what the other
 * stages published: the effects summary (required), the current model's training summary and curves, the score
 * summary, the requests table (grant rates, success stories) and earlier runs' effects summaries (trend).
 */
public final class ReportJob implements Stage {
  public static final String NAME = "report";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final int STORIES = 10;
  private static final int TREND_RUNS = 30;
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ReportJob.class);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public StageResult run(StageContext ctx) throws Exception {
    SparkSession spark = ctx.spark();
    FileSystem fs = Files.of(ctx.layout().runDir(), spark.sparkContext().hadoopConfiguration());
    // The report shows the current model's training summary and judgements.
    ctx.dependsOnFile(new ModelRegistry(ctx.config().paths().outputRoot(), spark.sparkContext().hadoopConfiguration())
        .currentFile());
    Path effectsSummary = new Path(ctx.layout().stageDir("effects"), "summary.json");
    if (!fs.exists(effectsSummary)) {
      throw new InputError("Cannot write the report: " + effectsSummary + " does not exist; run `leeway effects` (or "
          + "`leeway nightly`) for this run date first");
    }
    EffectsSummary effects;
    try (InputStream in = fs.open(effectsSummary)) {
      effects = EffectsSummary.read(in);
    }
    Dataset<Row> requests = OutcomesJob.readRequests(ctx, "write the report");
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("run_date", ctx.runDate().toString());
    model.put("generated_at", Instant.now().toString());
    model.put("code_version", Version.get());
    model.put("method", asMap(effects.method()));
    model.put("population", asMap(effects.population()));
    model.put("policies_flagged_for_balance", effects.policiesFlaggedForBalance());
    model.put("policies_flagged_by_negative_control", effects.policiesFlaggedByNegativeControl());
    double fdr = effects.method().fdr();
    Map<String, Object> overall = effects.overall() == null ? Map.of() : ReportModel.roiRow(effects.overall(), fdr);
    model.put("overall", overall);
    model.put("overall_verdict", overall.get("verdict"));
    model.put("overall_sentence", overall.get("sentence"));
    model.put("policies", ReportModel.policyRows(effects));
    model.put("checks", ReportModel.checks(effects));
    model.put("cells", ReportModel.cells(effects));
    Dataset<Row> judged = modelJudgement(ctx, requests);
    model.put("segments", withGrantRates(ReportModel.roiRows(effects, Level.SEGMENT), requests, judged,
        FeatureCols.SEGMENT));
    model.put("teams", withGrantRates(ReportModel.roiRows(effects, Level.TEAM), requests, judged, Cols.TEAM));
    model.put("model_match_available", judged != null);
    model.put("retention_curve", retentionCurve(effects, requests, ctx.config().outcomes().horizonsDays()));
    model.put("trend", trend(fs, ctx));
    Optional<Map<String, Object>> train = trainSummary(ctx);
    model.put("stories", stories(requests, requestEffects(ctx, train.orElse(null)),
        ctx.config().effects().roiHorizonDays(), ctx.config().effects().roiReferralWindowDays()));
    train.ifPresent(t -> model.put("model", t));
    Path scoreSummary = new Path(ctx.layout().stageDir("score"), "summary.json");
    if (fs.exists(scoreSummary)) {
      model.put("scores", readJson(fs, scoreSummary));
    }
    Map<String, String> charts = new LinkedHashMap<>(Charts.fromModel(model));
    String qini = new Charts(spark, ctx, train.orElse(null)).qini();
    if (qini != null) {
      charts.put("qini", qini);
    }
    model.put("charts", charts);

    // Each file is replaced whole, the figures first and the page last, so the page a reader opens is complete and
    // its figures files are at least as new as the page.
    Path dir = ctx.layout().stageDir(NAME);
    Map<String, Object> exported = new LinkedHashMap<>(model);
    exported.remove("charts");
    exported.put("attempt", ctx.attempt().number());
    writeCsv(ctx, dir, "policies.csv", castRows(model.get("policies")), List.of("name"));
    writeCsv(ctx, dir, "segments.csv", castRows(model.get("segments")), List.of("name"));
    writeCsv(ctx, dir, "teams.csv", castRows(model.get("teams")), List.of("name"));
    writeCsv(ctx, dir, "trend.csv", castRows(model.get("trend")), List.of("run_date"));
    writeCsv(ctx, dir, "retention_curve.csv", castRows(model.get("retention_curve")),
        List.of("horizon_days", "granted", "comparable_denied", "effect"));
    writeCsv(ctx, dir, "success_stories.csv", castRows(model.get("stories")), List.of("month", "policy",
        "segment", "team", "tenure_days", "cost", "referrals_converted", "referred_value", "estimated_value"));
    PausePoints.at("report.writing");
    ctx.layout().writeAtomically(new Path(dir, "report.json"), JSON.writeValueAsString(exported));
    ctx.layout().writeAtomically(new Path(dir, "report.html"), render(model));
    Path html = new Path(ctx.layout().stageDir(NAME), "report.html");
    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("report", html.toString());
    metrics.put("bytes", fs.getFileStatus(html).getLen());
    metrics.put("overall", model.get("overall_sentence"));
    return new StageResult(NAME, Map.of(), List.of(html.toString()), List.of(), metrics);
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> castRows(Object rows) {
    return (List<Map<String, Object>>) rows;
  }

  static String render(Map<String, Object> model) throws IOException {
    PebbleEngine engine = new PebbleEngine.Builder().autoEscaping(true).strictVariables(false).newLineTrimming(false)
        .extension(new Formats()).build();
    PebbleTemplate t = engine.getTemplate("report/report.peb");
    StringWriter out = new StringWriter();
    t.evaluate(out, model);
    return out.toString();
  }

  /** Writes rows as CSV; with no rows, just {@code emptyHeader}. */
  private static void writeCsv(StageContext ctx, Path staging, String name, List<Map<String, Object>> rows,
      List<String> emptyHeader) throws IOException {
    List<String> header = rows.isEmpty() ? emptyHeader : new ArrayList<>(rows.get(0).keySet());
    List<List<Object>> values = new ArrayList<>();
    for (Map<String, Object> r : rows) {
      values.add(header.stream().map(r::get).toList());
    }
    ctx.layout().writeAtomically(new Path(staging, name), Csv.write(header, values));
  }

  static Map<String, Object> readJson(FileSystem fs, Path p) throws IOException {
    try (InputStream in = fs.open(p)) {
      return JSON.readValue(in, new TypeReference<LinkedHashMap<String, Object>>() {});
    }
  }

  /** A summary record as the snake_case map the template and the JSON export read. */
  private static Map<String, Object> asMap(Object record) {
    return EffectsSummary.JSON.convertValue(record, new TypeReference<LinkedHashMap<String, Object>>() {});
  }

  /**
   * Adds requests and grant rate per row name, from the requests table, and with the model's judgement of every
   * request: the share it would have flexed and the share of staff decisions it agrees with.
   */
  private static List<Map<String, Object>> withGrantRates(List<Map<String, Object>> rows, Dataset<Row> requests,
      Dataset<Row> judged, String by) {
    Map<String, Row> rates = new LinkedHashMap<>();
    for (Row r : requests.groupBy(col(by)).agg(count(lit(1)).as("n"), avg(col(OutcomeCols.TREATED)).as("rate"))
        .collectAsList()) {
      rates.put(String.valueOf(r.get(0)), r);
    }
    Map<String, Row> match = new LinkedHashMap<>();
    if (judged != null) {
      for (Row r : judged.groupBy(col(by)).agg(avg(col("__model_flex")).as("flex"),
          avg(org.apache.spark.sql.functions.when(col("__model_flex").equalTo(col(OutcomeCols.TREATED)), 1.0)
              .otherwise(0.0)).as("agree")).collectAsList()) {
        match.put(String.valueOf(r.get(0)), r);
      }
    }
    for (Map<String, Object> row : rows) {
      Row r = rates.get(String.valueOf(row.get("name")));
      row.put("requests", r == null ? null : r.getLong(1));
      row.put("grant_rate", r == null ? null : r.getDouble(2));
      Row m = match.get(String.valueOf(row.get("name")));
      row.put("model_would_flex", m == null ? null : m.getDouble(1));
      row.put("agreement", m == null ? null : m.getDouble(2));
    }
    return rows;
  }

  /**
   * Every request as the current model judges it: {@code __model_flex} is 1 when the model would have recommended
   * flexing (expected net value of the request's own cost at or above the floor). Null without a model that can
   * read the requests table.
   */
  private static Dataset<Row> modelJudgement(StageContext ctx, Dataset<Row> requests) throws IOException {
    ModelRegistry registry = new ModelRegistry(ctx.config().paths().outputRoot(),
        ctx.spark().sparkContext().hadoopConfiguration());
    Optional<String> current = registry.current();
    if (current.isEmpty()) {
      return null;
    }
    ModelRegistry.Loaded m;
    try {
      m = registry.load(current.get(), List.of(requests.columns()));
    } catch (InputError e) {
      return null;
    }
    int window = m.referralWindowDays(ctx.config().effects().roiReferralWindowDays());
    Dataset<Row> d = m.predict(requests, m.retentionOutcome(), "__u_ret");
    d = m.predict(d, m.referralOutcome(), "__u_ref");
    d = d.join(org.apache.spark.sql.functions.broadcast(dev.leeway.score.Scoring.referralValues(requests, window)),
        Cols.POLICY, "left");
    org.apache.spark.sql.Column value = col("__u_ret").multiply(col(FeatureCols.CLV)).plus(col("__u_ref").multiply(
        org.apache.spark.sql.functions.coalesce(col(dev.leeway.score.ScoreCols.REFERRAL_VALUE),
            lit(ctx.config().outcomes().referredCustomerDefaultValue()))));
    return d.withColumn("__model_flex", org.apache.spark.sql.functions.when(value.minus(col(Cols.COST))
        .geq(ctx.config().score().flexFloor()), 1).otherwise(0))
        .select(col(FeatureCols.SEGMENT), col(Cols.TEAM), col(OutcomeCols.TREATED), col("__model_flex"));
  }

  /**
   * Retention of granted customers at each horizon against the estimate for comparable denied ones: the granted
   * rate minus the effect on the granted (the grant-weighted doubly robust ATT over policies with an estimate).
   */
  private static List<Map<String, Object>> retentionCurve(EffectsSummary effects, Dataset<Row> requests,
      List<Integer> horizons) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (int h : horizons) {
      double weighted = 0;
      double weights = 0;
      for (EffectsSummary.PolicyEffects p : effects.policies()) {
        EffectsSummary.EffectFigures e = p.effects().get("retention_" + h + "d");
        if (e == null || e.tooSmall() || e.doublyRobust() == null) {
          continue;
        }
        weighted += e.doublyRobust().estimate() * e.matureTreated();
        weights += e.matureTreated();
      }
      if (weights == 0) {
        continue;
      }
      Row g = requests.filter(col(OutcomeCols.TREATED).equalTo(1).and(col(OutcomeCols.retained(h)).isNotNull()))
          .agg(avg(col(OutcomeCols.retained(h)).cast("double"))).first();
      if (g.isNullAt(0)) {
        continue;
      }
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("horizon_days", h);
      row.put("granted", g.getDouble(0));
      row.put("comparable_denied", g.getDouble(0) - weighted / weights);
      row.put("effect", weighted / weights);
      out.add(row);
    }
    return out;
  }

  /**
   * Overall ROI and net value of this and earlier runs (the last {@value #TREND_RUNS} with an effects summary this
   * version can read).
   */
  private static List<Map<String, Object>> trend(FileSystem fs, StageContext ctx) throws IOException {
    Path runs = ctx.layout().runDir().getParent();
    List<LocalDate> dates = new ArrayList<>();
    for (FileStatus f : fs.listStatus(runs)) {
      try {
        LocalDate d = LocalDate.parse(f.getPath().getName());
        if (!d.isAfter(ctx.runDate()) && fs.exists(new Path(f.getPath(), "effects/summary.json"))) {
          dates.add(d);
        }
      } catch (java.time.format.DateTimeParseException notARun) {
        // Other folders under runs/ are not runs.
      }
    }
    dates.sort(null);
    List<Map<String, Object>> out = new ArrayList<>();
    for (LocalDate d : dates.subList(Math.max(0, dates.size() - TREND_RUNS), dates.size())) {
      EffectsSummary s;
      try (InputStream in = fs.open(new Path(new Path(runs, d.toString()), "effects/summary.json"))) {
        s = EffectsSummary.read(in);
      } catch (IOException | RuntimeException older) {
        LOG.warn("Trend: skipping the effects summary of {}, written in a format this version does not read ({})", d,
            older.getMessage());
        continue;
      }
      if (s.overall() == null) {
        continue;
      }
      Map<String, Object> o = ReportModel.roiRow(s.overall(), s.method().fdr());
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("run_date", d.toString());
      for (String k : List.of("grants", "cost", "net_value", "net_value_low", "net_value_high", "roi", "roi_low",
          "roi_high")) {
        row.put(k, o.get(k));
      }
      out.add(row);
    }
    return out;
  }

  /**
   * Success stories: granted requests after which the customer stayed to the ROI horizon and whose referrals
   * converted within the ROI referral window, ranked by what the grant is estimated to have caused (the current
   * model's predicted uplift in retention x lifetime value plus predicted uplift in converted referrals x the
   * policy's value per referral), not by what happened, which would favour customers who would have stayed and
   * referred anyway. Without a model's per-request estimates, the most referred value first, and the report says
   * so. Anonymised: no customer id, name, contact or note; the month, not the day.
   */
  private static List<Map<String, Object>> stories(Dataset<Row> requests, Dataset<Row> effects, int horizon,
      int referralWindow) {
    String converted = OutcomeCols.referralsConvertedAfter(referralWindow);
    String value = OutcomeCols.referredValueAfter(referralWindow);
    String retained = OutcomeCols.retained(horizon);
    List<String> cols = List.of(requests.columns());
    if (!cols.contains(converted) || !cols.contains(retained)) {
      return List.of();
    }
    Dataset<Row> granted = requests.filter(col(OutcomeCols.TREATED).equalTo(1).and(col(retained).equalTo(1))
        .and(col(converted).gt(0)));
    Column estimated = lit(null).cast("double");
    Column[] order = {col(value).desc(), col(converted).desc(), col(Cols.EXCEPTION_ID)};
    if (effects != null) {
      granted = granted.join(effects.select(col(Cols.EXCEPTION_ID), col(UpliftTraining.UPLIFT_RETENTION),
              col(UpliftTraining.UPLIFT_REFERRALS)), Cols.EXCEPTION_ID)
          .join(broadcast(Scoring.referralValues(requests, referralWindow)), Cols.POLICY, "left");
      estimated = col(UpliftTraining.UPLIFT_RETENTION).multiply(coalesce(col(FeatureCols.CLV), lit(0.0)))
          .plus(col(UpliftTraining.UPLIFT_REFERRALS).multiply(coalesce(col(ScoreCols.REFERRAL_VALUE), lit(0.0))));
      order = new Column[] {col("estimated_value").desc(), col(Cols.EXCEPTION_ID)};
    }
    List<Map<String, Object>> out = new ArrayList<>();
    List<Row> rows = granted.withColumn("estimated_value", estimated).orderBy(order)
        .select(date_format(col(Cols.REQUESTED_AT), "yyyy-MM").as("month"), col(Cols.POLICY),
            col(FeatureCols.SEGMENT), col(Cols.TEAM), col(FeatureCols.TENURE_DAYS), col(Cols.COST),
            col(converted).as("referrals_converted"), col(value).as("referred_value"),
            col("estimated_value"))
        .limit(STORIES).collectAsList();
    for (Row r : rows) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (String f : r.schema().fieldNames()) {
        m.put(f, r.getAs(f));
      }
      out.add(m);
    }
    return out;
  }

  /** The per-request effects the current model's training run estimated, or null. */
  private static Dataset<Row> requestEffects(StageContext ctx, Map<String, Object> train) {
    return train == null ? null : TrainJob.publishedTable(ctx, train, "request_effects");
  }

  /** The training summary of the model scoring uses (it may have been trained on an earlier run date). */
  private static Optional<Map<String, Object>> trainSummary(StageContext ctx) throws IOException {
    ModelRegistry registry = new ModelRegistry(ctx.config().paths().outputRoot(),
        ctx.spark().sparkContext().hadoopConfiguration());
    Optional<String> current = registry.current();
    if (current.isEmpty()) {
      return Optional.empty();
    }
    Map<String, Object> meta = registry.metadata(current.get());
    Optional<Map<String, Object>> summary = registry.summary(current.get());
    summary.ifPresent(s -> s.putIfAbsent("primary_outcome", meta.get("primary_outcome")));
    return summary;
  }
}
