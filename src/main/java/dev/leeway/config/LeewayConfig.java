package dev.leeway.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.File;
import java.util.List;
import java.util.Map;

/** The whole validated configuration of a Leeway run, built once at start-up from conf/ files and flags. */
public record LeewayConfig(String source, Paths paths, SparkSettings spark, IngestSettings ingest) {

  /** Where inputs are read and outputs written. */
  public record Paths(String inputRoot, String outputRoot) {}

  /** Spark session settings; master applies to embedded runs only. */
  public record SparkSettings(String master, String appName, Map<String, String> conf) {}

  /** Ingest rules that are settings rather than contract. */
  public record IngestSettings(List<String> piiColumns, CsvSettings csv, int maxReasonValueChars) {}

  /** How CSV inputs are parsed. */
  public record CsvSettings(String delimiter, String quote, String escape, String encoding) {}

  /**
   * Loads a configuration file (with its includes) and applies overrides given as dotted keys, for example
   * {@code leeway.paths.input_root=/data/raw}. Fails with a message naming any missing, mistyped or unknown key.
   */
  public static LeewayConfig load(File file, Map<String, String> overrides) {
    if (!file.isFile()) {
      throw new ConfigError("Cannot load configuration: file not found: " + file
          + " (pass --conf FILE, for example --conf conf/local.conf)");
    }
    Config parsed;
    try {
      Config fromFile = ConfigFactory.parseFile(file, ConfigParseOptions.defaults().setAllowMissing(false));
      parsed = ConfigFactory.parseMap(overrides, "command-line flags").withFallback(fromFile).resolve();
    } catch (ConfigException e) {
      throw new ConfigError("Cannot load configuration " + file + ": " + e.getMessage(), e);
    }
    return fromConfig(parsed, file.getPath());
  }

  static LeewayConfig fromConfig(Config raw, String source) {
    TrackedConfig c = new TrackedConfig(raw);
    Paths paths = new Paths(
        nonBlank(c, "leeway.paths.input_root"),
        nonBlank(c, "leeway.paths.output_root"));
    SparkSettings spark = new SparkSettings(
        nonBlank(c, "leeway.spark.master"),
        nonBlank(c, "leeway.spark.app_name"),
        Map.copyOf(c.stringMap("leeway.spark.conf")));
    CsvSettings csv = new CsvSettings(
        singleChar(c, "leeway.ingest.csv.delimiter"),
        singleChar(c, "leeway.ingest.csv.quote"),
        singleChar(c, "leeway.ingest.csv.escape"),
        nonBlank(c, "leeway.ingest.csv.encoding"));
    IngestSettings ingest = new IngestSettings(
        List.copyOf(c.strings("leeway.ingest.pii_columns")),
        csv,
        positive(c, "leeway.ingest.max_reason_value_chars"));

    List<String> unknown = c.unreadKeys("leeway");
    if (!unknown.isEmpty()) {
      throw new ConfigError("Unknown configuration key(s) in " + source + ": " + String.join(", ", unknown)
          + " (check the spelling against conf/base.conf)");
    }
    return new LeewayConfig(source, paths, spark, ingest);
  }

  private static String nonBlank(TrackedConfig c, String path) {
    String v = c.string(path);
    if (v.isBlank()) {
      throw new ConfigError("Configuration key " + path + " must not be empty");
    }
    return v;
  }

  private static String singleChar(TrackedConfig c, String path) {
    String v = c.string(path);
    if (v.length() != 1) {
      throw new ConfigError("Configuration key " + path + " must be a single character, got '" + v + "'");
    }
    return v;
  }

  static int positive(TrackedConfig c, String path) {
    int v = c.integer(path);
    if (v <= 0) {
      throw new ConfigError("Configuration key " + path + " must be positive, got " + v);
    }
    return v;
  }
}
