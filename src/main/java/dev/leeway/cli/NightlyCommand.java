package dev.leeway.cli;

import dev.leeway.causal.EffectsJob;
import dev.leeway.ingest.IngestJob;
import dev.leeway.outcomes.OutcomesJob;
import dev.leeway.uplift.TrainJob;
import dev.leeway.report.ReportJob;
import dev.leeway.run.Stage;
import dev.leeway.score.ScoreJob;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code leeway nightly}: every implemented stage, in order, for one run date. */
@Command(name = "nightly", mixinStandardHelpOptions = true,
    description = "Runs every stage in order for one run date (ingest, outcomes, effects, train, score, report) and writes "
        + "<output_root>/runs/<run-date>/status.json. Re-running a date replaces that date's outputs only.")
final class NightlyCommand extends StageCommand {
  /** The stages of a nightly run, in order. */
  static List<Stage> nightlyStages() {
    return List.of(new IngestJob(), new OutcomesJob(), new EffectsJob(), new TrainJob(false), new ScoreJob(), new ReportJob());
  }

  @Override
  List<Stage> stages() {
    return nightlyStages();
  }
}
