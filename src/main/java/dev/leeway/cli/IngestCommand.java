package dev.leeway.cli;

import dev.leeway.ingest.IngestJob;
import dev.leeway.run.Stage;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code leeway ingest}: validate raw inputs and write conformed tables and the quarantine. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = "Validates the raw inputs against the data contract; publishes conformed tables "
        + "(conformed_<table>) and a quarantine of rejected rows with reasons (quarantine_<table>), each the run "
        + "date's partition of an Iceberg table.")
final class IngestCommand extends StageCommand {
  @Override
  List<Stage> stages() {
    return List.of(new IngestJob());
  }
}
