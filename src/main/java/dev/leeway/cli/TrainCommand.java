package dev.leeway.cli;

import dev.leeway.run.Stage;
import dev.leeway.uplift.TrainJob;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code leeway train}: trains, evaluates and versions the uplift model. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = "Trains the uplift learners that leeway.train.learners lists (T-, S-, X- and DR-learner on "
        + "gradient-boosted trees) on matured requests, "
        + "evaluates them and two baselines on held-out data (time split and random split: Qini, AUUC, "
        + "uplift@10/20/30%%, per policy), publishes them (tables train_*) and saves the champion as the new, "
        + "immutable model version <run-date>-a<attempt> under <output_root>/models, promoting it unless it is worse "
        + "than the current model or the current model was trained on a later run date. Always trains; `nightly` "
        + "trains only every leeway.train.cadence_days days.")
final class TrainCommand extends StageCommand {
  @Override
  List<Stage> stages() {
    return List.of(new TrainJob(true));
  }
}
