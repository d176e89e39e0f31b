package dev.leeway.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.Outputs;
import dev.leeway.support.Cli;
import dev.leeway.support.TestSpark;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On generated data with planted truth (the hard world: grant rules that differ by policy and bend, repeat
 * customers), running the real command line: the doubly robust ATT recovers the truth where the naive comparison
 * does not and finds no effect where none was planted; the negative control and the sensitivity analysis stay
 * quiet. With the generator's hidden confounder switched on, both raise their flags.
 */
class EffectsRecoveryTest {
  private static final String OUTCOME = "retention_365d";
  private static final String TRUTH = "tau_retention_365";
  private static final int CUSTOMERS = 100_000;
  private static final double HIDDEN = 1.5;

  @TempDir
  static Path tmp;

  private static World clean;
  private static World confounded;

  /** One generated data set and what the effects stage made of it. */
  private record World(Path in, EffectsSummary summary, Map<String, Double> truth) {}

  @BeforeAll
  static void run() throws IOException {
    clean = world("clean", 0.0);
    confounded = world("confounded", HIDDEN);
  }

  private static World world(String name, double hidden) throws IOException {
    Path in = tmp.resolve(name + "-in");
    Path out = tmp.resolve(name + "-out");
    Cli.Run g = Cli.run("generate", "--customers", String.valueOf(CUSTOMERS), "--seed", "31", "--world", "hard",
        "--hidden-confounding", String.valueOf(hidden), "--out", in.toString());
    assertEquals(0, g.exitCode(), g.context());
    for (String stage : List.of("ingest", "outcomes", "effects")) {
      Cli.Run run = Cli.run(stage, "--run-date", "2026-11-01", "--input-root", in.toString(), "--output-root",
          out.toString(), "--set", "leeway.outcomes.horizons_days=[90,365]",
          "--set", "leeway.outcomes.referral_windows_days=[365]", "--set", "leeway.outcomes.revenue_windows_days=[365]",
          "--set", "leeway.effects.placebo=" + (hidden == 0));
      assertEquals(0, run.exitCode(), run.context());
    }
    Path effects = out.resolve("runs/2026-11-01/effects");
    EffectsSummary summary;
    try (InputStream s = Files.newInputStream(effects.resolve("summary.json"))) {
      summary = EffectsSummary.read(s);
    }
    // The estimand: the mean true effect over the grants the estimate used (matured, in the overlap, not excluded).
    var spark = TestSpark.session();
    var used = Outputs.table(out, "effects_rows", "2026-11-01").filter("in_overlap and treated = 1")
        .select("exception_id");
    var mature = Outputs.table(out, "requests", "2026-11-01")
        .filter("retained_365d is not null").select("exception_id");
    Map<String, Double> truth = new HashMap<>();
    for (Row r : spark.read().parquet(in.resolve("truth/requests").toString()).join(used, "exception_id")
        .join(mature, "exception_id").groupBy("policy").avg(TRUTH).collectAsList()) {
      truth.put(r.getString(0), r.getDouble(1));
    }
    return new World(in, summary, truth);
  }

  private static String line(World w, EffectsSummary.PolicyEffects p) {
    EffectsSummary.EffectFigures f = p.effects().get(OUTCOME);
    EffectsSummary.Figure dr = f.doublyRobust();
    EffectsSummary.Figure nc = p.negativeControl().figures().doublyRobust();
    return String.format(Locale.ROOT, "%s: truth %.4f, DR %.4f [%.4f, %.4f], naive %.4f, %s, sensitivity %s "
            + "(robustness value at interval %.3f), negative control %.3f [%.3f, %.3f] q %.3f", p.policy(),
        w.truth().get(p.policy()), dr.estimate(), dr.low(), dr.high(), f.naive().estimate(), p.population(),
        f.sensitivity().verdict(), f.sensitivity().robustnessValueAtInterval(), nc.estimate(), nc.low(), nc.high(),
        p.negativeControl().figures().qValue());
  }

