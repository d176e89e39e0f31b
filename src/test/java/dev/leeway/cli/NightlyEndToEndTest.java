package dev.leeway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.leeway.support.Cli;
import dev.leeway.support.Outputs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real command line, end to end: generate dirty data, run the nightly pipeline, read its status. */
class NightlyEndToEndTest {
  @TempDir
  Path tmp;

  // Every stage runs; smaller models keep the suite fast (the models' quality is tested elsewhere).
  private static final String FAST_EFFECTS = "leeway.effects.placebo=false";
  private static final String FAST_TRAIN = "leeway.train.gbt.max_iter=5";
  private static final String ONE_LEARNER = "leeway.train.learners=[t_learner]";

  @Test
  void nightlyOnDirtyGeneratedDataQuarantinesEveryKindOfDirtAndReconciles() {
    Path in = tmp.resolve("in");
    Cli.Run gen = Cli.run("generate", "--customers", "3000", "--seed", "3", "--dirty-rate", "0.05", "--out",
        in.toString());
    assertEquals(0, gen.exitCode(), gen.context());
    Cli.Run run = Cli.run("nightly", "--run-date", "2026-11-01", "--input-root", in.toString(), "--output-root",
        tmp.resolve("out").toString(), "--set", FAST_EFFECTS, "--set", FAST_TRAIN, "--set", ONE_LEARNER);
    assertEquals(0, run.exitCode(), run.context());
    JsonNode status = new Outputs(tmp.resolve("out"), "2026-11-01").status();
    assertEquals("SUCCEEDED", status.get("outcome").asText(), status.toString());
    Map<String, List<String>> expected = Map.of(
        "customers", List.of("invalid signup_date", "missing customer_id", "duplicate customer_id",
            "signup_date after run date"),
        // The generator writes "n/a" for a bad value: a null token, so a missing (required) clv.
        "clv_snapshots", List.of("negative clv", "missing clv", "missing as_of_date", "unknown customer_id",
            "duplicate customer_id, as_of_date"),
        "exceptions", List.of("invalid requested_at", "invalid cost", "negative cost", "unknown decision",
            "missing policy", "duplicate exception_id", "unknown customer_id", "requested_at after run date"),
        "activity", List.of("invalid event_at", "invalid amount", "missing event_type", "unknown customer_id",
            "event_at after run date"),
        "referrals", List.of("invalid referred_at", "missing referrer_id", "unknown referrer_id",
            "invalid converted", "duplicate referral_id"));
    expected.forEach((table, codes) -> {
      JsonNode t = status.at("/stages/0/tables/" + table);
      assertTrue(t.get("reconciled").asBoolean(), table + " reconciles: " + t);
      assertTrue(t.get("rows_quarantined").asLong() > 0, table + " has quarantined rows: " + t);
      List<String> missing = new ArrayList<>();
      for (String code : codes) {
        if (!t.get("quarantine_reasons").has(code)) {
          missing.add(code);
        }
      }
      assertEquals(List.of(), missing, table + ": every planted kind of dirt is caught; got " + t.get("quarantine_reasons"));
    });
    assertTrue(run.out().contains("Outputs: ") && run.out().contains("runs/2026-11-01"), run.out());
  }

  @Test
  void theRequestsTableReproducesTheGeneratorsOwnOutcomes() throws Exception {
    Path in = tmp.resolve("clean");
    assertEquals(0, Cli.run("generate", "--customers", "4000", "--seed", "8", "--out", in.toString()).exitCode());
    // The two stages that build the requests table.
    for (String stage : List.of("ingest", "outcomes")) {
      Cli.Run run = Cli.run(stage, "--run-date", "2026-11-01", "--input-root", in.toString(), "--output-root",
          tmp.resolve("out").toString());
      assertEquals(0, run.exitCode(), run.context());
    }
    JsonNode status = new Outputs(tmp.resolve("out"), "2026-11-01").status();
    assertEquals("outcomes", status.at("/stages/0/stage").asText(), status.toString());
    assertEquals(Outputs.table(tmp.resolve("out"), "conformed_exceptions", "2026-11-01").count(),
        status.at("/stages/0/tables/requests/rows_out").asLong(), "one row per conformed request");

    JsonNode truth = new com.fasterxml.jackson.databind.ObjectMapper().readTree(in.resolve("ground_truth.json").toFile());
    var requests = dev.leeway.support.Outputs.table(tmp.resolve("out"), "requests", "2026-11-01");
    for (String[] o : new String[][] {{"retention_90", "retained_90d"}, {"retention_365", "retained_365d"},
        {"referrals_365", "referrals_converted_next_365d"}}) {
      var m = requests.filter(org.apache.spark.sql.functions.col(o[1]).isNotNull())
          .groupBy("treated").agg(org.apache.spark.sql.functions.avg(o[1]).as("m"),
              org.apache.spark.sql.functions.count("*").as("n"))
          .orderBy("treated").collectAsList();
      double naive = m.get(1).getDouble(1) - m.get(0).getDouble(1);
      JsonNode t = truth.at("/overall/" + o[0]);
      assertEquals(t.get("mature_granted").asLong(), m.get(1).getLong(2), 2, o[0] + ": mature granted rows");
      assertEquals(t.get("mature_denied").asLong(), m.get(0).getLong(2), 2, o[0] + ": mature denied rows");
      assertEquals(t.get("naive_difference").asDouble(), naive, 1e-3,
          o[0] + ": the pipeline's outcomes give the generator's naive difference");
    }
  }

  @Test
  void everyCommandHasHelpAndBadUsageExitsWithTwo() {
    for (String cmd : List.of("generate", "ingest", "outcomes", "effects", "train", "score", "report", "benchmark-uplift",
        "benchmark-effects", "nightly")) {
      Cli.Run help = Cli.run(cmd, "--help");
      assertEquals(0, help.exitCode(), cmd + " --help");
      assertTrue(help.out().contains("Usage: leeway " + cmd), help.context());
    }
    Cli.Run top = Cli.run("--help");
    assertTrue(top.out().contains("nightly") && top.out().contains("ingest") && top.out().contains("generate"),
        top.context());
    assertEquals(2, Cli.run("nightly", "--run-date", "yesterday").exitCode(), "unparseable run date");
    Cli.Run noOutcomes = Cli.run("effects", "--run-date", "2026-01-01", "--output-root", "/tmp/leeway-no-such-root");
    assertEquals(3, noOutcomes.exitCode(), noOutcomes.context());
    assertTrue(noOutcomes.err().contains("run `leeway outcomes`"), "says what to run first: " + noOutcomes.err());
    Cli.Run badConf = Cli.run("nightly", "--set", "leeway.paths.typo=1");
    assertEquals(2, badConf.exitCode(), badConf.context());
    assertTrue(badConf.err().contains("leeway.paths.typo"), badConf.context());
  }
}
