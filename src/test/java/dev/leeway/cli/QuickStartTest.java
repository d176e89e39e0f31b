package dev.leeway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.causal.EffectsSummary;
import dev.leeway.support.Cli;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The committed sample shows the methods at work: on data-samples, every policy gets a doubly robust estimate with
 * its interval, and the report shows it.
 */
class QuickStartTest {
  @TempDir
  Path tmp;

  @Test
  void everyPolicyOfTheSampleHasADoublyRobustEstimateAndTheReportShowsIt() throws Exception {
    for (String stage : List.of("ingest", "outcomes", "effects", "report")) {
      Cli.Run run = Cli.run(stage, "--run-date", "2026-11-01", "--input-root", "data-samples", "--output-root",
          tmp.toString());
      assertEquals(0, run.exitCode(), run.context());
    }
    EffectsSummary s;
    try (InputStream in = Files.newInputStream(tmp.resolve("runs/2026-11-01/effects/summary.json"))) {
      s = EffectsSummary.read(in);
    }
    String html = Files.readString(tmp.resolve("runs/2026-11-01/report/report.html"));
    String primary = s.method().primaryOutcome();
    assertEquals(6, s.policies().size(), "the sample's six policies");
    for (EffectsSummary.PolicyEffects p : s.policies()) {
      EffectsSummary.EffectFigures f = p.primary(primary);
      assertFalse(f.tooSmall(), p.policy() + " has an estimate of " + primary);
      EffectsSummary.Figure dr = f.doublyRobust();
      assertTrue(dr.low() <= dr.estimate() && dr.estimate() <= dr.high(), p.policy() + ": an interval " + dr);
      String shown = String.format(Locale.ROOT, "%+.1f", dr.estimate() * 100);
      assertTrue(html.contains("<td>" + p.policy() + "</td>") && html.contains(shown),
          "the report shows " + p.policy() + "'s estimate (" + shown + " pts)");
    }
  }
}
