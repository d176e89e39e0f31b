package dev.leeway.quality;

import dev.leeway.run.FailureDetails;
import java.util.List;
import java.util.Map;

/** A data-quality gate of severity "fail" failed: the stage publishes nothing. */
public final class GateFailure extends RuntimeException implements FailureDetails {
  private static final long serialVersionUID = 1L;
  private final transient List<GateResult> results;

  public GateFailure(String message, List<GateResult> results) {
    super(message);
    this.results = List.copyOf(results);
  }

  public List<GateResult> results() {
    return results;
  }

  @Override
  public Map<String, Object> details() {
    return Map.of("gates", results.stream().map(GateResult::toMap).toList());
  }
}
