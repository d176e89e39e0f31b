package dev.leeway.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leeway.support.Cli;
import dev.leeway.support.TestSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * On generated data with planted truth, for several seeds, the effects stage recovers the true ATT on 90-day
 * retention where the naive comparison does not, finds no effect where none was planted, and its placebo finds
 * nothing. Runs the real command line with fewer folds and outcomes to keep the suite fast.
 */
class EffectsRecoveryTest {
  private static final int MIN_REQUESTS = 2000;

  @TempDir
  Path tmp;

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(ints = {21, 22})
  void aipwRecoversTheTrueEffectWhereTheNaiveDifferenceDoesNot(int seed) throws Exception {
    Path in = tmp.resolve("in");
    Path out = tmp.resolve("out");
    assertEquals(0, Cli.run("generate", "--customers", "100000", "--seed", String.valueOf(seed), "--out",
        in.toString()).exitCode(), "generate");
    // The stages effects needs, one command each (nightly would also train the uplift model, tested elsewhere).
    for (String stage : List.of("ingest", "outcomes", "effects")) {
      Cli.Run run = Cli.run(stage, "--run-date", "2026-11-01", "--input-root", in.toString(), "--output-root",
          out.toString(), "--set", "leeway.effects.folds=3", "--set", "leeway.outcomes.horizons_days=[90,365]",
          "--set", "leeway.outcomes.referral_windows_days=[365]", "--set",
          "leeway.outcomes.revenue_windows_days=[365]", "--set", "leeway.effects.bootstrap_replicates=50");
      assertEquals(0, run.exitCode(), run.context());
    }

    JsonNode truth = new ObjectMapper().readTree(in.resolve("ground_truth.json").toFile());
    // The estimand is the ATT over the granted requests the estimator used: mature at 90 days and inside the overlap.
    var spark = TestSpark.session();
    var used = spark.read().parquet(out.resolve("runs/2026-11-01/effects/rows").toString())
        .filter("in_overlap and treated = 1").select("exception_id");
    var mature = spark.read().parquet(out.resolve("runs/2026-11-01/outcomes/requests").toString())
        .filter("retained_90d is not null").select("exception_id");
    java.util.Map<String, Double> truthOnUsedRows = new java.util.HashMap<>();
    for (Row r : spark.read().parquet(in.resolve("truth/requests").toString()).join(used, "exception_id")
        .join(mature, "exception_id").groupBy("policy").avg("tau_retention_90").collectAsList()) {
      truthOnUsedRows.put(r.getString(0), r.getDouble(1));
    }
    List<Row> estimates = spark.read().parquet(out.resolve("runs/2026-11-01/effects/estimates").toString())
        .filter("level = 'policy' and outcome = 'retention_90d'").collectAsList();
    List<String> checked = new ArrayList<>();
    for (Row e : estimates) {
      String policy = e.getAs("policy");
      long requests = e.<Long>getAs("rows");
      if (requests < MIN_REQUESTS) {
        continue;
      }
      checked.add(policy);
      double trueAtt = truthOnUsedRows.get(policy);
      double low = e.getAs("aipw_low");
      double high = e.getAs("aipw_high");
      double naive = e.getAs("naive");
      String ctx = String.format("seed %d %s: true ATT %.4f, AIPW %.4f [%.4f, %.4f], naive %.4f, placebo %s",
          seed, policy, trueAtt, e.<Double>getAs("aipw_att"), low, high, naive, e.getAs("placebo_att"));
      System.out.println("effects recovery: " + ctx);
      assertTrue(low <= trueAtt && trueAtt <= high, "the AIPW interval covers the true ATT: " + ctx);
      assertFalse(low <= naive && naive <= high, "the naive difference lies outside it: " + ctx);
      if (policy.equals(truth.get("zero_effect_policy").asText())) {
        assertFalse(e.<Boolean>getAs("significant"), "the zero-effect policy is not significant: " + ctx);
      }
      // Near zero: small beside the confounding the adjustment removes, and within 3 standard errors of 0 (one
      // permutation's 95% interval misses 0 one time in twenty by construction, so that is not the bar).
      double placebo = e.getAs("placebo_att");
      double placeboSe = (e.<Double>getAs("placebo_high") - e.<Double>getAs("placebo_low")) / (2 * 1.96);
      assertTrue(Math.abs(placebo) <= 3 * placeboSe, "the placebo is within 3 standard errors of 0: " + ctx);
      assertTrue(Math.abs(placebo) < Math.abs(naive - trueAtt) / 2,
          "the placebo is small beside the naive bias: " + ctx);
    }
    assertTrue(checked.size() >= 3, "at least three policies have " + MIN_REQUESTS + "+ requests: " + checked);
    assertTrue(checked.contains(truth.get("zero_effect_policy").asText()), "the zero-effect policy is checked");
  }
}
