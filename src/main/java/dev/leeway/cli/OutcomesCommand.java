package dev.leeway.cli;

import dev.leeway.outcomes.OutcomesJob;
import dev.leeway.run.Stage;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code leeway outcomes}: the per-request analytic table (point-in-time features and outcomes). */
@Command(name = "outcomes", mixinStandardHelpOptions = true,
    description = "Builds one row per exception request with the customer's features at the request time and "
        + "retention, revenue and referrals after it, published as the requests table (partition run_date). "
        + "Needs that date's ingest output.")
final class OutcomesCommand extends StageCommand {
  @Override
  List<Stage> stages() {
    return List.of(new OutcomesJob());
  }
}
