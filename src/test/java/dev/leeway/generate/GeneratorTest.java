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

/**
 * The generator: deterministic per seed and world, confounded on purpose (by what the data shows, and by a hidden
 * confounder only when asked), with the truth written down.
 */
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
    assertEquals(-1L, Files.mismatch(first.resolve("ground_truth.json"), again.resolve("ground_truth.json")),
        "ground_truth.json is byte-identical for seed 5");
  }

  @Test
  void theEasyWorldIsDeterministicTooAndDiffersFromTheHardOne() throws Exception {
    Path easy = tmp.resolve("easy");
    Path easyAgain = tmp.resolve("easy-again");
    for (Path p : List.of(easy, easyAgain)) {
      Cli.Run run = Cli.run("generate", "--customers", "3000", "--seed", "5", "--world", "easy", "--out", p.toString());
      assertEquals(0, run.exitCode(), run.context());
    }
    for (String t : TABLES) {
      Path f = Path.of(t, "part-00000.csv");
      assertEquals(-1L, Files.mismatch(easy.resolve(f), easyAgain.resolve(f)), t + " is byte-identical (easy, seed 5)");
    }
    assertEquals(-1L, Files.mismatch(easy.resolve("ground_truth.json"), easyAgain.resolve("ground_truth.json")),
        "ground_truth.json is byte-identical (easy, seed 5)");
    assertEquals("easy", truth(easy).get("world").asText(), "the file names its world");
    assertNotEquals(truth(easy).at("/planted/grant_log_odds"), truth(first).at("/planted/grant_log_odds"),
        "the worlds state different grant rules");
  }

  @Test
  void aHiddenConfounderChangesGrantsButNotWhoTheCustomersAre() throws Exception {
    Path hidden = tmp.resolve("hidden");
    Cli.Run run = Cli.run("generate", "--customers", "6000", "--seed", "5", "--hidden-confounding", "1.5", "--out",
        hidden.toString());
    assertEquals(0, run.exitCode(), run.context());
    // Converted referrals add customers, and churn (which U moves) ends referrals, so compare the base customers.
    assertEquals(baseCustomers(first), baseCustomers(hidden), "the same base customers, attributes and all");
    assertEquals(6000, baseCustomers(first).size(), "one row per base customer");
    List<String> grants0 = decisions(first);
    List<String> grants1 = decisions(hidden);
    assertNotEquals(grants0, grants1, "some decisions differ once staff see the hidden confounder");
    JsonNode h = truth(hidden).get("hidden_confounding");
    assertEquals(1.5, h.get("strength").asDouble(), "strength stated: " + h);
    assertTrue(h.at("/mechanism/log_churn_hazard").asText().contains("U"), "mechanism stated: " + h);
    assertTrue(h.get("direction").asText().contains("understate"), "direction stated: " + h);
    assertEquals(0.0, truth(first).at("/hidden_confounding/strength").asDouble(), "off by default");
  }

  @Test
  void theCommandLineRejectsAnUnknownWorldAndANegativeStrength() {
    Cli.Run world = Cli.run("generate", "--customers", "10", "--world", "medium", "--out", tmp.resolve("x").toString());
    assertEquals(2, world.exitCode(), world.context());
    assertTrue(world.err().contains("--world"), "the message names the option: " + world.err());
    Cli.Run strength = Cli.run("generate", "--customers", "10", "--hidden-confounding", "-0.5", "--out",
        tmp.resolve("y").toString());
    assertEquals(2, strength.exitCode(), strength.context());
    assertTrue(strength.err().contains("--hidden-confounding"), "the message names the option: " + strength.err());
  }

  @Test
  void theGroundTruthStatesTheWorldTheRulesAndTheHiddenConfounding() throws Exception {
    JsonNode t = truth(first);
    assertEquals("hard", t.get("world").asText(), "hard is the default world");
    for (String policy : List.of("CHECK_HOLD_RELEASE", "TRIAL_EXTENSION", "WARRANTY_OVERRIDE", "LATE_RETURN",
        "FEE_WAIVER", "FREE_REBOOKING")) {
      assertTrue(t.at("/planted/grant_log_odds/" + policy).asText().contains("team_leniency"),
          policy + " has its rule stated: " + t.at("/planted/grant_log_odds"));
    }
    for (String key : List.of("strength", "mechanism", "direction")) {
      assertTrue(t.at("/hidden_confounding").has(key), "hidden_confounding." + key + ": " + t.get("hidden_confounding"));
    }
    for (String key : List.of("seed", "base_customers", "end_date", "dirty_rate", "rows_written", "definitions",
        "planted", "zero_effect_policy", "overall", "policies", "policy_segments")) {
      assertTrue(t.has(key), "the existing key " + key + " is kept");
    }
  }

  private static List<String> baseCustomers(Path dir) throws Exception {
    return Files.readAllLines(dir.resolve("customers/part-00000.csv")).stream()
        .filter(l -> l.matches("C\\d{8},.*")).toList();
  }

  private static List<String> decisions(Path dir) throws Exception {
    return Files.readAllLines(dir.resolve("exceptions/part-00000.csv")).stream()
        .filter(l -> l.startsWith("X")).map(l -> l.split(",")[0] + "," + l.split(",")[4]).toList();
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
    // Its grants do nothing themselves; the total effect only carries what they do to the customer's later decisions
    // (a later grant counts one more prior grant: entitlement), which is small and never helps.
    for (String o : List.of("retention_90", "referrals_90")) {
      double att = t.at("/policies/" + zero + "/" + o + "/true_att").asDouble();
      assertTrue(att <= 1e-12 && att > -0.003, zero + " " + o + ": " + att);
    }
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
