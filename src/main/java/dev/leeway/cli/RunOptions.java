package dev.leeway.cli;

import java.time.LocalDate;
import java.time.ZoneOffset;
import picocli.CommandLine.Option;

/** Options every stage command shares: which run date, which configuration, and overrides of it. */
public final class RunOptions extends ConfigOptions {
  @Option(names = "--run-date", paramLabel = "YYYY-MM-DD",
      description = "The run date the outputs are keyed by (default: today in UTC).")
  LocalDate runDate;

  public LocalDate runDate() {
    return runDate != null ? runDate : LocalDate.now(ZoneOffset.UTC);
  }
}
