package dev.leeway.run;

import java.util.Map;

/** A failure that carries details worth keeping in the failed stage's entry of status.json (such as gate results). */
public interface FailureDetails {
  Map<String, Object> details();
}
