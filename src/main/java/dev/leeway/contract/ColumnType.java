package dev.leeway.contract;

import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/** The types a raw input column can be conformed to. */
public enum ColumnType {
  /** Trimmed text, kept as written. */
  TEXT(DataTypes.StringType),
  /** Trimmed, upper-cased code such as a policy or decision. */
  CODE(DataTypes.StringType),
  /** A calendar date, ISO yyyy-MM-dd. */
  DATE(DataTypes.DateType),
  /** An instant, ISO-8601 (yyyy-MM-dd HH:mm:ss or with 'T'; optional zone, UTC when absent). */
  TIMESTAMP(DataTypes.TimestampType),
  /** A finite decimal number. */
  NUMBER(DataTypes.DoubleType),
  /** true/false (also yes/no, 1/0, t/f), case-insensitive. */
  BOOLEAN(DataTypes.BooleanType);

  private final DataType sparkType;

  ColumnType(DataType sparkType) {
    this.sparkType = sparkType;
  }

  public DataType sparkType() {
    return sparkType;
  }
}
