package dev.leeway.cli;

import dev.leeway.config.LeewayConfig;
import java.io.File;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every stage command shares: which run date, which configuration, and overrides of it. */
public final class RunOptions {
  @Option(names = "--run-date", paramLabel = "YYYY-MM-DD",
      description = "The run date the outputs are keyed by (default: today in UTC).")
  LocalDate runDate;

  @Option(names = "--conf", paramLabel = "FILE",
      description = "Configuration file (default: conf/local.conf; conf/cluster.conf under spark-submit).")
  File conf;

  @Option(names = "--input-root", paramLabel = "DIR", description = "Overrides leeway.paths.input_root.")
  String inputRoot;

  @Option(names = "--output-root", paramLabel = "DIR", description = "Overrides leeway.paths.output_root.")
  String outputRoot;

  @Option(names = "--set", paramLabel = "KEY=VALUE",
      description = "Overrides any configuration key, e.g. --set leeway.spark.conf.\"spark.sql.shuffle.partitions\"=4")
  Map<String, String> overrides = new LinkedHashMap<>();

  public LocalDate runDate() {
    return runDate != null ? runDate : LocalDate.now(ZoneOffset.UTC);
  }

  public LeewayConfig load(String defaultConf) {
    Map<String, String> all = new LinkedHashMap<>(overrides);
    if (inputRoot != null) {
      all.put("leeway.paths.input_root", inputRoot);
    }
    if (outputRoot != null) {
      all.put("leeway.paths.output_root", outputRoot);
    }
    return LeewayConfig.load(conf != null ? conf : new File(defaultConf), all);
  }
}
