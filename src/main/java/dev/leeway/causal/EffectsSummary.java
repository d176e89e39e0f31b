package dev.leeway.causal;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.config.LeewayConfig.EffectSettings;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * effects/summary.json: what the report and other readers take from the effects stage, as typed records
 * (serialised once, in snake_case). Every estimate says which population it is for; every compared figure has
 * its 95% interval.
 */
public record EffectsSummary(String runDate, Method method, EffectsEstimator.Population population,
    List<PolicyEffects> policies, List<CellEffect> cells, List<String> policiesFlaggedForBalance,
    List<String> policiesFlaggedByNegativeControl, List<RoiFigures> roi) {

  /** The mapper that writes and reads the summary. */
  public static final ObjectMapper JSON = new ObjectMapper()
      .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
      .enable(SerializationFeature.INDENT_OUTPUT)
      .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

  /** How the figures were made. */
  public record Method(String comparison, String estimand, String propensityModel, String outcomeModel, int folds,
      String foldsBy, List<Double> clip, List<Double> overlap, int minCellRows, int minArmRows, double smdThreshold,
      String referredByFlexed, double fdr, double sensitivityStrength, String primaryOutcome, int roiHorizonDays,
      int roiReferralWindowDays, String interval) {}

  /** An estimate with its standard error and 95% interval. */
  public record Figure(double estimate, double se, double low, double high) {
    static Figure of(Interval i) {
      return i == null ? null : new Figure(i.value(), i.se(), i.low(), i.high());
    }
  }

  /** One outcome's figures in one cell. */
  public record EffectFigures(long matureRows, long matureTreated, long matureControl, long customers,
      boolean tooSmall, Figure naive, Figure ipw, Figure doublyRobust, Double pValue, Double qValue,
      boolean significant, Figure placebo, Sensitivity sensitivity, Double maxAbsSmdAfter, boolean balanceFlag) {
    static EffectFigures of(Estimate e) {
      return new EffectFigures(e.matureRows(), e.matureTreated(), e.matureControl(), e.customers(), e.tooSmall(),
          Figure.of(e.naive()), Figure.of(e.ipw()), Figure.of(e.doublyRobust()),
          e.doublyRobust() == null ? null : e.doublyRobust().pValue(), e.qValue(), e.significant(),
          Figure.of(e.placebo()), e.sensitivity(), e.maxAbsSmdAfter(), e.balanceFlag());
    }
  }

  /** The negative-control outcome of a policy: flagged when its effect is significant after the FDR correction. */
  public record NegativeControl(EffectFigures figures, boolean flagged) {}

  /** Everything about one policy. */
  public record PolicyEffects(String policy, long requests, long granted, Double grantRate,
      long grantsOutsideOverlap, Double shareOfGrantsCovered, String population, Double maxAbsSmdBefore,
      Double maxAbsSmdAfter, boolean balanceFlag, Map<String, EffectFigures> effects,
      NegativeControl negativeControl, RoiFigures roi) {

    /** The estimate of the primary outcome (retention at the ROI horizon), if any. */
    public EffectFigures primary(String primaryOutcome) {
      return effects.get(primaryOutcome);
    }
  }

  /** One cell below a policy (policy x segment, policy x team). */
  public record CellEffect(String level, String policy, String segment, String team, String outcome,
      Double shareOfGrantsCovered, EffectFigures figures) {}

  /** ROI of one cell (overall, policy, segment, team). */
  public record RoiFigures(String level, String policy, String segment, String team, long grants, double totalCost,
      long grantsValued, double costValued, Double shareOfGrantsValued, long matureRows, boolean tooSmall,
      Figure retainedPerGrant, Figure referralsPerGrant, Double retainedValue, Double referralValue,
      Figure netValue, Figure roi, Double paybackDays, Double qValue) {
    static RoiFigures of(Roi.Result r) {
      return new RoiFigures(r.level(), r.policy(), r.segment(), r.team(), r.grants(), r.totalCost(),
          r.grantsValued(), r.costValued(), r.shareOfGrantsValued(), r.matureRows(), r.tooSmall(),
          Figure.of(r.retainedPerGrant()), Figure.of(r.referralsPerGrant()), r.retainedValue(), r.referralValue(),
          Figure.of(r.netValue()), Figure.of(r.roi()), r.paybackDays(), r.qValue());
    }

    /** The name of the cell at its level ("overall", the policy, segment or team). */
    public String name() {
      return switch (level) {
        case "policy" -> policy;
        case "segment" -> segment;
        case "team" -> team;
        default -> "overall";
      };
    }
  }

  /** The overall ROI row, if any. */
  public RoiFigures overall() {
    return roi.stream().filter(r -> r.level().equals(Level.OVERALL.label())).findFirst().orElse(null);
  }

  /** The ROI rows of one level. */
  public List<RoiFigures> roi(Level level) {
    return roi.stream().filter(r -> r.level().equals(level.label())).toList();
  }

  public static EffectsSummary read(InputStream in) throws IOException {
    return JSON.readValue(in, EffectsSummary.class);
  }

  public String write() throws IOException {
    return JSON.writeValueAsString(this);
  }

  /** The name of the primary outcome: retention at the ROI horizon. */
  static String primaryOutcome(EffectSettings s) {
    return "retention_" + s.roiHorizonDays() + "d";
  }

  static EffectsSummary of(String runDate, EffectSettings s, EffectsEstimator.Result r) {
    String primary = primaryOutcome(s);
    Map<String, Double[]> smd = new TreeMap<>();
    for (Balance.FeatureBalance b : r.balance()) {
      if (b.level().equals(Level.POLICY.label()) && b.days() == s.roiHorizonDays()) {
        Double[] w = smd.computeIfAbsent(b.policy(), k -> new Double[] {0.0, 0.0});
        w[0] = Math.max(w[0], Math.abs(b.smdBefore()));
        w[1] = Math.max(w[1], Math.abs(b.smdAfter()));
      }
    }
    Map<String, RoiFigures> roiByPolicy = new TreeMap<>();
    List<RoiFigures> roi = new ArrayList<>();
    for (Roi.Result x : r.roi()) {
      RoiFigures f = RoiFigures.of(x);
      roi.add(f);
      if (x.level().equals(Level.POLICY.label())) {
        roiByPolicy.put(x.policy(), f);
      }
    }
    Map<String, List<Estimate>> byPolicy = new TreeMap<>();
    List<CellEffect> cells = new ArrayList<>();
    for (Estimate e : r.estimates()) {
      if (e.level() == Level.POLICY) {
        byPolicy.computeIfAbsent(e.policy(), k -> new ArrayList<>()).add(e);
      } else if (e.outcome().kind() != EffectOutcome.Kind.NEGATIVE_CONTROL) {
        cells.add(new CellEffect(e.level().label(), e.policy(), e.segment(), e.team(), e.outcome().name(),
            e.support().shareOfGrantsCovered(), EffectFigures.of(e)));
      }
    }
    List<PolicyEffects> policies = new ArrayList<>();
    List<String> flaggedBalance = new ArrayList<>();
    List<String> flaggedNc = new ArrayList<>();
    byPolicy.forEach((policy, es) -> {
      CellSupport support = es.get(0).support();
      Map<String, EffectFigures> effects = new java.util.LinkedHashMap<>();
      NegativeControl nc = null;
      boolean balanceFlag = false;
      for (Estimate e : es) {
        if (e.outcome().kind() == EffectOutcome.Kind.NEGATIVE_CONTROL) {
          nc = new NegativeControl(EffectFigures.of(e), e.significant());
          if (e.significant()) {
            flaggedNc.add(policy);
          }
        } else {
          effects.put(e.outcome().name(), EffectFigures.of(e));
          balanceFlag |= e.outcome().name().equals(primary) && e.balanceFlag();
        }
      }
      if (balanceFlag) {
        flaggedBalance.add(policy);
      }
      Double[] w = smd.get(policy);
      policies.add(new PolicyEffects(policy, support.rows(), support.granted(),
          support.rows() == 0 ? null : (double) support.granted() / support.rows(), support.grantedOutsideOverlap(),
          support.shareOfGrantsCovered(), populationLabel(support), w == null ? null : w[0], w == null ? null : w[1],
          balanceFlag, effects, nc, roiByPolicy.get(policy)));
    });
    Method method = new Method(
        "granted vs denied requests of the same policy, features at the request time",
        "ATT: the effect on the granted requests that have comparable denied ones (propensity at most "
            + s.overlapHigh() + (s.overlapLow() > 0 ? " and at least " + s.overlapLow() : "") + ")",
        s.propensityModel(), s.outcomeModel(), s.folds(), "customer", List.of(s.clipLow(), s.clipHigh()),
        List.of(s.overlapLow(), s.overlapHigh()), s.minCellRows(), s.minArmRows(), s.smdThreshold(),
        s.referredByFlexed(), s.fdr(), s.sensitivityStrength(), primary, s.roiHorizonDays(),
        s.roiReferralWindowDays(), "95%, cluster-robust (by customer)");
    return new EffectsSummary(runDate, method, r.population(), policies, cells, flaggedBalance, flaggedNc, roi);
  }

  /** "ATT on the overlap: 93% of grants". */
  static String populationLabel(CellSupport s) {
    Double share = s.shareOfGrantsCovered();
    return share == null ? "no grants" : String.format(Locale.ROOT, "ATT on the overlap: %.0f%% of grants",
        100 * share);
  }
}
