package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.leeway.causal.nuisance.Design;
import dev.leeway.causal.nuisance.Nuisance;
import dev.leeway.config.LeewayConfig;
import dev.leeway.config.LeewayConfig.EffectSettings;
import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import dev.leeway.features.ModelFeatures;
import dev.leeway.outcomes.OutcomeCols;
import java.io.Serializable;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Estimates, from the requests table, the effect of granting on every outcome per policy, policy x segment and
 * policy x team (the ATT for the granted requests that have comparable denied ones), with balance on the rows each
 * estimate uses, a placebo, a negative-control outcome, sensitivity to an unobserved confounder, false-discovery
 * control over cells, and ROI per policy, segment and team. Granted requests are compared with denied requests of
 * the same policy through cross-fitted propensity and outcome models that can learn a different rule per policy.
 */
public final class EffectsEstimator {
  public static final String T = "__t";
  public static final String PLACEBO_T = "__placebo_t";
  public static final String E = "__e";
  public static final String OVERLAP = "__overlap";
  static final List<Level> ESTIMATE_LEVELS = List.of(Level.POLICY, Level.POLICY_SEGMENT, Level.POLICY_TEAM);
  static final List<Level> ROI_LEVELS = List.of(Level.OVERALL, Level.POLICY, Level.SEGMENT, Level.TEAM);

  /** Which requests the estimates stand on. */
  public record Population(long requests, String referredByFlexed, long excludedAsReferredByFlexed,
      long rowsOutsideOverlap, long grantsOutsideOverlap, long grants) implements Serializable {

    @com.fasterxml.jackson.annotation.JsonProperty
    public Double shareOfGrantsCovered() {
      return grants == 0 ? null : (double) (grants - grantsOutsideOverlap) / grants;
    }
  }

  /** Everything the effects stage reports. */
  public record Result(List<Estimate> estimates, List<Balance.FeatureBalance> balance, List<Roi.Result> roi,
      Dataset<Row> rows, Population population) {}

  private final LeewayConfig config;
  private final EffectSettings settings;

  public EffectsEstimator(LeewayConfig config) {
    this.config = config;
    this.settings = config.effects();
  }

