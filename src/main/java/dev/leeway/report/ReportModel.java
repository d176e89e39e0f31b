package dev.leeway.report;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the stages' summaries into what the report says: figures with intervals and a verdict in words per policy,
 * segment and team. Pure: maps in, maps out (the same model feeds the HTML, the JSON and the CSV exports).
 */
final class ReportModel {
  private ReportModel() {}

  static final String PAYS = "pays";
  static final String LOSES = "does not pay";
  static final String UNCLEAR = "unclear";
  static final String TOO_LITTLE = "too little data";

  /** The verdict on an ROI interval: pays when it is wholly above 0, does not pay when wholly below. */
  static String verdict(Map<String, Object> roi) {
    if (roi == null || Boolean.TRUE.equals(roi.get("tooSmall")) || roi.get("roi") == null) {
      return TOO_LITTLE;
    }
    Double low = num(roi.get("roiLow"));
    Double high = num(roi.get("roiHigh"));
    if (low != null && low > 0) {
      return PAYS;
    }
    if (high != null && high < 0) {
      return LOSES;
    }
    return UNCLEAR;
  }

  /** A sentence a reader can take away, e.g. "Every 1 spent returned 7.48 in net value (5.73 to 9.45)." */
  static String sentence(String who, Map<String, Object> roi) {
    String v = verdict(roi);
    return switch (v) {
      case TOO_LITTLE -> who + ": too few matured requests to tell whether flexing pays.";
      case PAYS -> String.format(Locale.ROOT, "%s: pays. Each 1 spent returned %s in net value (95%% interval %s to "
          + "%s).", who, fmt(num(roi.get("roi"))), fmt(num(roi.get("roiLow"))), fmt(num(roi.get("roiHigh"))));
      case LOSES -> String.format(Locale.ROOT, "%s: does not pay. Each 1 spent lost %s (95%% interval %s to %s).",
          who, fmt(-num(roi.get("roi"))), fmt(num(roi.get("roiLow"))), fmt(num(roi.get("roiHigh"))));
      default -> String.format(Locale.ROOT, "%s: unclear. The ROI estimate is %s, but its 95%% interval (%s to %s) "
          + "includes zero.", who, fmt(num(roi.get("roi"))), fmt(num(roi.get("roiLow"))), fmt(num(roi.get("roiHigh"))));
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

  static String pct(Double v) {
    return v == null || !Double.isFinite(v) ? "–" : String.format(Locale.ROOT, "%+.1f pts", v * 100);
  }

  /** The ROI rows of one level ("policy", "segment", "team"), each with its verdict and sentence. */
  @SuppressWarnings("unchecked")
  static List<Map<String, Object>> roiRows(Map<String, Object> effects, String level) {
    List<Map<String, Object>> out = new ArrayList<>();
    Map<String, Object> roi = (Map<String, Object>) effects.getOrDefault("roi", Map.of());
    for (Map.Entry<String, Object> e : roi.entrySet()) {
      if (e.getKey().startsWith(level + ":")) {
        Map<String, Object> r = (Map<String, Object>) e.getValue();
        String name = e.getKey().substring(level.length() + 1);
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("name", name);
        row.put("grants", r.get("grants"));
        row.put("cost", r.get("totalCost"));
        row.put("net_value", r.get("netValue"));
        row.put("net_value_low", r.get("netValueLow"));
        row.put("net_value_high", r.get("netValueHigh"));
        row.put("roi", r.get("roi"));
        row.put("roi_low", r.get("roiLow"));
        row.put("roi_high", r.get("roiHigh"));
        row.put("verdict", verdict(r));
        row.put("sentence", sentence(name, r));
        out.add(row);
      }
    }
    return out;
  }
}
