package dev.leeway.contract;

import java.io.Serializable;

/**
 * A rule across columns of one row. {@code violated} receives a view of the row's values and returns true where the
 * row breaks the rule. It runs in every task, so it is serializable.
 */
public record RowRule(String reason, Check violated) implements Serializable {
  /** The rule's test of one row. */
  @FunctionalInterface
  public interface Check extends Serializable {
    boolean test(View row);
  }

  /** The parsed value of a contract column (null when empty or unparseable), and whether its raw value was empty. */
  public interface View {
    /** Text and codes as strings, numbers as doubles, booleans as booleans; dates and instants as numbers. */
    Object typed(String column);

    boolean blank(String column);
  }
}
