package dev.leeway.quality;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One data-quality check of one run: what was measured (for a table, or for one reason code of it), the threshold
 * it was judged against, the severity, and how it came out: {@code PASS}, {@code WARN}, {@code FAIL}, or
 * {@code MEASURED} (not judged: severity off, too few rows, or nothing to compare with).
 */
public record GateResult(String check, String table, Double measured, Double threshold, String severity,
    String outcome, String detail) {
  public static final String PASS = "PASS";
  public static final String WARN = "WARN";
  public static final String FAIL = "FAIL";
  public static final String MEASURED = "MEASURED";

  /** One line for stderr and warnings: the check, the table, the measured value and the threshold. */
  public String describe() {
    return check + " of " + table + " = " + format(measured) + (threshold == null ? "" : ", threshold "
        + format(threshold)) + (detail == null || detail.isEmpty() ? "" : " (" + detail + ")");
  }

  static String format(Double v) {
    if (v == null) {
      return "n/a";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return String.valueOf(v.longValue());
    }
    // Four significant digits, without trailing zeros: 0.75, 0.0012, 123.5.
    return new java.math.BigDecimal(v).round(new java.math.MathContext(4)).stripTrailingZeros().toPlainString();
  }

  /** The result as status.json shows it. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("check", check);
    m.put("table", table);
    m.put("measured", measured);
    m.put("threshold", threshold);
    m.put("severity", severity);
    m.put("outcome", outcome);
    m.put("detail", detail);
    return m;
  }
}
