package dev.leeway.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leeway.support.Cli;
import dev.leeway.support.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The generator: deterministic per seed, confounded on purpose, with the truth written down. */
class GeneratorTest {
  private static final List<String> TABLES = List.of("customers", "clv_snapshots", "exceptions", "activity", "referrals");

  @TempDir
  static Path tmp;

  private static Path first;

  @BeforeAll
  static void generateOnce() {
    first = tmp.resolve("a");
    Cli.Run run = Cli.run("generate", "--customers", "6000", "--seed", "5", "--out", first.toString());
    assertEquals(0, run.exitCode(), run.context());
  }

  private static JsonNode truth(Path dir) throws Exception {
    return new ObjectMapper().readTree(dir.resolve("ground_truth.json").toFile());
  }

  @Test
  void theSameSeedGivesTheSameFilesAndAnotherSeedDoesNot() throws Exception {
    Path again = tmp.resolve("b");
    Path other = tmp.resolve("c");
    assertEquals(0, Cli.run("generate", "--customers", "6000", "--seed", "5", "--out", again.toString()).exitCode());
    assertEquals(0, Cli.run("generate", "--customers", "6000", "--seed", "6", "--out", other.toString()).exitCode());
    for (String t : TABLES) {
      Path f = Path.of(t, "part-00000.csv");
      assertEquals(-1L, Files.mismatch(first.resolve(f), again.resolve(f)), t + " is byte-identical for seed 5");
      assertNotEquals(-1L, Files.mismatch(first.resolve(f), other.resolve(f)), t + " differs for seed 6");
    }
    assertEquals(truth(first).get("policies"), truth(again).get("policies"), "ground truth identical");
  }

  @Test
  void grantsAreConfoundedSoTheNaiveDifferenceOverstatesTheTrueEffect() throws Exception {
    JsonNode overall = truth(first).at("/overall/retention_90");
    double att = overall.get("true_att").asDouble();
    double naive = overall.get("naive_difference").asDouble();
    assertTrue(att > 0, "grants help on average: " + overall);
    assertTrue(naive > 2 * att, "the naive difference overstates the true ATT: " + overall);
  }

  @Test
  void onePolicyHasZeroEffectAndEntitlementIsPlanted() throws Exception {
    JsonNode t = truth(first);
    String zero = t.get("zero_effect_policy").asText();
    assertEquals(0.0, t.at("/policies/" + zero + "/retention_90/true_att").asDouble(), 1e-12, zero + " retention");
    assertEquals(0.0, t.at("/policies/" + zero + "/referrals_90/true_att").asDouble(), 1e-12, zero + " referrals");
    assertTrue(t.at("/planted/entitlement_multiplier_by_grants_in_prior_365_days/2+").asDouble() < 0,
        "two or more recent grants make another one counter-productive");
    // The ATT of a policy depends on whom staff grant it to (HARD grants hold releases to high-value customers,
    // who churn little anyway), so compare the effect over all requests: policies fall on requests at random.
    Map<String, Double> meanTau = new java.util.HashMap<>();
    for (Row r : TestSpark.session().read().parquet(first.resolve("truth/requests").toString())
        .groupBy("policy").avg("tau_retention_90").collectAsList()) {
      meanTau.put(r.getString(0), r.getDouble(1));
    }
    assertTrue(meanTau.get("CHECK_HOLD_RELEASE") > 1.3 * meanTau.get("LATE_RETURN"),
        "effects differ by policy on the same kind of requests: " + meanTau);
  }

  @Test
  void itWritesTheTablesOfTheContractWithPiiAndNotes() throws Exception {
    String header = Files.readAllLines(first.resolve("customers/part-00000.csv")).get(0);
    assertTrue(header.contains("full_name") && header.contains("email"), "customers carry PII to drop: " + header);
    String exceptions = Files.readString(first.resolve("exceptions/part-00000.csv"));
    assertTrue(exceptions.contains("\"Called twice, upset about the fee.\nAgreed"),
        "notes hold quoted commas and newlines");
    for (String t : TABLES) {
      try (var files = Files.list(first.resolve(t))) {
        assertTrue(files.noneMatch(p -> p.getFileName().toString().startsWith(".")), t + " has no .crc clutter");
      }
    }
  }
}
