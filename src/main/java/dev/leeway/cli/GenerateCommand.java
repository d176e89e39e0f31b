package dev.leeway.cli;

import dev.leeway.config.ConfigError;
import dev.leeway.config.LeewayConfig;
import dev.leeway.generate.GeneratorJob;
import dev.leeway.generate.GeneratorSpec;
import dev.leeway.generate.WorldKind;
import java.io.File;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code leeway generate}: realistic raw inputs with planted causal truth, for tests, demos and benchmarks. */
@Command(name = "generate", mixinStandardHelpOptions = true,
    description = "Writes the five raw input tables (CSV) for N customers, with grants confounded by what the data "
        + "shows (and optionally by a hidden confounder) and planted, heterogeneous effects, plus truth/requests "
        + "(Parquet) and ground_truth.json. Same seed and options, same data.")
final class GenerateCommand implements Callable<Integer> {
  @ParentCommand
  LeewayCommand parent;

  @Spec
  CommandSpec spec;

  @Option(names = "--customers", required = true, paramLabel = "N", description = "Base customers to generate.")
  long customers;

  @Option(names = "--seed", defaultValue = "42", paramLabel = "S", description = "Random seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write (replaced).")
  String out;

  @Option(names = "--dirty-rate", defaultValue = "0", paramLabel = "R",
      description = "Share of extra dirty rows per clean row, 0 to <1 (default: ${DEFAULT-VALUE}).")
  double dirtyRate;

  @Option(names = "--end-date", paramLabel = "YYYY-MM-DD",
      description = "Last day of generated history (default: 2026-11-01, fixed so a seed always gives the same data).")
  LocalDate endDate;

  @Option(names = "--inactivity-days", defaultValue = "90", paramLabel = "D",
      description = "Inactivity window the planted retention truth assumes (default: ${DEFAULT-VALUE}).")
  int inactivityDays;

  @Option(names = "--world", defaultValue = "hard", paramLabel = "easy|hard",
      description = "How staff decide: easy (one main-effects logistic rule for every policy) or hard (a non-linear "
          + "rule per policy, more frequent requesters) (default: ${DEFAULT-VALUE}).")
  String world;

  @Option(names = "--hidden-confounding", defaultValue = "0", paramLabel = "S",
      description = "Strength of a hidden confounder that raises grant odds and churn and lowers activity; 0 "
          + "leaves every confounder observable (default: ${DEFAULT-VALUE}).")
  double hiddenConfounding;

  @Option(names = "--conf", paramLabel = "FILE", description = "Configuration file for the Spark settings.")
  File conf;

  @Override
  public Integer call() throws Exception {
    PrintWriter stdout = spec.commandLine().getOut();
    GeneratorSpec g;
    try {
      g = new GeneratorSpec(customers, seed, endDate != null ? endDate : GeneratorSpec.DEFAULT_END_DATE, dirtyRate,
          inactivityDays, WorldKind.parse(world), hiddenConfounding);
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("leeway: " + e.getMessage());
      return ExitCodes.USAGE;
    }
    LeewayConfig config;
    try {
      config = LeewayConfig.load(conf != null ? conf : new File(parent.sessions.defaultConf()), Map.of());
    } catch (ConfigError e) {
      spec.commandLine().getErr().println("leeway: " + e.getMessage());
      return ExitCodes.USAGE;
    }
    SparkSession spark = parent.sessions.open(config);
    try {
      long started = System.nanoTime();
      GeneratorJob.Result r = new GeneratorJob().run(spark, g, out);
      r.rows().forEach((table, n) -> stdout.printf("  %-14s %,12d rows%n", table, n));
      stdout.printf("Generated in %.1f s: %s%nGround truth: %s%n", (System.nanoTime() - started) / 1e9, r.outDir(),
          r.groundTruth());
      return ExitCodes.OK;
    } finally {
      parent.sessions.close(spark);
    }
  }
}
