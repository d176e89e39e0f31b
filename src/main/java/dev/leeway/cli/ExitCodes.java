package dev.leeway.cli;

/** Exit codes a scheduler can act on. */
public final class ExitCodes {
  private ExitCodes() {}

  /** The run succeeded. */
  public static final int OK = 0;
  /** Leeway or Spark failed; retrying may help, otherwise report it. */
  public static final int FAILED = 1;
  /** Wrong command line or configuration: fix the call or conf/ file. */
  public static final int USAGE = 2;
  /** Bad input (missing folder, file or column): fix the input data. */
  public static final int BAD_INPUT = 3;
  /** Another run of the same run date holds its lease: nothing was done; retry once that run has finished. */
  public static final int LOCKED = 4;
  /**
   * A data-quality gate of severity "fail" failed (a truncated export, most rows quarantined, ...): the stage
   * published nothing; status.json and stderr name the check, the measured value and the threshold.
   */
  public static final int GATE = 5;
}
