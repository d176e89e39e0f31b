package dev.leeway.contract;

import java.util.function.Function;
import org.apache.spark.sql.Column;

/**
 * A rule across columns of one row. {@code violated} receives a view of the row's columns and returns a boolean
 * column, true where the row breaks the rule.
 */
public record RowRule(String reason, Function<View, Column> violated) {
  /** The parsed value of a contract column, and whether its raw value was empty. */
  public interface View {
    Column typed(String column);

    Column blank(String column);
  }
}