  @Test
  void theDoublyRobustAttRecoversTheTruthWhereTheNaiveDifferenceDoesNot() {
    List<String> missed = new ArrayList<>();
    for (EffectsSummary.PolicyEffects p : clean.summary().policies()) {
      EffectsSummary.EffectFigures f = p.effects().get(OUTCOME);
      assertFalse(f.tooSmall(), "every policy has an estimate at this size: " + p.policy());
      String ctx = line(clean, p);
      System.out.println("effects recovery (no hidden confounding): " + ctx);
      double truth = clean.truth().get(p.policy());
      EffectsSummary.Figure dr = f.doublyRobust();
      if (truth < dr.low() || truth > dr.high()) {
        missed.add(ctx);
      }
      // A miss at 95% happens one time in twenty; beyond 3 standard errors it is a fault.
      assertTrue(Math.abs(dr.estimate() - truth) < 3 * dr.se(), "within 3 standard errors of the truth: " + ctx);
      if (truth == 0.0) {
        assertFalse(f.significant(), "no effect is found where none was planted: " + ctx);
      }
    }
    assertTrue(missed.size() <= 1, "the 95% intervals cover the truth (one miss in six allowed): " + missed);
    long naiveMisses = clean.summary().policies().stream().filter(p -> {
      EffectsSummary.EffectFigures f = p.effects().get(OUTCOME);
      double truth = clean.truth().get(p.policy());
      return Math.abs(f.naive().estimate() - truth) > 3 * f.doublyRobust().se();
    }).count();
    assertTrue(naiveMisses >= 4, "the naive difference is far from the truth for most policies: " + naiveMisses);
  }

  @Test
  void withoutHiddenConfoundingTheChecksStayQuiet() {
    assertEquals(List.of(), clean.summary().policiesFlaggedByNegativeControl(), "no negative control is flagged");
    List<String> robust = new ArrayList<>();
    for (EffectsSummary.PolicyEffects p : clean.summary().policies()) {
      if (p.effects().get(OUTCOME).sensitivity().verdict() == Sensitivity.Verdict.ROBUST) {
        robust.add(p.policy());
      }
    }
    // Five policies have a planted effect; with 100,000 customers a 3% confounder explains away at most one.
    assertTrue(robust.size() >= 4, "the planted effects are robust to a confounder of the configured strength: "
        + robust);
  }

  /**
   * The hidden confounder (staff flex customers who are about to leave, which the CRM does not record) pulls every
   * estimate down: real effects shrink until a weak confounder could explain them, and the zero-effect policy gets
   * a spurious negative "effect", which only the negative control can see.
   */
  @Test
  void hiddenConfoundingIsFlaggedByTheNegativeControlAndTheSensitivityAnalysis() {
    List<String> robustAndUnflagged = new ArrayList<>();
    double bias = 0;
    for (EffectsSummary.PolicyEffects p : confounded.summary().policies()) {
      String ctx = line(confounded, p);
      System.out.println("effects recovery (hidden confounding " + HIDDEN + "): " + ctx);
      EffectsSummary.EffectFigures f = p.effects().get(OUTCOME);
      bias += (f.doublyRobust().estimate() - confounded.truth().get(p.policy())) / confounded.summary().policies()
          .size();
      if (f.sensitivity().verdict() == Sensitivity.Verdict.ROBUST && !p.negativeControl().flagged()) {
        robustAndUnflagged.add(ctx);
      }
      if (confounded.truth().get(p.policy()) > 0.03) {
        assertTrue(f.sensitivity().verdict() != Sensitivity.Verdict.ROBUST,
            "a planted effect the confounder masks is not called robust: " + ctx);
      }
    }
    assertTrue(bias < -0.02, "the estimates are biased down, as ground_truth.json states: " + bias);
    assertFalse(confounded.summary().policiesFlaggedByNegativeControl().isEmpty(), "the negative control flags it");
    assertEquals(List.of(), robustAndUnflagged, "no estimate passes both checks");
  }
}
