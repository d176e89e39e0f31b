package dev.leeway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leeway.lookup.ScoreLookup;
import dev.leeway.run.PausePoints;
import dev.leeway.support.Cli;
import dev.leeway.support.Outputs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * What frontline tools and leadership read is always one whole, current set, through the real command line on one
 * output root where D2 has run uninterrupted:
 * <ol>
 *   <li>a nightly of D2 SIGKILLed at five points, one stage at a time, leaves the uninterrupted run's model, served
 *       set and report in place after each kill; the next nightly redoes every stage the kills touched and gives
 *       the same tables as the uninterrupted run;</li>
 *   <li>a backfill of D1 publishes its partition and leaves serving state on D2;</li>
 *   <li>re-training D2 with a worse model leaves the current model intact;</li>
 *   <li>a second run of a date is refused while the first runs; a stale lease is taken over;</li>
 *   <li>a served date reads back exactly as served.</li>
 * </ol>
 * Slow (about four nightly-sized runs and five single-stage runs in child JVMs): runs in the {@code slow} Maven profile ({@code .ci/run}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ServingStateSlowTest {
  private static final String D1 = "2026-10-25";
  private static final String D2 = "2026-11-01";
  /**
   * Where each kill happens, in the nightly started at that point's stage ({@code --from-stage}; the first with
   * {@code --force}), so that each killed run does one stage's work.
   */
  private static final List<String> KILLS = List.of("ingest.audited", "effects.audited", "train.saved",
      "score.published", "report.writing");
  /** The tables compared with the uninterrupted run, by the stage that publishes them. */
  private static final Map<String, List<String>> TABLES = Map.of(
      "ingest", List.of("conformed_customers", "conformed_exceptions", "conformed_activity", "quarantine_exceptions"),
      "outcomes", List.of("requests"), "effects", List.of("effects_estimates", "effects_roi"),
      "train", List.of("train_metrics"), "score", List.of("scores"));

  private Path tmp;
  private Path in;
  private Path out;
  private final List<String> timings = new ArrayList<>();

  private String[] args(String command, String date, String... more) {
    List<String> a = new ArrayList<>(List.of(command, "--run-date", date, "--input-root", in.toString(),
        "--output-root", out.toString(), "--set", "leeway.effects.placebo=false",
        "--set", "leeway.train.learners=[t_learner]", "--set", "leeway.train.gbt.max_iter=10",
        "--set", "leeway.train.bootstrap_replicates=20", "--set", "leeway.train.gbt.min_instances_per_node=20",
        "--set", "leeway.effects.folds=2",
        "--set", "leeway.train.learner_classes.reversed_t_learner=dev.leeway.uplift.learners.ReversedTLearner",
        // A nightly of the current model's date retrains (the kill between save and promotion is in the nightly),
        // and every new model is promoted, so the rerun scores with the same model as the uninterrupted run.
        "--set", "leeway.train.cadence_days=0", "--set", "leeway.train.promotion_tolerance=1.0"));
    a.addAll(List.of(more));
    return a.toArray(String[]::new);
  }

  private Cli.Run run(String command, String date, String... more) {
    return Cli.run(args(command, date, more));
  }

  private String read(String relative) throws Exception {
    return Files.readString(out.resolve(relative)).trim();
  }

  private JsonNode json(String relative) throws Exception {
    return new ObjectMapper().readTree(out.resolve(relative).toFile());
  }

  @BeforeAll
  void anUninterruptedRun(@TempDir Path dir) {
    tmp = dir;
    in = tmp.resolve("in");
    out = tmp.resolve("out");
    // Dirty data: every stage of the nightly copes with what ingest quarantines.
    assertEquals(0, Cli.run("generate", "--customers", "1000", "--seed", "15", "--dirty-rate", "0.03", "--out",
        in.toString()).exitCode());
    long started = System.nanoTime();
    Cli.Run first = run("nightly", D2);
    assertEquals(0, first.exitCode(), first.context());
    timings.add("uninterrupted nightly " + (System.nanoTime() - started) / 1_000_000_000 + " s");
  }

  @Test
  @Order(1)
  void killedNightliesLeaveTheCompleteStateAndARerunGivesTheTablesOfAnUninterruptedRun() throws Exception {
    // What the uninterrupted run published, per stage: the snapshots its tables are at.
    Map<String, JsonNode> uninterrupted = new java.util.HashMap<>();
    for (String stage : TABLES.keySet()) {
      uninterrupted.put(stage, json("runs/" + D2 + "/" + stage + "/_published.json"));
    }
    String model = read("models/CURRENT");
    String served = read("scores/served/" + D2 + ".json");
    String report = read("runs/" + D2 + "/report/report.html");
    long scored = json("scores/served/" + D2 + ".json").get("rows").asLong();
    for (String point : KILLS) {
      String stage = point.substring(0, point.indexOf('.'));
      long started = System.nanoTime();
      killAt(point, point.equals(KILLS.get(0)) ? new String[] {"--force"} : new String[] {"--from-stage", stage});
      timings.add("killed at " + point + " after " + (System.nanoTime() - started) / 1_000_000_000 + " s");

      // Readers see the uninterrupted run's serving state: the served set, the current model and the report page.
      assertEquals(D2, read("scores/LATEST"), point);
      assertEquals(served, read("scores/served/" + D2 + ".json"), point + ": the served set is unchanged");
      ScoreLookup lookup = ScoreLookup.loadLatest(out.resolve("scores").toString());
      assertEquals(D2, lookup.runDate().toString(), point);
      assertEquals(scored, lookup.size(), point + ": the lookup serves the whole set");
      assertEquals(model, read("models/CURRENT"), point + ": nothing was promoted");
      assertEquals(report, read("runs/" + D2 + "/report/report.html"), point + ": the report page is whole");
      if (point.endsWith(".audited")) {
        // The killed stage published nothing: its record is an earlier attempt's, and main is at its snapshots.
        JsonNode record = json("runs/" + D2 + "/" + stage + "/_published.json");
        int killedAttempt = json("runs/" + D2 + "/status.json").get("attempt").asInt();
        assertTrue(record.get("attempt").asInt() < killedAttempt, point + ": " + record);
        record.get("tables").fields().forEachRemaining(t -> assertEquals(t.getValue().asLong(),
            Outputs.mainSnapshot(out, t.getKey()), point + ": main of " + t.getKey()));
      }
      // The killed run's lease stays behind; pretend its stale time has passed so the next run takes it over.
      Path lock = out.resolve("runs/" + D2 + "/_lock");
      assertTrue(Files.exists(lock), point);
      Files.setLastModifiedTime(lock, FileTime.from(Instant.now().minus(2, ChronoUnit.HOURS)));
    }

    long started = System.nanoTime();
    Cli.Run rerun = run("nightly", D2);
    assertEquals(0, rerun.exitCode(), rerun.context());
    timings.add("rerun " + (System.nanoTime() - started) / 1_000_000_000 + " s");
    System.out.println("Kill test timings: " + timings);
    JsonNode status = json("runs/" + D2 + "/status.json");
    for (int i = 0; i < 6; i++) {
      // Each stage was started by a killed run, which forgot its completion: the rerun redoes them all.
      assertEquals("SUCCEEDED", status.at("/stages/" + i + "/outcome").asText(), status.toString());
    }
    assertEquals(D2, read("scores/LATEST"));
    assertTrue(read("models/CURRENT").startsWith(D2 + "-a") && !read("models/CURRENT").equals(model),
        "the rerun's model is current: " + read("models/CURRENT"));
    for (var stage : TABLES.entrySet()) {
      JsonNode before = uninterrupted.get(stage.getKey());
      JsonNode after = json("runs/" + D2 + "/" + stage.getKey() + "/_published.json");
      assertTrue(after.get("attempt").asInt() > before.get("attempt").asInt(), stage.getKey() + " was redone");
      for (String table : stage.getValue()) {
        assertSameRows(table, Outputs.table(out, table, D2, before.at("/tables/" + table).asLong()),
            Outputs.table(out, table, D2, after.at("/tables/" + table).asLong()));
      }
    }
    assertFalse(Files.exists(out.resolve("runs/" + D2 + "/_work")), "work folders are swept");
  }

  @Test
  @Order(2)
  void aBackfillPublishesItsPartitionAndLeavesServingStateAlone() throws Exception {
    String model = read("models/CURRENT");
    String servedD2 = read("scores/served/" + D2 + ".json");

    Cli.Run backfill = run("nightly", D1);
    assertEquals(0, backfill.exitCode(), backfill.context());
    assertTrue(backfill.out().contains("backfill"), backfill.context());
    assertEquals(D2, read("scores/LATEST"), "LATEST still names the later date");
    assertEquals(model, read("models/CURRENT"), "the current model is still the later date's");
    assertEquals(servedD2, read("scores/served/" + D2 + ".json"));
    assertFalse(Files.exists(out.resolve("scores/served/" + D1 + ".json")), "the earlier date is not served");
    assertTrue(Outputs.table(out, "scores", D1).count() > 0, "the backfill's partition is published and readable");
    assertTrue(Outputs.table(out, "scores", D2).count() > 0, "the later partition is untouched");
    assertEquals(D2, ScoreLookup.loadLatest(out.resolve("scores").toString()).runDate().toString());
    assertTrue(backfill.out().contains("backfill: model " + model), "the nightly does not train a backfill date: "
        + backfill.out());
  }

  @Test
  @Order(3)
  void reTrainingTheCurrentModelsDateWithAWorseModelLeavesItIntact() throws Exception {
    // Reversing a ranking negates its Qini on the same held-out rows: of the T-learner and its reverse, the one
    // with the positive Qini is current and the other is the worse model.
    double qini = qini(read("models/CURRENT"));
    assertTrue(qini != 0, "the current model ranks held-out customers (Qini " + qini + ")");
    String worseLearner = "reversed_t_learner";
    if (qini < 0) {
      Cli.Run better = run("train", D2, "--set", "leeway.train.learners=[reversed_t_learner]",
          "--set", "leeway.train.promotion_tolerance=0");
      assertEquals(0, better.exitCode(), better.context());
      assertTrue(better.out().contains("promoted: true"), better.context());
      worseLearner = "t_learner";
    }
    String current = read("models/CURRENT");
    Path model = out.resolve("models/" + current);
    String metadata = Files.readString(model.resolve("metadata.json"));
    Cli.Run worse = run("train", D2, "--set", "leeway.train.learners=[" + worseLearner + "]",
        "--set", "leeway.train.promotion_tolerance=0");
    assertEquals(0, worse.exitCode(), worse.context());
    assertTrue(worse.out().contains("promoted: false"), worse.context());
    assertEquals(current, read("models/CURRENT"), "the current model stays");
    assertEquals(metadata, Files.readString(model.resolve("metadata.json")), "and its folder is untouched");
    try (var versions = Files.list(out.resolve("models"))) {
      assertTrue(versions.filter(p -> p.getFileName().toString().startsWith(D2 + "-a")).count() >= 2,
          "the rejected model is kept beside it");
    }
  }

  @Test
  @Order(4)
  void aSecondRunOfADateIsRefusedWhileTheFirstRunsAndAStaleLeaseIsTakenOver() throws Exception {
    Path lock = out.resolve("runs/" + D2 + "/_lock");
    CompletableFuture<Cli.Run> first = CompletableFuture.supplyAsync(() -> run("report", D2));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(lock) && !first.isDone() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertTrue(Files.exists(lock), "the first run holds the lease");
    Cli.Run second = run("report", D2);
    assertEquals(ExitCodes.LOCKED, second.exitCode(), second.context());
    assertTrue(second.err().contains("already running"), second.context());
    Cli.Run firstRun = first.get(5, TimeUnit.MINUTES);
    assertEquals(0, firstRun.exitCode(), firstRun.context());
    assertFalse(Files.exists(lock), "the lease is released at the end");

    // A run killed outright leaves its lease behind; once it is older than the stale time it is taken over.
    Files.writeString(lock, "{\"command\":\"report\",\"owner\":\"killed\"}");
    Cli.Run refused = run("report", D2);
    assertEquals(ExitCodes.LOCKED, refused.exitCode(), refused.context());
    Files.setLastModifiedTime(lock, FileTime.from(Instant.now().minus(2, ChronoUnit.HOURS)));
    Cli.Run takeover = run("report", D2);
    assertEquals(0, takeover.exitCode(), takeover.context());
    JsonNode status = new ObjectMapper().readTree(out.resolve("runs/" + D2 + "/status.json").toFile());
    assertTrue(status.get("took_over_stale_lease_of").asText().contains("killed"), status.toString());
  }

  @Test
  @Order(5)
  void servedScoresReadBackExactlyAsServedWithSparkSql() throws Exception {
    JsonNode manifest = new ObjectMapper().readTree(out.resolve("scores/served/" + D2 + ".json").toFile());
    Cli.Run asServed = Cli.run("sql", "--output-root", out.toString(), "SELECT count(*) AS n, min(model_version) AS m "
        + "FROM leeway.leeway.scores VERSION AS OF 'served_" + D2.replace("-", "") + "' WHERE run_date = date'" + D2
        + "'");
    assertEquals(0, asServed.exitCode(), asServed.context());
    assertEquals("n\tm\n" + manifest.get("rows").asLong() + "\t" + manifest.get("model_version").asText(),
        asServed.out().trim(), asServed.context());
    Cli.Run dates = Cli.run("sql", "--output-root", out.toString(),
        "SELECT DISTINCT run_date FROM leeway.leeway.scores ORDER BY run_date");
    assertEquals("run_date\n" + D1 + "\n" + D2, dates.out().trim(), dates.context());
  }

  private double qini(String version) throws Exception {
    JsonNode meta = new ObjectMapper().readTree(out.resolve("models/" + version + "/metadata.json").toFile());
    return meta.at("/metrics/test~1retention_365d/qini").asDouble();
  }

  /** Starts the nightly for D2 in a child JVM, waits until it pauses at {@code point}, and SIGKILLs it. */
  private void killAt(String point, String... more) throws Exception {
    Path err = tmp.resolve("err-" + point + ".log");
    List<String> a = new ArrayList<>(List.of(args("nightly", D2, more)));
    // Small data: few shuffle partitions, as the in-process runs have.
    a.addAll(List.of("--set", "leeway.spark.conf.\"spark.sql.shuffle.partitions\"=2"));
    Process p = Cli.startProcess(Map.of(), List.of("-D" + PausePoints.PROPERTY + "=" + point),
        ProcessBuilder.Redirect.to(err.toFile()), a.toArray(String[]::new));
    CompletableFuture.runAsync(() -> {
      try {
        p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
      } catch (java.io.IOException e) {
        // The process was killed.
      }
    });
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
    while (!Files.readString(err).contains(PausePoints.MARKER + point)) {
      assertTrue(p.isAlive(), point + ": the run ended before the pause point:\n" + Files.readString(err));
      assertTrue(System.nanoTime() < deadline, point + ": timed out");
      Thread.sleep(100);
    }
    p.destroyForcibly(); // SIGKILL: no shutdown hooks, no finally blocks
    assertTrue(p.waitFor(1, TimeUnit.MINUTES));
    assertEquals(137, p.exitValue(), point);
  }

  private static void assertSameRows(String table, Dataset<Row> expected, Dataset<Row> actual) {
    Dataset<Row> e = comparable(expected);
    Dataset<Row> a = comparable(actual).select(e.columns()[0],
        Arrays.copyOfRange(e.columns(), 1, e.columns().length));
    assertEquals(e.count(), a.count(), table + ": row count");
    assertEquals(0, e.exceptAll(a).count(), table + ": rows of the uninterrupted run missing after the rerun");
    assertEquals(0, a.exceptAll(e).count(), table + ": rows after the rerun that the uninterrupted run lacks");
  }

  /**
   * What must match between two runs: every column but the model version (it names the attempt that trained it) and
   * the reasons' nested effect sizes, with numbers to 6 decimals: sums over Spark tasks are added in task order, so
   * two runs agree to about 1e-15, not bit for bit.
   */
  private static Dataset<Row> comparable(Dataset<Row> d) {
    List<org.apache.spark.sql.Column> cols = new ArrayList<>();
    for (org.apache.spark.sql.types.StructField f : d.schema().fields()) {
      if (f.name().equals("model_version") || f.name().equals("reasons")) {
        continue;
      }
      org.apache.spark.sql.Column c = org.apache.spark.sql.functions.col(f.name());
      boolean real = f.dataType() instanceof org.apache.spark.sql.types.DoubleType
          || f.dataType() instanceof org.apache.spark.sql.types.FloatType;
      cols.add(real ? org.apache.spark.sql.functions.round(c, 6).as(f.name()) : c);
    }
    return d.select(cols.toArray(org.apache.spark.sql.Column[]::new));
  }

}
