package dev.leeway.causal;

import dev.leeway.config.LeewayConfig.EffectSettings;
import dev.leeway.run.StageContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** effects/summary.json: the figures the leadership report reads, per policy, segment and team. */
final class Summary {
  private Summary() {}

  static Map<String, Object> of(StageContext ctx, EffectsEstimator.Result r) {
    EffectSettings s = ctx.config().effects();
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("run_date", ctx.runDate().toString());
    doc.put("method", method(s));
    doc.put("population", r.population());

    Map<String, Map<String, Object>> policies = new TreeMap<>();
    Map<String, List<Object>> cells = new LinkedHashMap<>();
    cells.put("policy_segment", new ArrayList<>());
    cells.put("policy_team", new ArrayList<>());
    for (Estimate e : r.estimates()) {
      if (e.level() == Level.POLICY) {
        Map<String, Object> p = policies.computeIfAbsent(e.policy(), k -> new LinkedHashMap<>());
        p.put("requests", e.rows());
        p.put("granted", e.granted());
        p.put("grant_rate", e.rows() == 0 ? null : (double) e.granted() / e.rows());
        p.put("rows_outside_overlap", e.rowsOutsideOverlap());
        p.put("balance_flag", e.balanceFlag());
        @SuppressWarnings("unchecked")
        Map<String, Object> effects = (Map<String, Object>) p.computeIfAbsent("effects", k -> new LinkedHashMap<>());
        effects.put(e.outcome().name(), estimate(e));
      } else {
        Map<String, Object> c = new LinkedHashMap<>();
        c.put("policy", e.policy());
        c.put(e.level() == Level.POLICY_SEGMENT ? "segment" : "team",
            e.level() == Level.POLICY_SEGMENT ? e.segment() : e.team());
        c.put("outcome", e.outcome().name());
        c.putAll(estimate(e));
        cells.get(e.level().label()).add(c);
      }
    }
    Map<String, double[]> worst = new TreeMap<>();
    for (Balance.FeatureBalance b : r.balance()) {
      double[] w = worst.computeIfAbsent(b.policy(), k -> new double[2]);
      w[0] = Math.max(w[0], Math.abs(b.smdBefore()));
      w[1] = Math.max(w[1], Math.abs(b.smdAfter()));
    }
    List<String> flagged = new ArrayList<>();
    worst.forEach((policy, w) -> {
      Map<String, Object> p = policies.computeIfAbsent(policy, k -> new LinkedHashMap<>());
      p.put("max_abs_smd_before", w[0]);
      p.put("max_abs_smd_after", w[1]);
      if (w[1] > s.smdThreshold()) {
        flagged.add(policy);
      }
    });
    Map<String, Object> roi = new LinkedHashMap<>();
    for (Roi.Result x : r.roi()) {
      String label = switch (x.level()) {
        case "overall" -> "overall";
        case "policy" -> "policy:" + x.policy();
        case "segment" -> "segment:" + x.segment();
        default -> "team:" + x.team();
      };
      roi.put(label, x);
      if (x.level().equals("policy")) {
        policies.computeIfAbsent(x.policy(), k -> new LinkedHashMap<>()).put("roi", x);
      }
    }
    doc.put("policies", policies);
    doc.put("policies_flagged_for_balance", flagged);
    doc.put("cells", cells);
    doc.put("roi", roi);
    return doc;
  }

  private static Map<String, Object> method(EffectSettings s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("comparison", "granted vs denied requests of the same policy, features at the request time");
    m.put("propensity_model", s.propensityModel());
    m.put("outcome_model", s.outcomeModel());
    m.put("folds", s.folds());
    m.put("clip", List.of(s.clipLow(), s.clipHigh()));
    m.put("overlap", List.of(s.overlapLow(), s.overlapHigh()));
    m.put("min_cell_rows", s.minCellRows());
    m.put("min_arm_rows", s.minArmRows());
    m.put("smd_threshold", s.smdThreshold());
    m.put("bootstrap_replicates", s.bootstrapReplicates());
    m.put("roi_horizon_days", s.roiHorizonDays());
    m.put("roi_referral_window_days", s.roiReferralWindowDays());
    m.put("interval", "95%");
    return m;
  }

  private static Map<String, Object> estimate(Estimate e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("mature_rows", e.matureRows());
    m.put("mature_treated", e.matureTreated());
    m.put("mature_control", e.matureControl());
    m.put("too_small", e.tooSmall());
    if (!e.tooSmall()) {
      m.put("naive", triple(e.naive()));
      m.put("ipw", triple(e.ipw()));
      Map<String, Object> aipw = triple(e.aipw());
      aipw.put("se", e.aipw().se());
      aipw.put("significant", e.aipw().significant());
      m.put("aipw", aipw);
      m.put("placebo", e.placebo() == null ? null : triple(e.placebo()));
    }
    return m;
  }

  private static Map<String, Object> triple(AttSums.Estimate e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("estimate", e.value());
    m.put("low", e.low());
    m.put("high", e.high());
    return m;
  }
}
