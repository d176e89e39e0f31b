package dev.leeway.cli;

import dev.leeway.causal.EffectsJob;
import dev.leeway.ingest.IngestJob;
import dev.leeway.outcomes.OutcomesJob;
import dev.leeway.uplift.TrainJob;
import dev.leeway.report.ReportJob;
import dev.leeway.run.Resume;
import dev.leeway.run.Stage;
import dev.leeway.score.ScoreJob;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

/** {@code leeway nightly}: every implemented stage, in order, for one run date. */
@Command(name = "nightly", mixinStandardHelpOptions = true,
    description = "Runs every stage in order for one run date (ingest, outcomes, effects, train, score, report) and writes "
        + "<output_root>/runs/<run-date>/status.json. A rerun of a date resumes: it skips the stages an earlier "
        + "attempt completed on the same inputs and configuration, and redoes the rest; a redone stage replaces that "
        + "date's outputs only.")
final class NightlyCommand extends StageCommand {
  @Option(names = "--force", description = "Redo every stage, even those an earlier attempt completed.")
  boolean force;

  @Option(names = "--from-stage", paramLabel = "STAGE", description = "Start at STAGE (ingest, outcomes, effects, "
      + "train, score or report): earlier stages are not run, later ones read what earlier attempts of the date "
      + "published.")
  String fromStage;

  @Override
  Resume resume() {
    if (fromStage != null) {
      List<String> names = nightlyStages().stream().map(Stage::name).toList();
      if (!names.contains(fromStage)) {
        throw new ParameterException(spec.commandLine(), "Unknown stage for --from-stage: '" + fromStage
            + "' (expected one of " + names + ")");
      }
      if (force) {
        throw new ParameterException(spec.commandLine(), "--from-stage and --force cannot be combined");
      }
      return Resume.from(fromStage);
    }
    return force ? Resume.always() : Resume.skipCompleted();
  }

  /** The stages of a nightly run, in order. */
  static List<Stage> nightlyStages() {
    return List.of(new IngestJob(), new OutcomesJob(), new EffectsJob(), new TrainJob(false), new ScoreJob(), new ReportJob());
  }

  @Override
  List<Stage> stages() {
    return nightlyStages();
  }
}