  /**
   * Retention per horizon, converted referrals per window, the two value outcomes ROI stands on, and the negative
   * control.
   */
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
    out.add(new EffectOutcome(NEGATIVE_CONTROL, OutcomeCols.NEGATIVE_CONTROL, cfg.outcomes().negativeControlWindowDays(),
        EffectOutcome.Kind.NEGATIVE_CONTROL));
    return out;
  }

  /** The negative-control outcome's name in outputs. */
  public static final String NEGATIVE_CONTROL = "negative_control";

  static String retainedValueColumn(int h) {
    return "__retained_value_" + h + "d";
  }

  private static EffectOutcome find(List<EffectOutcome> outcomes, EffectOutcome.Kind kind, int days) {
    return outcomes.stream().filter(o -> o.kind() == kind && o.days() == days).findFirst().orElseThrow();
  }

  /** The features the nuisance models use; with interference "adjust", the referred-by-flexed flag too. */
  ModelFeatures features() {
    ModelFeatures base = new ModelFeatures(config.features());
    if (!settings.referredByFlexed().equals(EffectSettings.ADJUST)) {
      return base;
    }
    List<String> numeric = new ArrayList<>(base.numeric());
    numeric.add(OutcomeCols.REFERRED_BY_FLEXED);
    return new ModelFeatures(numeric, base.categorical(), config.features().maxCategoryLevels());
  }

  /**
   * Runs the estimation. {@code materialize} stores an intermediate result and returns it read back (it cuts the
   * plan and lets several aggregations share one computation).
   */
  public Result estimate(Dataset<Row> requests, UnaryOperator<Dataset<Row>> materialize) {
    List<EffectOutcome> outcomes = outcomes(config);
    int h = settings.roiHorizonDays();
    boolean exclude = settings.referredByFlexed().equals(EffectSettings.EXCLUDE);
    // Interference: customers referred by a flexed customer are treated alike in both arms.
    Dataset<Row> population = exclude ? requests.filter(not(col(OutcomeCols.REFERRED_BY_FLEXED))) : requests;
    population = population
        .withColumn(T, col(OutcomeCols.TREATED).cast("double"))
        .withColumn(retainedValueColumn(h), col(OutcomeCols.retained(h)).multiply(col(FeatureCols.CLV)));

    ModelFeatures features = features();
    Dataset<Row> modelInput = features.prepare(population);
    // The fitted encoding is kept: balance is judged on the levels it kept (rare ones bucketed as OTHER).
    PipelineModel encoding = features.fit(modelInput);
    Dataset<Row> prepared = CrossFit.assignFolds(ModelFeatures.transform(encoding, modelInput), Cols.CUSTOMER_ID,
        settings.folds(), settings.seed()).persist(StorageLevel.MEMORY_AND_DISK());
    try {
      Design design = Nuisance.design(prepared, features, settings);
      Dataset<Row> scored = clip(materialize.apply(
          new Nuisance(settings, design).fit(prepared, T, outcomes).drop(ModelFeatures.VECTOR)));
      Dataset<Row> used = scored.filter(col(OVERLAP));
      Map<String, AttMoments> moments = collectMoments(used, T, outcomes);
      Map<String, AttMoments> placebo = new HashMap<>();
      if (settings.placebo()) {
        Dataset<Row> shuffled = Placebo.shuffleWithinPolicy(prepared, Cols.EXCEPTION_ID, T, PLACEBO_T, settings.seed())
            .persist(StorageLevel.MEMORY_AND_DISK());
        try {
          Dataset<Row> placeboScored = clip(materialize.apply(
              new Nuisance(settings, design).fit(shuffled, PLACEBO_T, outcomes).drop(ModelFeatures.VECTOR)));
          placebo = collectMoments(placeboScored.filter(col(OVERLAP)), PLACEBO_T, outcomes);
        } finally {
          shuffled.unpersist();
        }
      }
      List<Balance.FeatureBalance> balance = new Balance(features.numeric(), balanceLevels(encoding),
          settings.smdRelativeTolerance()).compute(used, T, E, ESTIMATE_LEVELS, matureAt(outcomes));
      Map<String, Double> worstSmd = new HashMap<>();
      for (Balance.FeatureBalance b : balance) {
        if (!Double.isNaN(b.smdAfter())) {
          worstSmd.merge(key(b.level(), b.policy(), b.segment(), b.team(), b.days()), Math.abs(b.smdAfter()),
              Math::max);
        }
      }
      Map<String, CellSupport> support = new HashMap<>();
      for (Row r : CellSupport.aggregate(scored, OVERLAP, T, ESTIMATE_LEVELS).collectAsList()) {
        support.put(key(r.getAs(Level.LEVEL), r.getAs(Level.POLICY_KEY), r.getAs(Level.SEGMENT_KEY),
            r.getAs(Level.TEAM_KEY)), CellSupport.read(r));
      }
      List<Estimate> estimates = withQValues(estimates(support, outcomes, moments, placebo, worstSmd));
      List<Roi.Result> roi = new Roi(h, new SizeRule(settings.minCellRows(), settings.minArmRows())).compute(scored,
          T, E, OVERLAP, find(outcomes, EffectOutcome.Kind.RETAINED_VALUE, h),
          find(outcomes, EffectOutcome.Kind.REFERRAL_VALUE, settings.roiReferralWindowDays()),
          find(outcomes, EffectOutcome.Kind.RETENTION, h),
          find(outcomes, EffectOutcome.Kind.REFERRALS, settings.roiReferralWindowDays()), ROI_LEVELS);
      Population pop = population(requests, support, exclude);
      return new Result(estimates, balance, roi, scored, pop);
    } finally {
      prepared.unpersist();
    }
  }

  /** Which requests the estimates stand on: all requests, those excluded for interference, the overlap's effect. */
  private Population population(Dataset<Row> requests, Map<String, CellSupport> support, boolean exclude) {
    Row counts = requests.agg(count(lit(1)), sum(when(col(OutcomeCols.REFERRED_BY_FLEXED), 1L).otherwise(0L)))
        .first();
    long excluded = exclude && !counts.isNullAt(1) ? counts.getLong(1) : 0L;
    long grants = 0;
    long outside = 0;
    long grantsOutside = 0;
    for (Map.Entry<String, CellSupport> e : support.entrySet()) {
      if (e.getKey().startsWith(Level.POLICY.label() + "|")) {
        grants += e.getValue().granted();
        outside += e.getValue().rowsOutsideOverlap();
        grantsOutside += e.getValue().grantedOutsideOverlap();
      }
    }
    return new Population(counts.getLong(0), settings.referredByFlexed(), excluded, outside, grantsOutside, grants);
  }

  /** Clipped propensity for the weights; overlap judged on the unclipped one. */
  private Dataset<Row> clip(Dataset<Row> scored) {
    Column raw = col(Nuisance.E_RAW);
    return scored
        .withColumn(E, least(greatest(raw, lit(settings.clipLow())), lit(settings.clipHigh())))
        .withColumn(OVERLAP, raw.geq(settings.overlapLow()).and(raw.leq(settings.overlapHigh())));
  }

  static String key(Object... parts) {
    StringBuilder b = new StringBuilder();
    for (Object p : parts) {
      b.append(p).append('|');
    }
    return b.toString();
  }

  private static Map<String, AttMoments> collectMoments(Dataset<Row> used, String treatmentCol,
      List<EffectOutcome> outcomes) {
    Map<String, AttMoments> out = new HashMap<>();
    // One row per cell and outcome: bounded by the business's policies, segments and teams.
    for (Row r : CellMoments.aggregate(used, treatmentCol, E, outcomes, ESTIMATE_LEVELS).collectAsList()) {
      out.put(key(r.getAs(Level.LEVEL), r.getAs(Level.POLICY_KEY), r.getAs(Level.SEGMENT_KEY), r.getAs(Level.TEAM_KEY),
          r.getAs(CellMoments.OUTCOME)), CellMoments.read(r));
    }
    return out;
  }

  /** Each maturity horizon (days, ascending) and an outcome column that is null when a row is immature at it. */
  private static List<Map.Entry<Integer, String>> matureAt(List<EffectOutcome> outcomes) {
    Map<Integer, String> byDays = new TreeMap<>();
    for (EffectOutcome o : outcomes) {
      if (o.kind() != EffectOutcome.Kind.NEGATIVE_CONTROL) {
        byDays.putIfAbsent(o.days(), o.column());
      }
    }
    List<Map.Entry<Integer, String>> out = new ArrayList<>();
    byDays.forEach((d, c) -> out.add(new AbstractMap.SimpleEntry<>(d, c)));
    return out;
  }

  /**
   * The levels of each categorical customer feature that balance is checked on: those the models kept (bounded by
   * leeway.features.max_category_levels); every other value counts as OTHER. Request attributes such as the team
   * enter the propensity model too but are no confounders of the outcome.
   */
  private Map<String, List<String>> balanceLevels(PipelineModel encoding) {
    Map<String, List<String>> fitted = ModelFeatures.levels(encoding);
    Map<String, List<String>> levels = new LinkedHashMap<>();
    for (String c : FeatureCols.categorical(config.features())) {
      levels.put(c, fitted.getOrDefault(c, List.of()).stream().filter(v -> !v.equals(FeatureCols.OTHER)).toList());
    }
    return levels;
  }

  private List<Estimate> estimates(Map<String, CellSupport> support, List<EffectOutcome> outcomes,
      Map<String, AttMoments> moments, Map<String, AttMoments> placebo, Map<String, Double> worstSmd) {
    SizeRule size = new SizeRule(settings.minCellRows(), settings.minArmRows());
    List<Estimate> out = new ArrayList<>();
    for (Map.Entry<String, CellSupport> cell : new TreeMap<>(support).entrySet()) {
      String[] k = cell.getKey().split("\\|", -1);
      Level level = Level.valueOf(k[0].toUpperCase(java.util.Locale.ROOT));
      for (EffectOutcome o : outcomes) {
        String mk = key(k[0], k[1], k[2], k[3], o.name());
        AttMoments m = moments.getOrDefault(mk, AttMoments.empty());
        boolean tooSmall = size.tooSmall(level, m.rows(), m.treated(), m.control());
        AttMoments p = placebo.get(mk);
        boolean negativeControl = o.kind() == EffectOutcome.Kind.NEGATIVE_CONTROL;
        Double smd = negativeControl ? null : worstSmd.get(key(k[0], k[1], k[2], k[3], o.days()));
        out.add(new Estimate(level, k[1], k[2], k[3], o, cell.getValue(), m.rows(), Math.round(m.treated()),
            Math.round(m.control()), m.clusters(), tooSmall,
            tooSmall ? null : m.naive(), tooSmall ? null : m.ipw(), tooSmall ? null : m.doublyRobust(), null, false,
            tooSmall || p == null || size.tooSmall(level, p.rows(), p.treated(), p.control()) ? null
                : p.doublyRobust(),
            tooSmall || negativeControl ? null : m.sensitivity(settings.sensitivityStrength()), smd,
            smd != null && smd > settings.smdThreshold()));
      }
    }
    return out;
  }

  /**
   * Benjamini-Hochberg over the doubly robust estimates of each level (cells and outcomes together), the negative
   * control apart: many cells are tested, so an interval that excludes zero is not enough to call one significant.
   */
  private List<Estimate> withQValues(List<Estimate> estimates) {
    Map<String, List<Integer>> families = new LinkedHashMap<>();
    for (int i = 0; i < estimates.size(); i++) {
      Estimate e = estimates.get(i);
      if (e.doublyRobust() != null && Double.isFinite(e.doublyRobust().se())) {
        boolean nc = e.outcome().kind() == EffectOutcome.Kind.NEGATIVE_CONTROL;
        families.computeIfAbsent(e.level() + (nc ? "|nc" : ""), f -> new ArrayList<>()).add(i);
      }
    }
    List<Estimate> out = new ArrayList<>(estimates);
    for (List<Integer> family : families.values()) {
      double[] p = family.stream().mapToDouble(i -> estimates.get(i).doublyRobust().pValue()).toArray();
      double[] q = MultipleTesting.benjaminiHochberg(p);
      for (int j = 0; j < family.size(); j++) {
        out.set(family.get(j), estimates.get(family.get(j)).withQ(q[j], settings.fdr()));
      }
    }
    return out;
  }
}
