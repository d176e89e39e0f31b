package dev.leeway.score;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max_by;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leeway.lookup.Score;
import dev.leeway.lookup.ScoreLookup;
import dev.leeway.support.Cli;
import dev.leeway.support.Outputs;
import dev.leeway.support.TestPostgres;
import dev.leeway.support.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real command line: generate, run the nightly pipeline with tight guardrails, and check the published scores
 * against the inputs: nobody whose actual grants reached the sporadic cap or behind a hard line is offered an
 * exception, budgets and the share ceiling hold on expected requests, FLEX is exactly "at or above the threshold",
 * the set is complete and carries no PII.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ScoreEndToEndTest {
  private static final String DATE = "2026-11-01";
  private static final int CAP = 1;
  private static final int CAP_DAYS = 180;
  private static final double POLICY_BUDGET = 0.5;
  private static final double TEAM_BUDGET = 0.6;
  private static final double MAX_SHARE = 0.3;

  private Path in;
  private Path out;
  private Cli.Run run;

  @BeforeAll
  void nightly(@TempDir Path tmp) {
    in = tmp.resolve("in");
    out = tmp.resolve("out");
    assertEquals(0, Cli.run("generate", "--customers", "4000", "--seed", "8", "--out", in.toString()).exitCode());
    run = Cli.run("nightly", "--run-date", DATE, "--input-root", in.toString(), "--output-root", out.toString(),
        "--set", "leeway.effects.placebo=false", "--set", "leeway.train.gbt.max_iter=10",
        // One learner: scoring is what is tested here (the learners are compared in TrainEndToEndTest).
        "--set", "leeway.train.learners=[t_learner]",
        "--set", "leeway.score.flex_floor=0",
        "--set", "leeway.score.sporadic_cap.max_grants=" + CAP,
        "--set", "leeway.score.sporadic_cap.window_days=" + CAP_DAYS,
        "--set", "leeway.score.hard_lines.never_flexible_policies=[FEE_WAIVER]",
        "--set", "leeway.score.sporadic_cap.max_share_flexed={ default = " + MAX_SHARE + " }",
        "--set", "leeway.score.budgets.policy_daily={ default = " + POLICY_BUDGET + " }",
        "--set", "leeway.score.budgets.team_daily={ default = " + TEAM_BUDGET + " }");
    assertEquals(0, run.exitCode(), run.context());
  }

  private Dataset<Row> scores() {
    return Outputs.table(out, "scores", DATE);
  }

  private static Dataset<Row> offered(Dataset<Row> scores) {
    return scores.filter(col(ScoreCols.RECOMMENDATION).notEqual(Recommender.HOLD_LINE));
  }

  @Test
  void theSetIsCompleteAndLatestPointsAtIt() throws Exception {
    assertEquals(DATE, Files.readString(out.resolve("scores/LATEST")).trim());
    JsonNode manifest = new ObjectMapper().readTree(out.resolve("scores/served/" + DATE + ".json").toFile());
    assertTrue(manifest.get("files").size() > 0 && manifest.get("snapshot_id").asLong() != 0, manifest.toString());
    JsonNode summary = new ObjectMapper().readTree(new Outputs(out, DATE).runDir().resolve("score/summary.json")
        .toFile());
    long customers = summary.get("customers_scored").asLong();
    int policies = summary.get("policies").size();
    assertTrue(customers > 0 && policies >= 5, summary.toString());
    assertEquals(summary.get("customers").asLong(), customers + summary.get("customers_churned").asLong()
        + summary.get("customers_not_yet_signed_up").asLong(), "every customer is scored or accounted for");
    assertEquals(customers * policies, manifest.get("rows").asLong());
    assertEquals(policies, manifest.get("rule_by_policy").size(), "the manifest says what share each policy flexes");
    for (JsonNode p : manifest.get("rule_by_policy")) {
      assertTrue(p.get("expected_share_flexed").asDouble() <= MAX_SHARE + 1e-9, p.toString());
    }
    Dataset<Row> s = scores();
    assertEquals(customers * policies, s.count());
    assertEquals(customers * policies, s.select("customer_id", "policy").distinct().count(), "one row per pair");
    assertEquals(0, s.filter(col(ScoreCols.UPLIFT_RETENTION).isNull().or(col(ScoreCols.EXPECTED_NET_VALUE).isNull())
        .and(col(ScoreCols.EXPECTED_COST).isNotNull())).count(), "every priced row has a value");
    // Recommendations of each kind, and the guardrails this configuration sets actually bind.
    List<String> kinds = s.select(ScoreCols.RECOMMENDATION).distinct().as(org.apache.spark.sql.Encoders.STRING())
        .collectAsList();
    assertTrue(kinds.contains(Recommender.FLEX) && kinds.contains(Recommender.HOLD_LINE), kinds.toString());
    JsonNode codes = summary.get("reason_codes");
    for (String c : List.of(Recommender.SPORADIC_CAP, Recommender.NEVER_FLEXIBLE_POLICY, Recommender.POLICY_BUDGET)) {
      assertTrue(codes.has(c), c + " binds: " + codes);
    }
  }

  @Test
  void theSporadicCapCountsActualGrantsAndHardLinesHold() {
    Outputs o = new Outputs(out, DATE);
    java.time.Instant windowStart = java.time.Instant.parse("2026-11-02T00:00:00Z").minusSeconds(CAP_DAYS * 86_400L);
    Dataset<Row> grants = o.conformed("exceptions")
        .filter(col("decision").equalTo("GRANTED").and(col("requested_at").geq(lit(java.sql.Timestamp.from(windowStart)))))
        .groupBy(col("customer_id").as("gid")).agg(count(lit(1)).as("past"));
    Dataset<Row> s = scores().join(grants, col("customer_id").equalTo(col("gid")), "left")
        .withColumn("past", org.apache.spark.sql.functions.coalesce(col("past"), lit(0L)));
    assertEquals(0, s.filter(col("past").notEqual(col(ScoreCols.PAST_GRANTS))).count(),
        "past_grants are the customer's grants in the window");
    assertEquals(0, offered(s).filter(col("past").geq(CAP)).count(), "a customer at the cap was offered");
    assertEquals(0, s.filter(col("past").lt(CAP)
        .and(org.apache.spark.sql.functions.array_contains(col(ScoreCols.REASON_CODES), Recommender.SPORADIC_CAP)))
        .count(), "the cap held a customer below it (offers for other policies do not count)");
    assertTrue(s.filter(col("past").geq(CAP)).count() > 0, "the sample has customers at the cap");

    Dataset<Row> risky = o.conformed("clv_snapshots").groupBy("customer_id")
        .agg(max_by(col("risk_flag"), col("as_of_date")).as("risk"))
        .filter(col("risk"));
    assertTrue(risky.count() > 0, "the sample has risk-flagged customers");
    assertEquals(0, offered(scores()).join(risky, "customer_id").count(), "a risk-flagged customer was offered");
    assertEquals(0, offered(scores()).filter(col("policy").equalTo("FEE_WAIVER")).count(),
        "a never-flexible policy was offered");
  }

  @Test
  void budgetsAndTheShareCeilingHoldOnExpectedRequests() throws Exception {
    Column spend = col(ScoreCols.EXPECTED_REQUESTS).multiply(col(ScoreCols.EXPECTED_COST));
    for (String by : List.of("policy", ScoreCols.TEAM)) {
      double limit = by.equals("policy") ? POLICY_BUDGET : TEAM_BUDGET;
      Row max = offered(scores()).groupBy(by).agg(sum(spend).as("spent"))
          .agg(org.apache.spark.sql.functions.max("spent")).first();
      assertTrue(max.isNullAt(0) || max.getDouble(0) <= limit + 1e-9, by + " budget exceeded: " + max);
    }
    for (Row r : scores().groupBy("policy").agg(sum(when(col(ScoreCols.RECOMMENDATION).equalTo(Recommender.FLEX),
        col(ScoreCols.EXPECTED_REQUESTS)).otherwise(0.0)).divide(sum(col(ScoreCols.EXPECTED_REQUESTS)))).collectAsList()) {
      assertTrue(r.getDouble(1) <= MAX_SHARE + 1e-9, r.getString(0) + " flexes more than the ceiling: " + r);
    }
    // FLEX means "at or above the threshold", and nothing above it is held for a budget or ceiling.
    Column net = col(ScoreCols.EXPECTED_NET_VALUE);
    assertEquals(0, scores().filter(col(ScoreCols.RECOMMENDATION).equalTo(Recommender.FLEX)
        .and(net.lt(col(ScoreCols.FLEX_THRESHOLD)))).count());
    assertEquals(0, scores().filter(net.geq(col(ScoreCols.FLEX_THRESHOLD)).and(org.apache.spark.sql.functions
        .arrays_overlap(col(ScoreCols.REASON_CODES), org.apache.spark.sql.functions.array(lit(Recommender.POLICY_BUDGET),
            lit(Recommender.TEAM_BUDGET), lit(Recommender.SPORADIC_SHARE), lit(Recommender.FREQUENT_REQUESTER)))))
        .count());
    JsonNode summary = new ObjectMapper().readTree(new Outputs(out, DATE).runDir().resolve("score/summary.json")
        .toFile());
    for (JsonNode p : summary.get("by_policy_rule")) {
      assertTrue(p.get("expected_spend_per_day").asDouble() <= POLICY_BUDGET + 1e-9, p.toString());
      assertTrue(p.get("staff_requests_per_day").asDouble() > 0, p.toString());
      assertTrue(p.get("expected_requests_per_day").asDouble() > 0, p.toString());
    }
  }

  @Test
  void reasonsComeFromTheModelInPlainWords() {
    Dataset<Row> s = scores();
    org.apache.spark.sql.Column has = org.apache.spark.sql.functions.size(col(ScoreCols.REASONS)).gt(0);
    // Every row offered has reasons; a row a hard line or the sporadic cap holds has none (its codes say why).
    Dataset<Row> offered = s.filter(col(ScoreCols.RECOMMENDATION).isin(Recommender.FLEX, Recommender.CONSIDER));
    assertTrue(offered.count() > 0, "some rows are offered");
    assertEquals(offered.count(), offered.filter(has).count(), "every offered row has reasons");
    org.apache.spark.sql.Column hardLine = org.apache.spark.sql.functions.lit(false);
    for (String code : List.of(Recommender.RISK_FLAG, Recommender.NO_COST_HISTORY, Recommender.SPORADIC_CAP,
        Recommender.OUTSIDE_SUPPORT)) {
      hardLine = hardLine.or(org.apache.spark.sql.functions.array_contains(col(ScoreCols.REASON_CODES), code));
    }
    assertEquals(0, s.filter(hardLine.and(has)).count(), "no reasons are worked out for rows held by a hard line");
    Row r = s.filter(org.apache.spark.sql.functions.size(col(ScoreCols.REASONS)).gt(0)).orderBy("customer_id", "policy")
        .first();
    List<Row> reasons = r.getList(r.fieldIndex(ScoreCols.REASONS));
    for (Row reason : reasons) {
      String text = reason.getAs("text");
      assertTrue(text.matches("[a-z0-9].*") && !text.contains("__"), "plain words: " + text);
      assertTrue(List.of("raises", "lowers").contains(reason.getAs("direction")), reason.toString());
    }
    // Largest effect first.
    for (int i = 1; i < reasons.size(); i++) {
      assertTrue(Math.abs((double) reasons.get(i - 1).getAs("effect")) >= Math.abs((double) reasons.get(i)
          .getAs("effect")), reasons.toString());
    }
  }

  @Test
  void theNightlyRunEndsWithTheReportAndItsExports() throws Exception {
    Path report = new Outputs(out, DATE).runDir().resolve("report");
    String html = Files.readString(report.resolve("report.html"));
    assertTrue(html.startsWith("<!DOCTYPE html>") && html.contains("Do exceptions pay?"), "the page");
    assertTrue(html.contains("id=\"stories\"") && html.contains("class=\"chart\""), "sections and charts");
    assertTrue(!html.contains("<script"), "no scripts");
    for (String f : List.of("report.json", "policies.csv", "segments.csv", "teams.csv", "trend.csv",
        "success_stories.csv")) {
      assertTrue(Files.size(report.resolve(f)) > 0, f);
    }
    assertTrue(Files.readString(report.resolve("policies.csv")).contains("FEE_WAIVER"), "a row per policy");
  }

  @Test
  void theLookupLibraryAnswersWhatThePublishedSetSays() {
    ScoreLookup lookup = ScoreLookup.loadLatest(out.resolve("scores").toString());
    Dataset<Row> s = scores();
    assertEquals(s.count(), lookup.size());
    assertEquals(java.time.LocalDate.parse(DATE), lookup.runDate());
    assertEquals(ScoreCols.CONTRACT_VERSION, ScoreLookup.CONTRACT_VERSION, "the library reads the contract published");
    for (Row r : s.orderBy("customer_id", "policy").limit(300).collectAsList()) {
      Score got = lookup.lookup(r.getAs("customer_id"), r.getAs("policy")).orElseThrow();
      assertEquals(r.<String>getAs(ScoreCols.RECOMMENDATION), got.recommendation());
      assertEquals((double) r.getAs(ScoreCols.MAX_CONCESSION), got.maxConcession(), 0.0);
      assertEquals((double) r.getAs(ScoreCols.UPLIFT_RETENTION), got.upliftRetention(), 0.0);
      assertEquals(r.getList(r.fieldIndex(ScoreCols.REASON_CODES)), got.reasonCodes());
      List<Row> reasons = r.getList(r.fieldIndex(ScoreCols.REASONS));
      assertEquals(reasons.stream().map(x -> x.<String>getAs("text")).toList(),
          got.reasons().stream().map(Score.Reason::text).toList());
      assertEquals(r.<java.sql.Date>getAs(ScoreCols.VALID_UNTIL).toLocalDate(), got.validUntil());
      assertEquals(r.<String>getAs(ScoreCols.MODEL_VERSION), got.modelVersion());
      assertEquals((double) r.getAs(ScoreCols.FLEX_THRESHOLD), got.flexThreshold(), 0.0);
      assertEquals((long) r.getAs(ScoreCols.PAST_GRANTS), got.pastGrants());
      assertEquals(CAP, got.sporadicCap());
      assertEquals((double) r.getAs(ScoreCols.EXPECTED_REQUESTS), got.expectedRequestsPerDay(), 0.0);
      // No grant since the run date: the published answer; a grant today reaches the cap of 1.
      assertEquals(got.recommendation(), got.recommendationAfter(0));
      assertEquals(Recommender.HOLD_LINE, got.recommendationAfter(1));
    }
    assertTrue(lookup.lookup("NO-SUCH-CUSTOMER", "FEE_WAIVER").isEmpty());
  }

  @Test
  void theScoreCommandPublishesTheSameSetToPostgresWithCredentialsFromTheEnvironment() throws Exception {
    TestPostgres.Server pg = TestPostgres.get();
    Path secrets = Files.createTempFile("leeway-pg", ".properties");
    Files.writeString(secrets, "url=" + pg.url() + "\nuser=" + pg.user() + "\npassword=" + pg.password() + "\n");
    Cli.Run score = Cli.runProcess(java.util.Map.of("LEEWAY_PG_SECRETS", secrets.toString()), "score",
        "--run-date", DATE, "--input-root", in.toString(), "--output-root", out.toString(),
        "--set", "leeway.score.postgres.enabled=true", "--set", "leeway.score.postgres.table=e2e_scores");
    assertEquals(0, score.exitCode(), score.context());
    Dataset<Row> s = scores();
    try (java.sql.Connection c = java.sql.DriverManager.getConnection(pg.url(), pg.user(), pg.password());
        java.sql.Statement st = c.createStatement();
        java.sql.ResultSet rs = st.executeQuery("SELECT count(*), min(run_date), sum(CASE WHEN recommendation = "
            + "'FLEX' THEN 1 ELSE 0 END), sum(CASE WHEN past_grants + 1 >= sporadic_cap THEN 1 ELSE 0 END), "
            + "sum(expected_requests_per_day) FROM e2e_scores")) {
      rs.next();
      assertEquals(s.count(), rs.getLong(1));
      assertEquals(DATE, rs.getString(2));
      assertEquals(s.filter(col(ScoreCols.RECOMMENDATION).equalTo(Recommender.FLEX)).count(), rs.getLong(3));
      assertEquals(s.filter(col(ScoreCols.PAST_GRANTS).plus(1).geq(col(ScoreCols.SPORADIC_CAP))).count(),
          rs.getLong(4), "the cap is applied to a grant made today as the lookup library applies it");
      assertEquals(s.agg(sum(ScoreCols.EXPECTED_REQUESTS)).first().getDouble(0), rs.getDouble(5), 1e-6);
    }
    assertTrue(!score.out().contains(pg.password().isEmpty() ? "password=" : pg.password()), score.out());
  }

  /**
   * A week later the customers export arrives truncated to a third. With the ingest gates that would catch it
   * first turned to warnings, ingest and outcomes succeed, and the scores-volume gate is the last line: score fails
   * with exit code 5 naming the check, its value and threshold, publishes nothing, and frontline tools still read
   * the earlier date's set.
   */
  @Test
  void aCollapsedScoresVolumeStopsScoreAndTheServedSetStays(@TempDir Path tmp) throws Exception {
    String later = "2026-11-08";
    Path truncated = tmp.resolve("in");
    try (Stream<Path> files = Files.walk(in)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        Path to = truncated.resolve(in.relativize(f));
        Files.createDirectories(to.getParent());
        Files.copy(f, to);
      }
    }
    Path customers;
    try (Stream<Path> files = Files.list(truncated.resolve("customers"))) {
      customers = files.filter(f -> f.toString().endsWith(".csv")).findFirst().orElseThrow();
    }
    List<String> lines = Files.readAllLines(customers);
    Files.write(customers, lines.subList(0, lines.size() / 3));
    String[] where = {"--run-date", later, "--input-root", truncated.toString(), "--output-root", out.toString(),
        "--set", "leeway.gates.rows_drop.severity=warn", "--set", "leeway.gates.quarantine_share.severity=warn"};
    for (String stage : List.of("ingest", "outcomes")) {
      Cli.Run r = Cli.run(Stream.concat(Stream.of(stage), Stream.of(where)).toArray(String[]::new));
      assertEquals(0, r.exitCode(), r.context());
    }
    Cli.Run score = Cli.run(Stream.concat(Stream.of("score"), Stream.of(where)).toArray(String[]::new));
    assertEquals(5, score.exitCode(), score.context());
    assertTrue(score.err().contains("scores_volume of scores = 0.") && score.err().contains("threshold 0.5"),
        score.context());
    assertEquals(DATE, Files.readString(out.resolve("scores/LATEST")).trim(), "the served set is unchanged");
    assertTrue(Files.notExists(out.resolve("scores/served/" + later + ".json")));
    JsonNode status = new Outputs(out, later).status();
    assertEquals("FAILED", status.get("outcome").asText(), status.toString());
    assertTrue(status.get("error").asText().contains("scores_volume"), status.toString());
    assertEquals(0, Outputs.table(out, "scores", later).count(), "no scores of the failed date");
    Row gate = Outputs.table(out, "gate_results", later).where("check = 'scores_volume'").first();
    assertEquals("FAIL", gate.getAs("outcome"), gate.toString());
    assertTrue(gate.<Double>getAs("measured") > 0.5, gate.toString());
  }

  @Test
  void noPiiReachesScoresReportSummaryOrLog() throws Exception {
    Dataset<Row> customers = TestSpark.session().read().option("header", true).csv(in.resolve("customers").toString());
    List<String> pii = new ArrayList<>();
    for (Row c : customers.select("full_name", "email", "phone").limit(200).collectAsList()) {
      for (int i = 0; i < 3; i++) {
        if (!c.isNullAt(i) && c.getString(i).length() > 5) {
          pii.add(c.getString(i));
        }
      }
    }
    assertTrue(pii.size() > 100, "the sample has PII to look for");
    Dataset<Row> s = scores();
    for (String column : s.columns()) {
      assertTrue(!List.of("full_name", "email", "phone", "note").contains(column), "PII column " + column);
    }
    String flat = String.join("\n", s.select(org.apache.spark.sql.functions.to_json(
        org.apache.spark.sql.functions.struct(col("*")))).as(org.apache.spark.sql.Encoders.STRING()).collectAsList());
    StringBuilder text = new StringBuilder(flat).append(run.out()).append(run.err());
    try (Stream<Path> files = Files.walk(out)) {
      for (Path f : files.filter(p -> p.toString().matches(".*\\.(json|html|csv)$")).toList()) {
        text.append(Files.readString(f));
      }
    }
    for (String p : pii) {
      assertTrue(!text.toString().contains(p), "PII found in outputs: " + p);
    }
    assertTrue(run.out().contains("score"), run.out());
  }
}
