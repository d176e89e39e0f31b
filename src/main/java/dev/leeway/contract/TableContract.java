package dev.leeway.contract;

import java.util.List;
import java.util.Optional;

/**
 * The contract of one raw input table: its folder name, its required columns, the key that must be unique (if
 * any) and the rules across columns. Columns not named here are allowed and kept.
 */
public record TableContract(
    String name, List<ColumnSpec> columns, List<String> uniqueKey, List<RowRule> rowRules, String meaning) {

  public List<String> columnNames() {
    return columns.stream().map(ColumnSpec::name).toList();
  }

  public Optional<ColumnSpec> column(String name) {
    return columns.stream().filter(c -> c.name().equals(name)).findFirst();
  }
}
