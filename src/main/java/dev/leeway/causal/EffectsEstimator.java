package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.when;

import dev.leeway.config.LeewayConfig;
import dev.leeway.config.LeewayConfig.EffectSettings;
import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import dev.leeway.features.ModelFeatures;
import dev.leeway.outcomes.OutcomeCols;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Estimates, from the requests table, the effect of granting on every outcome per policy, policy x segment and
 * policy x team, with balance diagnostics, a placebo, and ROI per policy, segment and team. Granted requests are
 * compared with denied requests of the same policy through a pooled, cross-fitted propensity model in which the
 * policy is a feature.
 */
public final class EffectsEstimator {
  public static final String T = "__t";
  public static final String PLACEBO_T = "__placebo_t";
  public static final String E = "__e";
  public static final String OVERLAP = "__overlap";
  static final List<Level> ESTIMATE_LEVELS = List.of(Level.POLICY, Level.POLICY_SEGMENT, Level.POLICY_TEAM);
  static final List<Level> ROI_LEVELS = List.of(Level.OVERALL, Level.POLICY, Level.SEGMENT, Level.TEAM);

  /** Everything the effects stage reports. */
  public record Result(List<Estimate> estimates, List<Balance.FeatureBalance> balance, List<Roi.Result> roi,
      Dataset<Row> rows, Map<String, Object> population) {}

  private final LeewayConfig config;
  private final EffectSettings settings;

  public EffectsEstimator(LeewayConfig config) {
    this.config = config;
    this.settings = config.effects();
  }

  /** Retention per horizon, converted referrals per window, and the two value outcomes ROI stands on. */
  public static List<EffectOutcome> outcomes(LeewayConfig cfg) {
    List<EffectOutcome> out = new ArrayList<>();
    for (int h : cfg.outcomes().horizonsDays()) {
      out.add(new EffectOutcome("retention_" + h + "d", OutcomeCols.retained(h), h, EffectOutcome.Kind.RETENTION));
    }
    for (int w : cfg.outcomes().referralWindowsDays()) {
      out.add(new EffectOutcome("referrals_" + w + "d", OutcomeCols.referralsConvertedAfter(w), w,
          EffectOutcome.Kind.REFERRALS));
    }
    int h = cfg.effects().roiHorizonDays();
    out.add(new EffectOutcome("retained_value_" + h + "d", retainedValueColumn(h), h,
        EffectOutcome.Kind.RETAINED_VALUE));
    int w = cfg.effects().roiReferralWindowDays();
    out.add(new EffectOutcome("referral_value_" + w + "d", OutcomeCols.referredValueAfter(w), w,
        EffectOutcome.Kind.REFERRAL_VALUE));
    return out;
  }

  static String retainedValueColumn(int h) {
    return "__retained_value_" + h + "d";
  }

  private static EffectOutcome find(List<EffectOutcome> outcomes, EffectOutcome.Kind kind, int days) {
    return outcomes.stream().filter(o -> o.kind() == kind && o.days() == days).findFirst().orElseThrow();
  }

