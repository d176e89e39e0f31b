package dev.leeway.cli;

import dev.leeway.config.LeewayConfig;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every command that reads the configuration shares: which file, and overrides of it. */
public class ConfigOptions {
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
