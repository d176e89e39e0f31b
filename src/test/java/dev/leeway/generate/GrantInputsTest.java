package dev.leeway.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.Outputs;
import dev.leeway.support.Cli;
import dev.leeway.support.TestSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Staff decide on observables only: what the generator showed them at each request equals the features the
 * pipeline computes for it (ingest, then outcomes), and the grant probability is the stated rule of those alone
 * (plus strength x U when the hidden confounder is on). Together: without the hidden confounder, every confounder
 * of a grant is in the pipeline's features.
 */
class GrantInputsTest {
  private static final String RUN_DATE = "2026-11-01";

  @TempDir
  static Path tmp;

  private static Dataset<Row> joined;

  @BeforeAll
  static void generateIngestAndBuildOutcomes() {
    Path in = tmp.resolve("in");
    Path out = tmp.resolve("out");
    Cli.Run gen = Cli.run("generate", "--customers", "3000", "--seed", "11", "--world", "hard", "--dirty-rate", "0",
        "--out", in.toString());
    assertEquals(0, gen.exitCode(), gen.context());
    for (String stage : List.of("ingest", "outcomes")) {
      Cli.Run run = Cli.run(stage, "--run-date", RUN_DATE, "--input-root", in.toString(), "--output-root",
          out.toString());
      assertEquals(0, run.exitCode(), run.context());
    }
    var spark = TestSpark.session();
    Dataset<Row> truth = spark.read().parquet(in.resolve("truth/requests").toString());
    Dataset<Row> features = Outputs.table(out, "requests", RUN_DATE);
    joined = truth.join(features.withColumnRenamed("policy", "f_policy").withColumnRenamed("segment", "f_segment")
        .withColumnRenamed("team", "f_team").withColumnRenamed("request_channel", "f_channel")
        .withColumnRenamed("customer_id", "f_customer_id"), "exception_id").cache();
    assertEquals(truth.count(), joined.count(), "every generated request reaches the outcomes table");
    assertTrue(joined.count() > 500, "enough requests to mean something: " + joined.count());
  }

  @Test
  void whatStaffSawEqualsThePipelinesFeaturesForEveryRequest() {
    String[][] pairs = {
        {"seen_clv", "clv"}, {"seen_has_clv", "has_clv"}, {"seen_historical_value", "historical_value"},
        {"seen_risk_flag", "risk_flag"}, {"seen_tenure_days", "tenure_days"},
        {"seen_prior_grants_365d", "prior_grants_365d"}, {"seen_prior_requests_365d", "prior_requests_365d"},
        {"seen_events_90d", "events_90d"}, {"policy", "f_policy"}, {"segment", "f_segment"}, {"team", "f_team"},
        {"request_channel", "f_channel"}};
    for (String[] p : pairs) {
      // Compare as doubles or strings: the truth stores counts as int, the pipeline as long.
      String cond = p[0].startsWith("seen_")
          ? "cast(" + p[0] + " as double) <> cast(" + p[1] + " as double)"
          : p[0] + " <> " + p[1];
      List<Row> bad = joined.filter(cond).select("exception_id", p[0], p[1]).limit(5).collectAsList();
      assertEquals(List.of(), bad, p[0] + " equals the pipeline's " + p[1] + " on every request");
    }
    assertTrue(joined.filter("seen_events_90d > 0").count() > joined.count() / 2, "activity counts are not all 0");
    assertTrue(joined.filter("seen_prior_requests_365d > 0").count() > 0, "some requests have prior requests");
  }

  @Test
  void theGrantProbabilityIsTheStatedRuleOfWhatStaffSawAlone() {
    List<String> bad = new ArrayList<>();
    for (Row r : joined.collectAsList()) {
      Seen seen = new Seen(r.<Integer>getAs("seen_has_clv") == 1, r.getAs("seen_clv"), r.getAs("seen_historical_value"),
          r.<Integer>getAs("seen_risk_flag") == 1, r.getAs("seen_tenure_days"), r.getAs("seen_prior_grants_365d"),
          r.getAs("seen_prior_requests_365d"), r.getAs("seen_events_90d"),
          World.SEGMENTS.indexOf(r.<String>getAs("segment")),
          Integer.parseInt(r.<String>getAs("team").substring(1)) - 1, r.getAs("request_channel"));
      double expected = 1 / (1 + Math.exp(-GrantRules.logit(WorldKind.HARD,
          World.POLICIES.indexOf(r.<String>getAs("policy")), seen)));
      double actual = r.getAs("true_propensity");
      if (expected != actual && bad.size() < 5) {
        bad.add(r.getAs("exception_id") + ": rule " + expected + ", generated " + actual);
      }
    }
    assertEquals(List.of(), bad, "true_propensity is the HARD rule of the seen features (hidden confounding 0)");
  }
}
