package dev.leeway.quality;

import dev.leeway.config.LeewayConfig.Gate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Judges measurements against thresholds, Deequ-style: each check is measured, then compared with its threshold at
 * its severity. {@link #enforce} throws when a check of severity "fail" failed, naming every such check, its
 * measured value and its threshold.
 */
public final class Gates {
  private final String stage;
  private final List<GateResult> results = new ArrayList<>();

  public Gates(String stage) {
    this.stage = stage;
  }

  /** The check passes when {@code measured <= gate.threshold}. */
  public void atMost(String check, String table, double measured, Gate gate, String detail) {
    judge(check, table, measured, gate.threshold(), gate.severity(), measured <= gate.threshold(), detail);
  }

  /** The check passes when {@code measured >= threshold}. */
  public void atLeast(String check, String table, double measured, double threshold, String severity,
      String detail) {
    judge(check, table, measured, threshold, severity, measured >= threshold, detail);
  }

  /** Measured but not judged, and why. */
  public void measured(String check, String table, Double measured, String why) {
    results.add(new GateResult(check, table, measured, null, "off", GateResult.MEASURED, why));
  }

  private void judge(String check, String table, double measured, double threshold, String severity, boolean ok,
      String detail) {
    String outcome = "off".equals(severity) ? GateResult.MEASURED
        : ok ? GateResult.PASS : "fail".equals(severity) ? GateResult.FAIL : GateResult.WARN;
    results.add(new GateResult(check, table, measured, threshold, severity, outcome, detail));
  }

  public List<GateResult> results() {
    return List.copyOf(results);
  }

  /** One line per check that warned. */
  public List<String> warnings() {
    return results.stream().filter(r -> GateResult.WARN.equals(r.outcome()))
        .map(r -> "data-quality gate " + r.describe()).toList();
  }

  /** Throws {@link GateFailure} when a check of severity "fail" failed. */
  public void enforce() {
    List<GateResult> failed = results.stream().filter(r -> GateResult.FAIL.equals(r.outcome())).toList();
    if (!failed.isEmpty()) {
      throw new GateFailure("Data-quality gate failed, nothing of " + stage + " was published: "
          + failed.stream().map(GateResult::describe).collect(Collectors.joining("; "))
          + " (thresholds under leeway.gates)", results);
    }
  }
}
