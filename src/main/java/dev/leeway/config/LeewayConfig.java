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
    OutcomeSettings outcomes, EffectSettings effects, TrainSettings train, ScoreSettings score,
    CatalogSettings catalog, RunSettings run, GateSettings gates) {

  /** Where inputs are read and outputs written. */
  public record Paths(String inputRoot, String outputRoot) {}

  /**
   * The Iceberg catalog published tables live in: its Spark name, the namespace, and the catalog properties passed
   * to Spark as {@code spark.sql.catalog.<name>.<key>}. An empty {@code warehouse} of a {@code hadoop} catalog
   * means {@code <output_root>/warehouse}.
   */
  public record CatalogSettings(String name, String namespace, Map<String, String> properties) {}

  /** One run per run date at a time: a lease taken over when its holder stops renewing it. */
  public record RunSettings(int lockStaleMinutes, int heartbeatSeconds) {}

  /** Spark session settings; master applies to embedded runs only. */
  public record SparkSettings(String master, String appName, Map<String, String> conf) {}

  /** Ingest rules that are settings rather than contract. */
  public record IngestSettings(Map<String, List<String>> keepColumns, CsvSettings csv, List<String> policies,
      List<String> nullTokens, int maxFieldChars, int maxFieldLines, int maxReasonValueChars) {}

  /** One data-quality gate: its severity ("fail", "warn" or "off") and threshold. */
  public record Gate(String severity, double threshold) {}

  /** leeway.gates: the data-quality gates of ingest and score. */
  public record GateSettings(int minRowsForShares, String minRowsSeverity, Map<String, Long> minRows, Gate rowsDrop,
      Gate rowsGrowth, Gate quarantineShare, Gate quarantineReasonShare, Gate keyNullShare, Gate freshnessDays,
      String schemaDriftSeverity, Gate scoresVolume) {}

  /** How CSV inputs are parsed. */
  public record CsvSettings(String delimiter, String quote, String escape, String encoding) {}

  /**
   * Point-in-time feature windows, extra customer columns (categorical, numeric), how missing history is encoded,
   * and how many levels a categorical feature keeps in a model.
   */
  public record FeatureSettings(
      List<Integer> windowsDays, int priorExceptionsDays, List<String> extraCustomerColumns,
      List<String> extraNumericColumns, int noHistoryDays, int maxCategoryLevels) implements java.io.Serializable {}

  /** Outcome horizons and windows after the index time, and how referral value and interference are defined. */
  public record OutcomeSettings(
      List<Integer> horizonsDays, int inactivityDays, List<Integer> referralWindowsDays,
      List<Integer> revenueWindowsDays, double referredCustomerDefaultValue, int interferenceWindowDays,
      int negativeControlLagDays, int negativeControlWindowDays)
      implements java.io.Serializable {}

  /** How causal effects and ROI are estimated (see conf/base.conf for each setting). */
  public record EffectSettings(
      String propensityModel, String outcomeModel, double ridgeRows, double policyShrinkageRows, int splineKnots,
      int maxPolicyModels, int folds, long seed, double clipLow, double clipHigh, double overlapLow,
      double overlapHigh, int minCellRows, int minArmRows, double smdThreshold, double smdRelativeTolerance,
      String referredByFlexed, boolean placebo, double fdr, double sensitivityStrength, int roiHorizonDays,
      int roiReferralWindowDays, int gbtMaxIter, int gbtMaxDepth, long singleTaskMaxRows)
      implements java.io.Serializable {

    /** Customers referred by a flexed customer: left out of both arms, or kept with the flag as a feature. */
    public static final String EXCLUDE = "exclude";
    public static final String ADJUST = "adjust";
  }

  /** How uplift models are trained, evaluated and promoted (see conf/base.conf for each setting). */
  public record TrainSettings(
      List<String> learners, Map<String, String> learnerClasses, double validationFraction, double testFraction,
      int bootstrapReplicates, double drTrim, double supportQuantile, long seed, int cadenceDays,
      double promotionTolerance, int minArmRows, int gbtMaxIter, int gbtMaxDepth, double gbtStepSize,
      int gbtMinInstancesPerNode, double gbtSubsamplingRate, int gbtMaxBins, long singleTaskMaxRows,
      String truthPath) implements java.io.Serializable {}

  /**
   * How customers are scored and recommendations are made (see conf/base.conf for each setting). Money limits of
   * -1 mean "no limit"; per-policy and per-team limits fall back to the {@code default} entry.
   */
  public record ScoreSettings(
      int validDays, double flexFloor, int costWindowDays, boolean riskFlagHardLine,
      List<String> neverFlexiblePolicies, Map<String, Double> maxConcession, int sporadicMaxGrants,
      int sporadicWindowDays, Map<String, Double> maxShareFlexed, double maxExpectedGrantsPerYear,
      int requestRateWindowDays, boolean entitlement, Map<String, Double> policyDailyBudget,
      Map<String, Double> teamDailyBudget, int reasonCount, String unassignedTeam, boolean flexOutsideSupport,
      boolean postgresEnabled, String postgresTable)
      implements java.io.Serializable {

    /** The limit for {@code key}, or the {@code default} entry; negative means unlimited. */
    public static double limit(Map<String, Double> limits, String key) {
      return limits.getOrDefault(key, limits.getOrDefault(DEFAULT, -1.0));
    }

    public static final String DEFAULT = "default";
  }

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
      parsed = overrides(overrides).withFallback(fromFile).resolve();
    } catch (ConfigException e) {
      throw new ConfigError("Cannot load configuration " + file + ": " + e.getMessage(), e);
    }
    return fromConfig(parsed, file.getPath());
  }

  /** Flag overrides: lists and objects ("[90,365]") are parsed as HOCON, anything else is taken as written. */
  private static Config overrides(Map<String, String> overrides) {
    Config out = ConfigFactory.empty();
    for (Map.Entry<String, String> e : overrides.entrySet()) {
      String v = e.getValue().trim();
      Config one = v.startsWith("[") || v.startsWith("{")
          ? ConfigFactory.parseString(e.getKey() + " = " + v, ConfigParseOptions.defaults().setOriginDescription(
              "command-line flag --set " + e.getKey()))
          : ConfigFactory.parseMap(Map.of(e.getKey(), e.getValue()), "command-line flag --set " + e.getKey());
      out = one.withFallback(out);
    }
    return out;
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
        keepColumns(c),
        csv,
        List.copyOf(c.strings("leeway.ingest.policies")).stream().map(p -> p.trim().toUpperCase(java.util.Locale.ROOT))
            .toList(),
        List.copyOf(c.strings("leeway.ingest.null_tokens")).stream().map(t -> t.trim().toUpperCase(
            java.util.Locale.ROOT)).toList(),
        positive(c, "leeway.ingest.max_field_chars"),
        positive(c, "leeway.ingest.max_field_lines"),
        positive(c, "leeway.ingest.max_reason_value_chars"));
    Map<String, Long> minRows = new java.util.TreeMap<>();
    c.stringMap("leeway.gates.min_rows.tables").forEach((table, v) -> {
      try {
        long n = Long.parseLong(v.trim());
        if (n < 0) {
          throw new NumberFormatException();
        }
        minRows.put(table, n);
      } catch (NumberFormatException e) {
        throw new ConfigError("Configuration key leeway.gates.min_rows.tables." + table
            + " must be a whole number >= 0, got '" + v + "'");
      }
    });
    GateSettings gates = new GateSettings(
        atLeast(c, "leeway.gates.min_rows_for_shares", 0),
        severity(c, "leeway.gates.min_rows.severity"),
        Map.copyOf(minRows),
        gate(c, "leeway.gates.rows_drop", "max"),
        gate(c, "leeway.gates.rows_growth", "max"),
        gate(c, "leeway.gates.quarantine_share", "max"),
        gate(c, "leeway.gates.quarantine_reason_share", "max"),
        gate(c, "leeway.gates.key_null_share", "max"),
        gate(c, "leeway.gates.freshness", "max_days"),
        severity(c, "leeway.gates.schema_drift.severity"),
        gate(c, "leeway.gates.scores_volume", "max"));

    List<String> extraCustomerColumns = List.copyOf(c.strings("leeway.features.extra_customer_columns"));
    FeatureSettings features = new FeatureSettings(
        days(c, "leeway.features.windows_days"),
        positive(c, "leeway.features.prior_exceptions_days"),
        extraCustomerColumns,
        columnNames(c, "leeway.features.extra_numeric_columns", extraCustomerColumns,
            "leeway.features.extra_customer_columns"),
        positive(c, "leeway.features.no_history_days"),
        positive(c, "leeway.features.max_category_levels"));
    OutcomeSettings outcomes = new OutcomeSettings(
        days(c, "leeway.outcomes.horizons_days"),
        positive(c, "leeway.outcomes.inactivity_days"),
        days(c, "leeway.outcomes.referral_windows_days"),
        days(c, "leeway.outcomes.revenue_windows_days"),
        nonNegative(c, "leeway.outcomes.referred_customer_default_value"),
        positive(c, "leeway.outcomes.interference_window_days"),
        positive(c, "leeway.outcomes.negative_control.lag_days"),
        positive(c, "leeway.outcomes.negative_control.window_days"));
    int longestFeatureWindow = java.util.Collections.max(features.windowsDays());
    if (outcomes.negativeControlLagDays() < longestFeatureWindow) {
      throw new ConfigError("Configuration key leeway.outcomes.negative_control.lag_days ("
          + outcomes.negativeControlLagDays() + ") must be at least the longest feature window in "
          + "leeway.features.windows_days (" + longestFeatureWindow + "): a negative-control outcome must not be a "
          + "feature the models adjust for");
    }

    EffectSettings effects = new EffectSettings(
        oneOf(c, "leeway.effects.propensity_model", "logistic", "gbt"),
        oneOf(c, "leeway.effects.outcome_model", "linear", "gbt"),
        nonNegative(c, "leeway.effects.ridge_rows"),
        nonNegative(c, "leeway.effects.policy_shrinkage_rows"),
        atLeast(c, "leeway.effects.spline_knots", 0),
        atLeast(c, "leeway.effects.max_policy_models", 0),
        atLeast(c, "leeway.effects.folds", 2),
        c.integer("leeway.effects.seed"),
        probability(c, "leeway.effects.clip_low"),
        probability(c, "leeway.effects.clip_high"),
        share(c, "leeway.effects.overlap_low"),
        probability(c, "leeway.effects.overlap_high"),
        positive(c, "leeway.effects.min_cell_rows"),
        positive(c, "leeway.effects.min_arm_rows"),
        probability(c, "leeway.effects.smd_threshold"),
        probability(c, "leeway.effects.smd_relative_tolerance"),
        oneOf(c, "leeway.effects.referred_by_flexed", EffectSettings.EXCLUDE, EffectSettings.ADJUST),
        c.bool("leeway.effects.placebo"),
        probability(c, "leeway.effects.fdr"),
        probability(c, "leeway.effects.sensitivity_strength"),
        positive(c, "leeway.effects.roi_horizon_days"),
        positive(c, "leeway.effects.roi_referral_window_days"),
        positive(c, "leeway.effects.gbt.max_iter"),
        positive(c, "leeway.effects.gbt.max_depth"),
        nonNegativeInt(c, "leeway.effects.single_task_max_rows"));
    for (String moved : List.of("retention_horizon_days", "referral_window_days")) {
      if (c.has("leeway.train." + moved)) {
        throw new ConfigError("Configuration key leeway.train." + moved + " is gone: the uplift models learn the "
            + "effect at the ROI's horizon and referral window (leeway.effects.roi_horizon_days and "
            + "leeway.effects.roi_referral_window_days), so the scores and the report value a grant the same way");
      }
    }
    TrainSettings train = new TrainSettings(
        learners(c, "leeway.train.learners"),
        Map.copyOf(c.stringMap("leeway.train.learner_classes")),
        probability(c, "leeway.train.validation_fraction"),
        probability(c, "leeway.train.test_fraction"),
        atLeast(c, "leeway.train.bootstrap_replicates", 20),
        share(c, "leeway.train.dr_trim"),
        share(c, "leeway.train.support_quantile"),
        c.integer("leeway.train.seed"),
        nonNegativeInt(c, "leeway.train.cadence_days"),
        nonNegative(c, "leeway.train.promotion_tolerance"),
        positive(c, "leeway.train.min_arm_rows"),
        positive(c, "leeway.train.gbt.max_iter"),
        positive(c, "leeway.train.gbt.max_depth"),
        probability(c, "leeway.train.gbt.step_size"),
        positive(c, "leeway.train.gbt.min_instances_per_node"),
        fraction(c, "leeway.train.gbt.subsampling_rate"),
        between(c, "leeway.train.gbt.max_bins", 2, dev.leeway.uplift.trees.HistogramGbt.MAX_BINS),
        nonNegativeInt(c, "leeway.train.single_task_max_rows"),
        c.string("leeway.train.truth_path"));
    if (train.validationFraction() + train.testFraction() >= 0.9) {
      throw new ConfigError("Configuration keys leeway.train.validation_fraction and test_fraction ("
          + train.validationFraction() + " + " + train.testFraction() + ") must leave at least 10% of customers "
          + "to train on");
    }
    if (train.drTrim() >= 0.5) {
      throw new ConfigError("Configuration key leeway.train.dr_trim must be below 0.5, got " + train.drTrim());
    }

    ScoreSettings score = new ScoreSettings(
        positive(c, "leeway.score.valid_days"),
        nonNegative(c, "leeway.score.flex_floor"),
        positive(c, "leeway.score.cost_window_days"),
        c.bool("leeway.score.hard_lines.risk_flag"),
        List.copyOf(c.strings("leeway.score.hard_lines.never_flexible_policies")),
        limits(c, "leeway.score.hard_lines.max_concession"),
        atLeast(c, "leeway.score.sporadic_cap.max_grants", 0),
        positive(c, "leeway.score.sporadic_cap.window_days"),
        shares(c, "leeway.score.sporadic_cap.max_share_flexed"),
        noLimitOrNonNegative(c, "leeway.score.sporadic_cap.max_expected_grants_per_year"),
        positive(c, "leeway.score.request_rates.window_days"),
        c.bool("leeway.score.entitlement"),
        limits(c, "leeway.score.budgets.policy_daily"),
        limits(c, "leeway.score.budgets.team_daily"),
        atLeast(c, "leeway.score.reasons.count", 0),
        nonBlank(c, "leeway.score.unassigned_team"),
        c.bool("leeway.score.flex_outside_support"),
        c.bool("leeway.score.postgres.enabled"),
        nonBlank(c, "leeway.score.postgres.table"));

    Map<String, String> catalogProps = new java.util.TreeMap<>(c.stringMap("leeway.catalog.properties"));
    if ("hadoop".equals(catalogProps.get("type")) && catalogProps.getOrDefault("warehouse", "").isBlank()) {
      org.apache.hadoop.fs.Path warehouse = new org.apache.hadoop.fs.Path(paths.outputRoot(), "warehouse");
      // Iceberg records the paths of tables and files as given: a relative path would only resolve from here.
      catalogProps.put("warehouse", warehouse.toUri().getScheme() == null
          ? new File(warehouse.toString()).getAbsolutePath() : warehouse.toString());
    }
    catalogProps.values().removeIf(String::isBlank);
    CatalogSettings catalog = new CatalogSettings(
        sqlName(c, "leeway.catalog.name"),
        sqlName(c, "leeway.catalog.namespace"),
        Map.copyOf(catalogProps));
    RunSettings run = new RunSettings(
        atLeast(c, "leeway.run.lock_stale_minutes", 1),
        atLeast(c, "leeway.run.heartbeat_seconds", 1));

    List<String> unknown = c.unreadKeys("leeway");
    if (!unknown.isEmpty()) {
      throw new ConfigError("Unknown configuration key(s) in " + source + ": " + String.join(", ", unknown)
          + " (check the spelling against conf/base.conf)");
    }
    return new LeewayConfig(source, paths, spark, ingest, features, outcomes, effects, train, score, catalog, run,
        gates);
  }

  /** Money limits by name (policy or team) with a {@code default}; each a number >= 0, or -1 for no limit. */
  private static Map<String, Double> limits(TrackedConfig c, String path) {
    Map<String, Double> out = new java.util.TreeMap<>();
    for (Map.Entry<String, String> e : c.stringMap(path).entrySet()) {
      double v;
      try {
        v = Double.parseDouble(e.getValue());
      } catch (NumberFormatException ex) {
        throw new ConfigError("Configuration key " + path + "." + e.getKey() + " must be a number, got '"
            + e.getValue() + "'");
      }
      if (!(v >= 0 || v == -1)) {
        throw new ConfigError("Configuration key " + path + "." + e.getKey() + " must be >= 0, or -1 for no limit, "
            + "got " + v);
      }
      out.put(e.getKey(), v);
    }
    if (!out.containsKey(ScoreSettings.DEFAULT)) {
      throw new ConfigError("Configuration key " + path + " must have a '" + ScoreSettings.DEFAULT
          + "' entry (-1 for no limit)");
    }
    return Map.copyOf(out);
  }

  /** Shares by policy with a {@code default}: each in [0, 1], or -1 for no limit. */
  private static Map<String, Double> shares(TrackedConfig c, String path) {
    Map<String, Double> out = limits(c, path);
    out.forEach((k, v) -> {
      if (v > 1) {
        throw new ConfigError("Configuration key " + path + "." + k + " is a share of requests: it must be between 0 "
            + "and 1, or -1 for no limit, got " + v);
      }
    });
    return out;
  }

  /** leeway.ingest.keep_columns: per input table, the lower-cased extra columns to read. */
  private static Map<String, List<String>> keepColumns(TrackedConfig c) {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    for (String table : List.of("customers", "clv_snapshots", "exceptions", "activity", "referrals")) {
      out.put(table, c.strings("leeway.ingest.keep_columns." + table).stream()
          .map(s -> s.trim().toLowerCase(java.util.Locale.ROOT)).toList());
    }
    return Map.copyOf(out);
  }

  private static String severity(TrackedConfig c, String path) {
    return oneOf(c, path, "fail", "warn", "off");
  }

  private static Gate gate(TrackedConfig c, String path, String threshold) {
    return new Gate(severity(c, path + ".severity"), nonNegative(c, path + "." + threshold));
  }

  private static double noLimitOrNonNegative(TrackedConfig c, String path) {
    double v = c.number(path);
    if (!(v >= 0 || v == -1)) {
      throw new ConfigError("Configuration key " + path + " must be >= 0, or -1 for no limit, got " + v);
    }
    return v;
  }

  private static List<String> learners(TrackedConfig c, String path) {
    List<String> v = List.copyOf(c.strings(path));
    if (v.isEmpty() || v.stream().distinct().count() != v.size() || v.contains("response")) {
      throw new ConfigError("Configuration key " + path + " must be a non-empty list of distinct learners (the "
          + "response baseline is always compared and cannot be a champion), got " + v);
    }
    return v;
  }

  /**
   * Distinct column names as conformed tables spell them (lower case: input headers are lower-cased), none of
   * them also listed under {@code otherPath}.
   */
  private static List<String> columnNames(TrackedConfig c, String path, List<String> other, String otherPath) {
    List<String> v = List.copyOf(c.strings(path));
    for (String name : v) {
      if (!name.matches("[a-z_][a-z0-9_]*")) {
        throw new ConfigError("Configuration key " + path + " must list column names in lower case (letters, digits, "
            + "_), got '" + name + "'");
      }
      if (other.contains(name)) {
        throw new ConfigError("Configuration key " + path + " names '" + name + "', which " + otherPath
            + " also names; a column is either categorical or numeric");
      }
    }
    if (v.stream().distinct().count() != v.size()) {
      throw new ConfigError("Configuration key " + path + " must not name a column twice, got " + v);
    }
    return v;
  }

  /** A catalog or namespace name: letters, digits and underscores, as Spark SQL identifiers need no quoting. */
  private static String sqlName(TrackedConfig c, String path) {
    String v = nonBlank(c, path);
    if (!v.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new ConfigError("Configuration key " + path + " must be letters, digits and underscores, got '" + v + "'");
    }
    return v;
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

  private static String oneOf(TrackedConfig c, String path, String... allowed) {
    String v = c.string(path);
    if (!List.of(allowed).contains(v)) {
      throw new ConfigError("Configuration key " + path + " must be one of " + List.of(allowed) + ", got '" + v + "'");
    }
    return v;
  }

  private static int between(TrackedConfig c, String path, int min, int max) {
    int v = c.integer(path);
    if (v < min || v > max) {
      throw new ConfigError("Configuration key " + path + " must lie between " + min + " and " + max + ", got " + v);
    }
    return v;
  }

  private static int atLeast(TrackedConfig c, String path, int min) {
    int v = c.integer(path);
    if (v < min) {
      throw new ConfigError("Configuration key " + path + " must be at least " + min + ", got " + v);
    }
    return v;
  }

  /** A share in (0, 1]. */
  private static double fraction(TrackedConfig c, String path) {
    double v = c.number(path);
    if (!(v > 0 && v <= 1)) {
      throw new ConfigError("Configuration key " + path + " must lie in (0, 1], got " + v);
    }
    return v;
  }

  /** A share in [0, 1). */
  private static double share(TrackedConfig c, String path) {
    double v = c.number(path);
    if (!(v >= 0 && v < 1)) {
      throw new ConfigError("Configuration key " + path + " must lie in [0, 1), got " + v);
    }
    return v;
  }

  private static double probability(TrackedConfig c, String path) {
    double v = c.number(path);
    if (!(v > 0 && v < 1)) {
      throw new ConfigError("Configuration key " + path + " must lie strictly between 0 and 1, got " + v);
    }
    return v;
  }

  private static int nonNegativeInt(TrackedConfig c, String path) {
    int v = c.integer(path);
    if (v < 0) {
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
