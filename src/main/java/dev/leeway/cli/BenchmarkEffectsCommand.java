package dev.leeway.cli;

import dev.leeway.causal.EffectsBenchmark;
import dev.leeway.causal.EffectsSummary;
import dev.leeway.config.ConfigError;
import dev.leeway.config.LeewayConfig;
import dev.leeway.generate.WorldKind;
import java.io.File;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.LongStream;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code leeway benchmark-effects}: bias, RMSE and coverage of the effect estimators over generated data sets. */
@Command(name = "benchmark-effects", mixinStandardHelpOptions = true,
    description = "Generates data sets with planted truth (one per seed and world), runs ingest, outcomes and effects "
        + "on each, and prints per policy the bias, RMSE and 95%%-interval coverage of the naive difference, IPW and "
        + "the doubly robust ATT, plus the sensitivity verdicts and negative-control flags.")
final class BenchmarkEffectsCommand implements Callable<Integer> {
  @ParentCommand
  LeewayCommand parent;

  @Spec
  CommandSpec spec;

  @Option(names = "--seeds", defaultValue = "20", paramLabel = "N", description = "Data sets per world (default: "
      + "${DEFAULT-VALUE}); seeds first-seed .. first-seed + N - 1.")
  int seeds;

  @Option(names = "--first-seed", defaultValue = "1", paramLabel = "S", description = "First seed (default: "
      + "${DEFAULT-VALUE}).")
  long firstSeed;

  @Option(names = "--customers", defaultValue = "20000", paramLabel = "N", description = "Base customers per data "
      + "set (default: ${DEFAULT-VALUE}).")
  int customers;

  @Option(names = "--world", defaultValue = "easy,hard", split = ",", paramLabel = "W",
      description = "Worlds to generate: easy, hard (default: ${DEFAULT-VALUE}).")
  List<String> worlds;

  @Option(names = "--hidden-confounding", defaultValue = "0", paramLabel = "S",
      description = "Strength of the generator's hidden confounder (default: ${DEFAULT-VALUE}: none).")
  double hidden;

  @Option(names = "--outcome", defaultValue = "retention_365d", paramLabel = "NAME",
      description = "The outcome compared with its truth (default: ${DEFAULT-VALUE}).")
  String outcome;

  @Option(names = "--work", defaultValue = "/tmp/leeway-benchmark-effects", paramLabel = "DIR",
      description = "Folder for the generated data and outputs (default: ${DEFAULT-VALUE}).")
  String work;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write every trial and the table as JSON.")
  File json;

  @Option(names = "--conf", paramLabel = "FILE", description = "Configuration file (default: conf/local.conf).")
  File conf;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override a configuration key (repeatable).")
  Map<String, String> overrides = new LinkedHashMap<>();

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    File confFile = conf != null ? conf : new File(parent.sessions.defaultConf());
    LeewayConfig config;
    List<WorldKind> kinds = new ArrayList<>();
    try {
      config = LeewayConfig.load(confFile, overrides);
      for (String w : worlds) {
        kinds.add(WorldKind.valueOf(w.trim().toUpperCase(java.util.Locale.ROOT)));
      }
    } catch (ConfigError | IllegalArgumentException e) {
      err.println("leeway: " + e.getMessage());
      return ExitCodes.USAGE;
    }
    SparkSession spark = parent.sessions.open(config);
    try {
      EffectsBenchmark.Result r = new EffectsBenchmark(config, extra -> {
        Map<String, String> all = new LinkedHashMap<>(overrides);
        all.putAll(extra);
        return LeewayConfig.load(confFile, all);
      }, customers, outcome, hidden).run(spark, kinds,
          LongStream.range(firstSeed, firstSeed + seeds).boxed().toList(), Path.of(work));
      out.printf("Effects benchmark: %s, %d data sets per world of %,d customers, hidden confounding %.2f%n",
          outcome, seeds, customers, hidden);
      out.printf("%-6s %-20s %-14s %6s %9s %9s %9s %9s %9s%n", "world", "policy", "estimator", "sets", "truth",
          "bias", "rmse", "coverage", "width");
      for (EffectsBenchmark.Row row : r.rows()) {
        out.printf("%-6s %-20s %-14s %6d %9.4f %+9.4f %9.4f %9.2f %9.4f%n", row.world(), row.policy(),
            row.estimator(), row.trials(), row.meanTruth(), row.bias(), row.rmse(), row.coverage(), row.meanWidth());
      }
      out.println("Sensitivity verdicts (doubly robust, per policy and data set): " + r.sensitivityVerdicts());
      out.println("Negative control flagged (policies x data sets): " + r.negativeControlFlags());
      out.printf("Done in %.1f s%n", r.seconds());
      if (json != null) {
        EffectsSummary.JSON.writeValue(json, r);
      }
      return ExitCodes.OK;
    } finally {
      parent.sessions.close(spark);
    }
  }
}
