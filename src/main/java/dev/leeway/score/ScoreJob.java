package dev.leeway.score;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.config.LeewayConfig.ScoreSettings;
import dev.leeway.contract.Cols;
import dev.leeway.features.ModelFeatures;
import dev.leeway.ingest.ConformedTables;
import dev.leeway.io.RunLayout;
import dev.leeway.outcomes.OutcomesJob;
import dev.leeway.run.PausePoints;
import dev.leeway.run.Stage;
import dev.leeway.run.StageContext;
import dev.leeway.run.StageResult;
import dev.leeway.run.Version;
import dev.leeway.tables.AuditedWrite;
import dev.leeway.uplift.ModelRegistry;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * The score stage: scores every active customer for every policy with the current model, publishes the run date's
 * partition of the scores table (write-audit-publish), serves it ({@code <output_root>/scores/LATEST}, PostgreSQL)
 * unless a later run date is served already, and writes a summary (counts per policy and recommendation, budget
 * spent) to runs/&lt;date&gt;/score/summary.json.
 */
public final class ScoreJob implements Stage {
  public static final String NAME = "score";
  /** The published scores table. */
  public static final String TABLE = "scores";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public StageResult run(StageContext ctx) throws Exception {
    SparkSession spark = ctx.spark();
    String outputRoot = ctx.config().paths().outputRoot();
    ModelRegistry registry = new ModelRegistry(outputRoot, spark.sparkContext().hadoopConfiguration());
    ctx.dependsOnFile(registry.currentFile());
    Optional<String> current = registry.current();
    if (current.isEmpty()) {
      String why = "no current model under " + registry.root() + "; run `leeway train` first (nothing scored, "
          + "the published scores are unchanged)";
      return new StageResult(NAME, Map.of(), List.of(), List.of(why), Map.of("skipped", why));
    }
    ScoreSettings settings = ctx.config().score();
    PostgresPublisher postgres = settings.postgresEnabled()
        ? new PostgresPublisher(PostgresPublisher.Target.fromEnvironment(System.getenv()), settings.postgresTable())
        : null;
    ConformedTables t = ConformedTables.read(ctx);
    Dataset<Row> requests = OutcomesJob.readRequests(ctx, "score customers");
    // The features scoring computes (the configured point-in-time features and the policy) must be the model's.
    ModelRegistry.Loaded model = registry.load(current.get(),
        new ModelFeatures(ctx.config().features(), false).inputColumns());

    ScoresPublisher publisher = new ScoresPublisher(outputRoot, spark.sparkContext().hadoopConfiguration());
    if (postgres != null) {
      postgres.sweepStaging(ctx.runDate());
    }
    Scoring.Result r = new Scoring(ctx.config()).score(t, requests, model, ctx.runDate(),
        RunLayout.materializer(spark, ctx.layout().workDir(NAME)));
    long customers = ((Number) r.facts().get("customers_scored")).longValue();
    @SuppressWarnings("unchecked")
    List<String> policies = (List<String>) r.facts().get("policies");
    Map<String, Object> summary = new LinkedHashMap<>();
    AuditedWrite published = ctx.writeAuditPublish(NAME, audit -> {
      Dataset<Row> written = audit.write(TABLE, r.scores().drop(ScoreCols.RUN_DATE));
      long rows = written.count();
      if (rows != customers * policies.size()) {
        throw new IllegalStateException("Check 'one score per customer and policy' failed: " + rows + " rows for "
            + customers + " customers x " + policies.size() + " policies; nothing was published");
      }
      summary.put("gates", volumeGate(ctx, rows).stream().map(dev.leeway.quality.GateResult::toMap).toList());
      summary.put("run_date", ctx.runDate().toString());
      summary.put("model_version", model.version());
      summary.put("contract_version", ScoreCols.CONTRACT_VERSION);
      summary.putAll(r.facts());
      summary.put("rows", rows);
      List<Map<String, Object>> byPolicy = breakdown(written, Cols.POLICY);
      summary.put("by_policy", byPolicy);
      summary.put("by_team", breakdown(written, ScoreCols.TEAM));
      summary.put("reason_codes", reasonCodes(written));
      summary.put("recommendations", totals(byPolicy));
      return audit;
    });
    long snapshot = published.published().get(TABLE);
    PausePoints.at("score.published");
    List<String> outputs = new ArrayList<>(ctx.describe(published.published()));

    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("contract_version", ScoreCols.CONTRACT_VERSION);
    manifest.put("run_date", ctx.runDate().toString());
    manifest.put("attempt", ctx.attempt().number());
    manifest.put("model_version", model.version());
    manifest.put("rows", summary.get("rows"));
    manifest.put("columns", ScoreCols.PUBLISHED);
    manifest.put("table", ctx.catalog().table(TABLE));
    manifest.put("snapshot_id", snapshot);
    manifest.put("tag", ScoresPublisher.tag(ctx.runDate()));
    manifest.put("files", ctx.published().files(TABLE, snapshot, ctx.runDate()));
    manifest.put("rule_by_policy", ruleByPolicy(r.facts()));
    manifest.put("code_version", Version.get());
    manifest.put("created_at", Instant.now().toString());
    // Serving state only moves forward: the set LATEST names (and PostgreSQL) switches to this run date unless a
    // later one is served already (a backfill).
    Optional<LocalDate> servedBefore = publisher.serve(ctx.runDate(), manifest, () -> {
      ctx.catalog().tag(TABLE, ScoresPublisher.tag(ctx.runDate()), snapshot);
      if (postgres != null) {
        long loaded = postgres.publish(ctx.published().read(TABLE, snapshot, ctx.runDate()), ctx.runDate(),
            model.version());
        summary.put("postgres", Map.of("table", settings.postgresTable(), "rows", loaded));
        outputs.add("postgresql table " + settings.postgresTable());
      }
    });
    List<String> warnings = new ArrayList<>();
    boolean served = servedBefore.map(d -> !d.isAfter(ctx.runDate())).orElse(true);
    summary.put("served", served);
    if (served) {
      outputs.add(publisher.latestFile().toString());
    } else {
      warnings.add("backfill: scores of " + ctx.runDate() + " are published in " + ctx.catalog().table(TABLE)
          + " but not served; LATEST and PostgreSQL keep the later run date " + servedBefore.get());
    }
    Path summaryFile = new Path(ctx.layout().stageDir(NAME), "summary.json");
    ctx.layout().writeAtomically(summaryFile, JSON.writeValueAsString(summary));
    outputs.add(summaryFile.toString());

    Map<String, Object> metrics = new LinkedHashMap<>();
    metrics.put("model_version", model.version());
    metrics.put("customers_scored", customers);
    metrics.put("policies", policies.size());
    metrics.put("recommendations", summary.get("recommendations"));
    metrics.put("served", served ? "yes (LATEST = " + ctx.runDate() + ")"
        : "no: backfill, LATEST stays " + servedBefore.get());
    return new StageResult(NAME, Map.of(), outputs, warnings, metrics);
  }

