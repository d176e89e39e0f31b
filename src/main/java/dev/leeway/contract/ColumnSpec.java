package dev.leeway.contract;

import java.util.Set;

/**
 * One column of an input table: its type, whether a value is required, and the value rules that make a row
 * invalid. Dates and timestamps must never lie after the run date. {@code setting} names the configuration key
 * that asks for the column (null for the columns every installation has), so a missing one can say where it
 * comes from.
 */
public record ColumnSpec(
    String name,
    ColumnType type,
    boolean required,
    boolean nonNegative,
    Set<String> allowedValues,
    boolean referencesCustomer,
    String meaning,
    String setting) {

  public static ColumnSpec required(String name, ColumnType type, String meaning) {
    return new ColumnSpec(name, type, true, false, Set.of(), false, meaning, null);
  }

  public static ColumnSpec optional(String name, ColumnType type, String meaning) {
    return new ColumnSpec(name, type, false, false, Set.of(), false, meaning, null);
  }

  public ColumnSpec notNegative() {
    return new ColumnSpec(name, type, required, true, allowedValues, referencesCustomer, meaning, setting);
  }

  public ColumnSpec oneOf(String... values) {
    return new ColumnSpec(name, type, required, nonNegative, Set.of(values), referencesCustomer, meaning, setting);
  }

  /** The value must be the customer_id of a row in customers. */
  public ColumnSpec customerReference() {
    return new ColumnSpec(name, type, required, nonNegative, allowedValues, true, meaning, setting);
  }

  /** The column is in the contract because configuration key {@code key} names it. */
  public ColumnSpec configuredBy(String key) {
    return new ColumnSpec(name, type, required, nonNegative, allowedValues, referencesCustomer, meaning, key);
  }

  public boolean isTemporal() {
    return type == ColumnType.DATE || type == ColumnType.TIMESTAMP;
  }
}
