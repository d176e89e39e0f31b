package dev.leeway.cli;

import dev.leeway.run.Stage;
import dev.leeway.score.ScoreJob;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code leeway score}: scores every active customer for every policy and publishes the recommendations. */
@Command(name = "score", mixinStandardHelpOptions = true,
    description = "Scores every active customer for every policy with the current model: predicted uplift in "
        + "retention and referrals, expected net value, a recommendation (FLEX, CONSIDER, HOLD_LINE) after the "
        + "guardrails (hard lines, sporadic cap, budgets), the largest concession worth making and the features "
        + "that drove the uplift. Publishes the run date's partition of the scores table, then serves it "
        + "(<output_root>/scores/LATEST, PostgreSQL) unless a later run date is served already (a backfill); writes "
        + "a summary to <output_root>/runs/<run-date>/score.")
final class ScoreCommand extends StageCommand {
  @Override
  List<Stage> stages() {
    return List.of(new ScoreJob());
  }
}