  /** What the answers amount to: per policy, the threshold and the share of expected requests it flexes. */
  private static List<Map<String, Object>> ruleByPolicy(Map<String, Object> facts) {
    List<Map<String, Object>> rule = new ArrayList<>();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> byPolicyRule = (List<Map<String, Object>>) facts.get("by_policy_rule");
    for (Map<String, Object> p : byPolicyRule) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (String k : List.of("policy", "flex_threshold", "threshold_set_by", "expected_requests_per_day",
          "expected_share_flexed", "expected_spend_per_day", "daily_budget", "max_share_flexed")) {
        m.put(k, p.get(k));
      }
      rule.add(m);
    }
    return rule;
  }

  private static List<Map<String, Object>> breakdown(Dataset<Row> scores, String by) {
    List<Map<String, Object>> out = new ArrayList<>();
    Dataset<Row> agg = scores.groupBy(col(by)).agg(
        count(lit(1)).as("rows"),
        sum(when(col(ScoreCols.RECOMMENDATION).equalTo(Recommender.FLEX), 1L).otherwise(0L)).as("flex"),
        sum(when(col(ScoreCols.RECOMMENDATION).equalTo(Recommender.CONSIDER), 1L).otherwise(0L)).as("consider"),
        sum(when(col(ScoreCols.RECOMMENDATION).equalTo(Recommender.HOLD_LINE), 1L).otherwise(0L)).as("hold_line"),
        sum(when(col(ScoreCols.RECOMMENDATION).notEqual(Recommender.HOLD_LINE), col(ScoreCols.EXPECTED_REQUESTS)
            .multiply(col(ScoreCols.EXPECTED_COST))).otherwise(0.0)).as("expected_spend_per_day"),
        sum(when(col(ScoreCols.RECOMMENDATION).notEqual(Recommender.HOLD_LINE), col(ScoreCols.EXPECTED_REQUESTS)
            .multiply(col(ScoreCols.EXPECTED_NET_VALUE))).otherwise(0.0)).as("expected_net_value_per_day"))
        .orderBy(col(by));
    for (Row r : agg.collectAsList()) {
      Map<String, Object> m = new LinkedHashMap<>();
      for (String f : r.schema().fieldNames()) {
        m.put(f, r.getAs(f));
      }
      out.add(m);
    }
    return out;
  }

  private static Map<String, Long> reasonCodes(Dataset<Row> scores) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (Row r : scores.select(org.apache.spark.sql.functions.explode(col(ScoreCols.REASON_CODES)).as("code"))
        .groupBy("code").count().orderBy("code").collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }

  /** Recommendations of each kind over all policies, summed from the per-policy breakdown. */
  private static Map<String, Long> totals(List<Map<String, Object>> byPolicy) {
    Map<String, Long> out = new java.util.TreeMap<>();
    for (Map<String, Object> p : byPolicy) {
      out.merge(Recommender.CONSIDER, ((Number) p.get("consider")).longValue(), Long::sum);
      out.merge(Recommender.FLEX, ((Number) p.get("flex")).longValue(), Long::sum);
      out.merge(Recommender.HOLD_LINE, ((Number) p.get("hold_line")).longValue(), Long::sum);
    }
    out.values().removeIf(n -> n == 0);
    return new LinkedHashMap<>(out);
  }


  /**
   * The scores-volume gate: rows to serve against the previous scored run date's. Logged to gate_results; throws
   * when it fails at severity "fail", so nothing is published or served.
   */
  private static List<dev.leeway.quality.GateResult> volumeGate(StageContext ctx, long rows)
      throws java.io.IOException {
    dev.leeway.quality.Gates gates = new dev.leeway.quality.Gates(NAME);
    var previous = ctx.published().latestBefore(ctx.runDate(), NAME);
    var record = previous.isEmpty() ? java.util.Optional.<dev.leeway.tables.Published.Record>empty()
        : ctx.published().find(previous.get(), NAME);
    long before = record.isEmpty() ? 0 : ctx.published().read(record.get(), TABLE).count();
    if (before == 0) {
      gates.measured("scores_volume", TABLE, null, rows + " rows; no earlier scored run date to compare with");
    } else {
      gates.atMost("scores_volume", TABLE, Math.abs(rows - before) / (double) before, ctx.config().gates()
          .scoresVolume(), rows + " rows against " + before + " on " + previous.get());
    }
    new dev.leeway.quality.GateLog(ctx.spark(), ctx.catalog()).append(ctx.runDate(), ctx.attempt().number(), NAME,
        gates.results());
    gates.enforce();
    return gates.results();
  }
}