  /**
   * Runs the estimation. {@code materialize} stores an intermediate result and returns it read back (it cuts the
   * plan and lets several aggregations share one computation).
   */
  public Result estimate(Dataset<Row> requests, UnaryOperator<Dataset<Row>> materialize) {
    List<EffectOutcome> outcomes = outcomes(config);
    int h = settings.roiHorizonDays();
    Column interference = col(OutcomeCols.TREATED).equalTo(0).and(col(OutcomeCols.REFERRED_BY_FLEXED));
    Dataset<Row> population = settings.excludeReferredByFlexedControls() ? requests.filter(not(interference)) : requests;
    population = population
        .withColumn(T, col(OutcomeCols.TREATED).cast("double"))
        .withColumn(retainedValueColumn(h), col(OutcomeCols.retained(h)).multiply(col(FeatureCols.CLV)));

    ModelFeatures features = new ModelFeatures(config.features());
    Dataset<Row> modelInput = features.prepare(population);
    // The fitted encoding is kept: balance is judged on the levels it kept (rare ones bucketed as OTHER).
    PipelineModel encoding = features.fit(modelInput);
    Dataset<Row> prepared = CrossFit.assignFolds(ModelFeatures.transform(encoding, modelInput), Cols.EXCEPTION_ID,
        settings.folds(), settings.seed()).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Dataset<Row> scored = clip(materialize.apply(
          new Nuisance(settings).fit(prepared, T, outcomes).drop(ModelFeatures.VECTOR)));
      Map<String, AttSums> sums = collectSums(scored, T, outcomes);
      Map<String, AttSums> placebo = new HashMap<>();
      if (settings.placebo()) {
        Dataset<Row> shuffled = Placebo.shuffleWithinPolicy(prepared, Cols.EXCEPTION_ID, T, PLACEBO_T, settings.seed())
            .persist(StorageLevel.MEMORY_AND_DISK());
        try {
          Dataset<Row> placeboScored = clip(materialize.apply(
              new Nuisance(settings).fit(shuffled, PLACEBO_T, outcomes).drop(ModelFeatures.VECTOR)));
          placebo = collectSums(placeboScored, PLACEBO_T, outcomes);
        } finally {
          shuffled.unpersist();
        }
      }
      List<Balance.FeatureBalance> balance = balance(scored, features, encoding);
      Map<String, Double> worstSmd = new HashMap<>();
      for (Balance.FeatureBalance b : balance) {
        worstSmd.merge(b.policy(), Math.abs(b.smdAfter()), Math::max);
      }
      List<Estimate> estimates = estimates(scored, outcomes, sums, placebo, worstSmd);
      List<Roi.Result> roi = new Roi(h, settings.bootstrapReplicates(), settings.seed(), settings.minCellRows(),
          settings.minArmRows()).compute(scored, T, E, OVERLAP,
          find(outcomes, EffectOutcome.Kind.RETAINED_VALUE, h),
          find(outcomes, EffectOutcome.Kind.REFERRAL_VALUE, settings.roiReferralWindowDays()),
          find(outcomes, EffectOutcome.Kind.RETENTION, h),
          find(outcomes, EffectOutcome.Kind.REFERRALS, settings.roiReferralWindowDays()), ROI_LEVELS);
      Map<String, Object> pop = new LinkedHashMap<>();
      pop.put("requests", requests.count());
      pop.put("controls_excluded_as_referred_by_flexed", settings.excludeReferredByFlexedControls()
          ? requests.filter(interference).count() : 0L);
      pop.put("rows_outside_overlap", scored.filter(not(col(OVERLAP))).count());
      return new Result(estimates, balance, roi, scored, pop);
    } finally {
      prepared.unpersist();
    }
  }

  /** Clipped propensity for the estimators; overlap judged on the unclipped one. */
  private Dataset<Row> clip(Dataset<Row> scored) {
    Column raw = col(Nuisance.E_RAW);
    return scored
        .withColumn(E, least(greatest(raw, lit(settings.clipLow())), lit(settings.clipHigh())))
        .withColumn(OVERLAP, raw.geq(settings.overlapLow()).and(raw.leq(settings.overlapHigh())));
  }

  private static String key(Object... parts) {
    StringBuilder b = new StringBuilder();
    for (Object p : parts) {
      b.append(p).append('|');
    }
    return b.toString();
  }

  private Map<String, AttSums> collectSums(Dataset<Row> scored, String treatmentCol, List<EffectOutcome> outcomes) {
    Map<String, AttSums> out = new HashMap<>();
    for (Row r : CellStats.sums(scored, treatmentCol, E, OVERLAP, outcomes, ESTIMATE_LEVELS).collectAsList()) {
      out.put(key(r.getAs(Level.LEVEL), r.getAs(Level.POLICY_KEY), r.getAs(Level.SEGMENT_KEY), r.getAs(Level.TEAM_KEY),
          r.getAs(CellStats.OUTCOME)), CellStats.read(r));
    }
    return out;
  }

  private List<Balance.FeatureBalance> balance(Dataset<Row> scored, ModelFeatures features, PipelineModel encoding) {
    // Balance is judged on the customer features at the request time: the confounders. Request attributes such as
    // team enter the propensity model too but do not drive outcomes.
    List<String> categorical = FeatureCols.categorical(config.features());
    // The levels the propensity model saw (bounded by leeway.features.max_category_levels), rows bucketed alike.
    Map<String, List<String>> fitted = ModelFeatures.levels(encoding);
    Map<String, List<String>> levels = new LinkedHashMap<>();
    for (String c : categorical) {
      levels.put(c, fitted.getOrDefault(c, List.of()));
    }
    Dataset<Row> inOverlap = ModelFeatures.bucket(scored.filter(col(OVERLAP)), levels);
    List<Column> cols = Balance.features(features.numeric(), categorical, levels);
    List<String> names = new ArrayList<>(features.numeric());
    levels.forEach((c, vs) -> vs.forEach(v -> names.add(c + "=" + v)));
    List<Balance.FeatureBalance> out = new ArrayList<>();
    for (Row r : Balance.sums(inOverlap, T, E, cols).orderBy("policy").collectAsList()) {
      out.addAll(Balance.read(r, names));
    }
    return out;
  }

  private List<Estimate> estimates(Dataset<Row> scored, List<EffectOutcome> outcomes, Map<String, AttSums> sums,
      Map<String, AttSums> placebo, Map<String, Double> worstSmd) {
    List<Estimate> out = new ArrayList<>();
    List<Row> cells = CellStats.support(scored, OVERLAP, T, ESTIMATE_LEVELS)
        .orderBy(Level.keys()).collectAsList();
    for (Row cell : cells) {
      String level = cell.getAs(Level.LEVEL);
      String policy = cell.getAs(Level.POLICY_KEY);
      String segment = cell.getAs(Level.SEGMENT_KEY);
      String team = cell.getAs(Level.TEAM_KEY);
      boolean flagged = worstSmd.getOrDefault(policy, 0.0) > settings.smdThreshold();
      for (EffectOutcome o : outcomes) {
        String k = key(level, policy, segment, team, o.name());
        AttSums s = sums.get(k);
        long n = s == null ? 0 : Math.round(s.n());
        long nT = s == null ? 0 : Math.round(s.nT());
        long nC = s == null ? 0 : Math.round(s.nC());
        boolean tooSmall = n < settings.minCellRows() || nT < settings.minArmRows() || nC < settings.minArmRows();
        AttSums p = placebo.get(k);
        out.add(new Estimate(Level.valueOf(level.toUpperCase(java.util.Locale.ROOT)), policy, segment, team, o,
            cell.getAs("rows"), cell.getAs("rows_outside_overlap"), cell.getAs("granted"), n, nT, nC, tooSmall,
            tooSmall ? null : s.naive(), tooSmall ? null : s.ipw(), tooSmall ? null : s.aipw(),
            tooSmall || p == null || p.nT() < 1 || p.nC() < 1 ? null : p.aipw(), flagged));
      }
    }
    return out;
  }
}
