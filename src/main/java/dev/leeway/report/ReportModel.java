package dev.leeway.report;

import dev.leeway.causal.EffectsSummary;
import dev.leeway.causal.EffectsSummary.EffectFigures;
import dev.leeway.causal.EffectsSummary.Figure;
import dev.leeway.causal.EffectsSummary.PolicyEffects;
import dev.leeway.causal.EffectsSummary.RoiFigures;
import dev.leeway.causal.Level;
import dev.leeway.causal.Sensitivity;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the stages' summaries into what the report says: figures with intervals and a verdict in words per policy,
 * segment and team, and the checks a reader needs to trust them. Pure: the typed effects summary in, maps out (the
 * same model feeds the HTML, the JSON and the CSV exports).
 */
final class ReportModel {
  private ReportModel() {}

  static final String PAYS = "pays";
  static final String LOSES = "does not pay";
  static final String UNCLEAR = "unclear";
  static final String TOO_LITTLE = "too little data";

  /**
   * The verdict on an ROI: pays when its interval is wholly above 0, does not pay when wholly below, and for cells
   * compared many at a time (segments, teams) only when that holds after the false-discovery correction.
   */
  static String verdict(RoiFigures roi, double fdr) {
    if (roi == null || roi.tooSmall() || roi.roi() == null) {
      return TOO_LITTLE;
    }
    boolean many = !roi.level().equals(Level.OVERALL.label());
    boolean sure = many ? roi.qValue() != null && roi.qValue() < fdr
        : roi.roi().low() > 0 || roi.roi().high() < 0;
    if (sure && roi.roi().low() > 0) {
      return PAYS;
    }
    if (sure && roi.roi().high() < 0) {
      return LOSES;
    }
    return UNCLEAR;
  }

  /** A sentence a reader can take away, e.g. "Every 1 spent returned 7.48 in net value (5.73 to 9.45)." */
  static String sentence(String who, RoiFigures roi, double fdr) {
    String v = verdict(roi, fdr);
    return switch (v) {
      case TOO_LITTLE -> who + ": too few matured requests to tell whether flexing pays.";
      case PAYS -> String.format(Locale.ROOT, "%s: pays. Each 1 spent returned %s in net value (95%% interval %s to "
          + "%s).", who, fmt(roi.roi().estimate()), fmt(roi.roi().low()), fmt(roi.roi().high()));
      case LOSES -> String.format(Locale.ROOT, "%s: does not pay. Each 1 spent lost %s (95%% interval %s to %s).",
          who, fmt(-roi.roi().estimate()), fmt(roi.roi().low()), fmt(roi.roi().high()));
      default -> String.format(Locale.ROOT, "%s: unclear. The ROI estimate is %s, but its 95%% interval (%s to %s) "
          + "%s.", who, fmt(roi.roi().estimate()), fmt(roi.roi().low()), fmt(roi.roi().high()),
          roi.roi().low() <= 0 && roi.roi().high() >= 0 ? "includes zero"
              : "excludes zero only before allowing for the number of comparisons made at once");
    };
  }

  static Double num(Object o) {
    return o instanceof Number n ? n.doubleValue() : null;
  }

  static String fmt(Double v) {
    if (v == null || !Double.isFinite(v)) {
      return "–";
    }
    double a = Math.abs(v);
    return a >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%.2f", v);
  }

  private static String pct(Double share) {
    return share == null ? "–" : String.format(Locale.ROOT, "%.0f%%", 100 * share);
  }

