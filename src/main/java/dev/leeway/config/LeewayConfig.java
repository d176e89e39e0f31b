package dev.leeway.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import java.io.File;
import java.util.List;
import java.util.Map;

/** The whole validated configuration of a Leeway run, built once at start-up from conf/ files and flags. */
public record LeewayConfig(
    String source, Paths paths, SparkSettings spark, IngestSettings ingest, FeatureSettings features,
    OutcomeSettings outcomes) {

  /** Where inputs are read and outputs written. */
  public record Paths(String inputRoot, String outputRoot) {}

  /** Spark session settings; master applies to embedded runs only. */
  public record SparkSettings(String master, String appName, Map<String, String> conf) {}

  /** Ingest rules that are settings rather than contract. */
  public record IngestSettings(List<String> piiColumns, CsvSettings csv, int maxReasonValueChars) {}

  /** How CSV inputs are parsed. */
  public record CsvSettings(String delimiter, String quote, String escape, String encoding) {}

  /** Point-in-time feature windows and how missing history is encoded. */
  public record FeatureSettings(
      List<Integer> windowsDays, int priorExceptionsDays, List<String> extraCustomerColumns, int noHistoryDays)
      implements java.io.Serializable {}

  /** Outcome horizons and windows after the index time, and how referral value and interference are defined. */
  public record OutcomeSettings(
      List<Integer> horizonsDays, int inactivityDays, List<Integer> referralWindowsDays,
      List<Integer> revenueWindowsDays, double referredCustomerDefaultValue, int interferenceWindowDays)
      implements java.io.Serializable {}

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

    FeatureSettings features = new FeatureSettings(
        days(c, "leeway.features.windows_days"),
        positive(c, "leeway.features.prior_exceptions_days"),
        List.copyOf(c.strings("leeway.features.extra_customer_columns")),
        positive(c, "leeway.features.no_history_days"));
    OutcomeSettings outcomes = new OutcomeSettings(
        days(c, "leeway.outcomes.horizons_days"),
        positive(c, "leeway.outcomes.inactivity_days"),
        days(c, "leeway.outcomes.referral_windows_days"),
        days(c, "leeway.outcomes.revenue_windows_days"),
        nonNegative(c, "leeway.outcomes.referred_customer_default_value"),
        positive(c, "leeway.outcomes.interference_window_days"));

    List<String> unknown = c.unreadKeys("leeway");
    if (!unknown.isEmpty()) {
      throw new ConfigError("Unknown configuration key(s) in " + source + ": " + String.join(", ", unknown)
          + " (check the spelling against conf/base.conf)");
    }
    return new LeewayConfig(source, paths, spark, ingest, features, outcomes);
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

  /** A non-empty list of distinct positive day counts, sorted. */
  private static List<Integer> days(TrackedConfig c, String path) {
    List<Integer> v = c.integers(path);
    if (v.isEmpty() || v.stream().anyMatch(d -> d <= 0) || v.stream().distinct().count() != v.size()) {
      throw new ConfigError("Configuration key " + path + " must be a non-empty list of distinct positive day counts, got "
          + v);
    }
    return v.stream().sorted().toList();
  }

  private static double nonNegative(TrackedConfig c, String path) {
    double v = c.number(path);
    if (v < 0 || Double.isNaN(v)) {
      throw new ConfigError("Configuration key " + path + " must be >= 0, got " + v);
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
