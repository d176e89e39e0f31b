package dev.leeway.run;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * One attempt at a run date: its number (1, 2, ... per date, allocated under the run's lease), the stages it has
 * published so far, and what the running stage read. A stage refuses inputs that an earlier stage of this same
 * attempt published but that now carry another attempt (another run replaced them): a run never mixes attempts of
 * its own stages. A stage run on its own ({@code leeway score}) reads what earlier attempts published, by design,
 * and records which attempt that was.
 */
public final class RunAttempt {
  private final int number;
  private final Set<String> published = new HashSet<>();
  private Map<String, Object> inputs = new LinkedHashMap<>();

  public RunAttempt(int number) {
    this.number = number;
  }

  public int number() {
    return number;
  }

  /** Starts a stage: forgets the previous stage's inputs. */
  void startStage() {
    inputs = new LinkedHashMap<>();
  }

  void published(String stage) {
    published.add(stage);
  }

  /** Fails when an input of {@code inputAttempt} may not be mixed into this attempt. */
  void checkInput(String runDate, String stage, int inputAttempt) {
    if (inputAttempt == number) {
      return;
    }
    if (published.contains(stage)) {
      throw new IllegalStateException("The " + stage + " outputs of " + runDate + " are now attempt " + inputAttempt
          + "'s, not this attempt's (" + number + "): another run of this date replaced them. This run stops so "
          + "that it does not mix attempts; rerun it");
    }
  }

  void input(String key, Object what) {
    inputs.put(key, what);
  }

  /**
   * What the running stage read so far: per stage, the run date, attempt and snapshots; per file it depends on,
   * its content or fingerprint.
   */
  public Map<String, Object> inputs() {
    return inputs;
  }
}