  /** One ROI cell as a flat row: name, grants and cost (all, and those valued), net value and ROI, verdict. */
  static Map<String, Object> roiRow(RoiFigures r, double fdr) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("name", r.name());
    row.put("grants", r.grants());
    row.put("cost", r.totalCost());
    row.put("grants_valued", r.grantsValued());
    row.put("share_of_grants_valued", r.shareOfGrantsValued());
    row.put("retained_value", r.retainedValue());
    row.put("referral_value", r.referralValue());
    Figure net = r.netValue();
    row.put("net_value", net == null ? null : net.estimate());
    row.put("net_value_low", net == null ? null : net.low());
    row.put("net_value_high", net == null ? null : net.high());
    Figure roi = r.roi();
    row.put("roi", roi == null ? null : roi.estimate());
    row.put("roi_low", roi == null ? null : roi.low());
    row.put("roi_high", roi == null ? null : roi.high());
    row.put("q_value", r.qValue());
    row.put("verdict", verdict(r, fdr));
    row.put("sentence", sentence(r.level().equals(Level.OVERALL.label()) ? "All policies together" : r.name(), r,
        fdr));
    return row;
  }

  /** The ROI rows of one level, each with its verdict and sentence. */
  static List<Map<String, Object>> roiRows(EffectsSummary s, Level level) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (RoiFigures r : s.roi(level)) {
      out.add(roiRow(r, s.method().fdr()));
    }
    return out;
  }

  /**
   * Per policy: its ROI row, requests and grant rate, the population its figures are for, and the doubly robust
   * effect (with interval) on retention at each horizon and on converted referrals.
   */
  static List<Map<String, Object>> policyRows(EffectsSummary s) {
    List<Map<String, Object>> rows = new ArrayList<>();
    for (PolicyEffects p : s.policies()) {
      Map<String, Object> row = p.roi() == null ? new LinkedHashMap<>(Map.of("name", p.policy()))
          : roiRow(p.roi(), s.method().fdr());
      row.put("requests", p.requests());
      row.put("grant_rate", p.grantRate());
      row.put("population", p.population());
      row.put("balance_flag", p.balanceFlag());
      for (Map.Entry<String, EffectFigures> e : p.effects().entrySet()) {
        if (e.getKey().startsWith("retention_") || e.getKey().startsWith("referrals_")) {
          Figure dr = e.getValue().doublyRobust();
          row.put(e.getKey(), dr == null ? null : dr.estimate());
          row.put(e.getKey() + "_low", dr == null ? null : dr.low());
          row.put(e.getKey() + "_high", dr == null ? null : dr.high());
        }
      }
      rows.add(row);
    }
    return rows;
  }

  /** Per policy, in words: the negative control, the sensitivity to a hidden confounder, balance. */
  static List<Map<String, Object>> checks(EffectsSummary s) {
    List<Map<String, Object>> out = new ArrayList<>();
    String primary = s.method().primaryOutcome();
    for (PolicyEffects p : s.policies()) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("policy", p.policy());
      row.put("negative_control", negativeControl(p));
      row.put("negative_control_flagged", p.negativeControl() != null && p.negativeControl().flagged());
      EffectFigures f = p.primary(primary);
      Sensitivity sens = f == null ? null : f.sensitivity();
      row.put("sensitivity", sensitivity(p.policy(), primary, sens, s.method().sensitivityStrength()));
      row.put("sensitivity_verdict", sens == null ? null : sens.verdict().name().toLowerCase(Locale.ROOT));
      row.put("population", p.population());
      out.add(row);
    }
    return out;
  }

  static String negativeControl(PolicyEffects p) {
    EffectFigures f = p.negativeControl() == null ? null : p.negativeControl().figures();
    if (f == null || f.tooSmall() || f.doublyRobust() == null) {
      return "Too few requests with a year and more of history to run the negative-control check.";
    }
    Figure d = f.doublyRobust();
    String figures = String.format(Locale.ROOT, "%+.2f activity events, 95%% interval %+.2f to %+.2f", d.estimate(),
        d.low(), d.high());
    if (p.negativeControl().flagged()) {
      return "Warning: long before their request, granted customers were " + (d.estimate() > 0 ? "more" : "less")
          + " active than the comparable denied ones (" + figures + "). A grant cannot cause that, so the "
          + "comparison carries a difference the data does not capture; read this policy's effects with care.";
    }
    return "Passed: long before their request, granted customers were as active as the comparable denied ones ("
        + figures + "): no sign of a hidden difference between them.";
  }

  /** "retention_365d" as a reader says it: "retention at 365 days". */
  static String readable(String outcome) {
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("([a-z_]+?)_(\\d+)d").matcher(outcome);
    return m.matches() ? m.group(1).replace('_', ' ') + " at " + m.group(2) + " days" : outcome.replace('_', ' ');
  }

  static String sensitivity(String policy, String outcome, Sensitivity s, double strength) {
    if (s == null || s.verdict() == Sensitivity.Verdict.UNDEFINED) {
      return "Not assessed (too little data).";
    }
    String bench = String.format(Locale.ROOT, "%.0f%%", 100 * strength);
    return switch (s.verdict()) {
      case ROBUST -> String.format(Locale.ROOT, "Robust: a hidden factor would have to explain %s of the variation "
          + "in both the grant decision and %s to make this effect's interval include zero (the bar is %s).",
          pct(s.robustnessValueAtInterval()), readable(outcome), bench);
      case FRAGILE -> String.format(Locale.ROOT, "Fragile: a hidden factor explaining as little as %s of the "
          + "variation in both the grant decision and %s would make this effect's interval include zero (the bar is "
          + "%s).", pct(s.robustnessValueAtInterval()), readable(outcome), bench);
      default -> "No effect to explain away: the estimate's 95% interval already includes zero.";
    };
  }

  /**
   * The policy x segment and policy x team cells of the primary outcome: how many were tested, and those whose
   * effect is significant after the false-discovery correction.
   */
  static Map<String, Object> cells(EffectsSummary s) {
    String primary = s.method().primaryOutcome();
    int tested = 0;
    List<Map<String, Object>> significant = new ArrayList<>();
    for (EffectsSummary.CellEffect c : s.cells()) {
      if (!c.outcome().equals(primary) || c.figures().tooSmall()) {
        continue;
      }
      tested++;
      if (c.figures().significant()) {
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("policy", c.policy());
        row.put("cell", c.level().equals(Level.POLICY_SEGMENT.label()) ? "segment " + c.segment() : "team " + c.team());
        row.put("effect", c.figures().doublyRobust().estimate());
        row.put("low", c.figures().doublyRobust().low());
        row.put("high", c.figures().doublyRobust().high());
        row.put("q_value", c.figures().qValue());
        significant.add(row);
      }
    }
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("outcome", readable(primary));
    out.put("tested", tested);
    out.put("significant", significant);
    return out;
  }
}
