package dev.leeway.uplift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leeway.support.Outputs;
import dev.leeway.support.Cli;
import dev.leeway.support.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real command line trains, evaluates and versions the uplift model: metrics and curves for every learner and
 * baseline on both splits, the same metrics from the same data and seed, a promoted first model with its metadata,
 * and a nightly's cadence skipping a retrain of a fresh model.
 */
class TrainEndToEndTest {
  @TempDir
  Path tmp;

  private static final String[] SMALL = {"--set", "leeway.train.gbt.max_iter=8", "--set", "leeway.effects.folds=3",
      "--set", "leeway.effects.placebo=false"};

  private Cli.Run run(String... args) {
    String[] all = new String[args.length + SMALL.length];
    System.arraycopy(args, 0, all, 0, args.length);
    System.arraycopy(SMALL, 0, all, args.length, SMALL.length);
    return Cli.run(all);
  }

  private static List<Row> metrics(Path out, String date) {
    return Outputs.table(out, "train_metrics", date)
        .orderBy("split", "outcome", "policy", "ranking").collectAsList();
  }

  @Test
  void trainsEvaluatesVersionsAndRetrainsOnlyOnItsCadence() throws Exception {
    Path in = tmp.resolve("in");
    Path out = tmp.resolve("out");
    assertEquals(0, Cli.run("generate", "--customers", "8000", "--seed", "8", "--out", in.toString()).exitCode());
    // A learner defined only in the tests, registered by one line of configuration.
    String[] common = {"--input-root", in.toString(), "--output-root", out.toString(), "--set",
        "leeway.train.truth_path=" + in, "--set", "leeway.train.learner_classes.granted_response="
        + "dev.leeway.uplift.learners.GrantedResponseLearner", "--set",
        "leeway.train.learners=[t_learner, s_learner, x_learner, dr_learner, granted_response]"};
    // The stages train needs (score and report run at the end, from a nightly started at train).
    for (String stage : List.of("ingest", "outcomes", "effects", "train")) {
      Cli.Run first = run(concat(new String[] {stage, "--run-date", "2026-11-01"}, common));
      assertEquals(0, first.exitCode(), first.context());
    }

    List<Row> first = metrics(out, "2026-11-01");
    for (String split : List.of("validation", "test")) {
      for (String outcome : List.of("retention_365d", "referrals_365d")) {
        for (String ranking : List.of("t_learner", "s_learner", "x_learner", "dr_learner", "granted_response",
            "response", "random", "oracle")) {
          assertTrue(first.stream().anyMatch(r -> r.getAs("split").equals(split) && r.getAs("outcome").equals(outcome)
              && r.getAs("policy").equals("ALL") && r.getAs("ranking").equals(ranking)
              && r.getAs("qini") != null && r.getAs("uplift_at_30") != null
              && r.getAs("qini_low") != null && (double) r.getAs("qini_low") <= (double) r.getAs("qini")
              && (double) r.getAs("qini_high") >= (double) r.getAs("qini")),
              "metrics with intervals for " + split + "/" + outcome + "/" + ranking);
        }
      }
    }
    assertTrue(first.stream().anyMatch(r -> r.getAs("policy").equals("CHECK_HOLD_RELEASE")), "per-policy rows");
    long curvePoints = Outputs.table(out, "train_curves", "2026-11-01")
        .filter("split = 'test' and outcome = 'retention_365d' and policy = 'ALL' and ranking = 't_learner'").count();
    assertTrue(curvePoints > 50 && curvePoints <= 101, "about 100 curve points: " + curvePoints);

    Path models = out.resolve("models");
    // Versions are named by run date and attempt: each stage command above was an attempt, train the fourth.
    assertEquals("2026-11-01-a4", Files.readString(models.resolve("CURRENT")).trim(), "the first model is promoted");
    JsonNode meta = new ObjectMapper().readTree(models.resolve("2026-11-01-a4/metadata.json").toFile());
    for (String field : List.of("version", "learner", "seed", "features", "outcomes", "data", "metrics",
        "code_version", "promotion")) {
      assertTrue(meta.has(field), "metadata has " + field + ": " + meta);
    }
    assertTrue(meta.at("/features/numeric").size() > 5, meta.toString());
    assertTrue(meta.at("/support").size() > 5, "the support of the training requests: " + meta.at("/support"));
    assertTrue(meta.at("/calibration").size() > 0, "calibration per policy: " + meta.at("/calibration"));
    JsonNode summary = new ObjectMapper().readTree(out.resolve("runs/2026-11-01/train/summary.json").toFile());
    assertTrue(summary.at("/comparisons").size() >= 6, "the champion against every other ranking: " + summary);
    assertTrue(summary.at("/policy_value/rules").size() >= 5, "the value of targeting rules: " + summary);
    // Each rule is valued against flexing nobody with an interval (PolicyValueTest checks the values themselves).
    JsonNode truthVsNobody = summary.at("/policy_value/differences_from_flex_nobody/truth_optimal/per_request");
    assertTrue(truthVsNobody.get("low").asDouble() <= truthVsNobody.get("high").asDouble(), truthVsNobody.toString());
    // The test learner is saved and reloaded like any other when it wins; either way it was compared.
    assertTrue(summary.at("/metrics/test/retention_365d/ALL/granted_response").has("qini"), summary.toString());

    // Same data and seed: the same metrics.
    Cli.Run again = run(concat(new String[] {"train", "--run-date", "2026-11-01"}, common));
    assertEquals(0, again.exitCode(), again.context());
    assertSameMetrics(first, metrics(out, "2026-11-01"));
    // A re-run trains a new version beside the first, which stays as it was.
    assertEquals("2026-11-01-a5", Files.readString(models.resolve("CURRENT")).trim(), again.context());
    assertEquals(meta, new ObjectMapper().readTree(models.resolve("2026-11-01-a4/metadata.json").toFile()));

    // The model is fresh (0 days old): a nightly started at train does not retrain, and goes on to score and report.
    Cli.Run later = run(concat(new String[] {"nightly", "--run-date", "2026-11-01", "--from-stage", "train"}, common));
    assertEquals(0, later.exitCode(), later.context());
    JsonNode status = new ObjectMapper().readTree(out.resolve("runs/2026-11-01/status.json").toFile());
    for (int i = 0; i < 3; i++) {
      assertEquals("SKIPPED", status.at("/stages/" + i + "/outcome").asText(), status.toString());
      assertEquals("before --from-stage train", status.at("/stages/" + i + "/skipped").asText(), status.toString());
    }
    JsonNode train = status.at("/stages/3");
    assertEquals("train", train.get("stage").asText(), status.toString());
    assertTrue(train.at("/metrics/skipped").asText().contains("day(s) old"), train.toString());
    assertEquals("SUCCEEDED", status.at("/stages/4/outcome").asText(), "score ran: " + status);
    try (var versions = Files.list(models)) {
      assertEquals(2, versions.filter(p -> p.getFileName().toString().startsWith("2026-11-01-a")).count(),
          "no new version");
    }
  }

  /**
   * Training twice on the same data and seed gives the same rows, counts and customer split, and Qini and AUUC over
   * all policies within 0.01. Not bit for bit: bootstrap sums are added in task order, and the S-learner's Qini has been seen to move
   * by up to 0.007 between two trainings on this data set (cause not found; the other learners repeat to 1e-15).
   */
  private static void assertSameMetrics(List<Row> a, List<Row> b) {
    assertEquals(a.size(), b.size(), "the same metric rows");
    for (int i = 0; i < a.size(); i++) {
      Row x = a.get(i);
      Row y = b.get(i);
      for (String key : List.of("split", "outcome", "policy", "ranking", "n", "treated")) {
        assertEquals((Object) x.getAs(key), y.getAs(key), key + " of " + x);
      }
      for (String f : List.of("qini", "auuc")) {
        if (x.getAs(f) != null && "ALL".equals(x.getAs("policy"))) {
          assertEquals((double) x.getAs(f), (double) y.getAs(f), 0.01, f + " of " + x);
        }
      }
    }
  }

  private static String[] concat(String[] a, String[] b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
