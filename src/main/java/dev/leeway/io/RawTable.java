package dev.leeway.io;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A raw input table as read: every column a string (lower-case names, PII dropped), plus the source file and
 * the row's 1-based position in it. {@code warnings} name files that were skipped and why. {@code drops} is null for
 * a full extract, else the daily drops read ({@code dt=YYYY-MM-DD} folder names, oldest first). {@code header} is
 * every column name the files have, {@code dropped} those not read (outside the contract and the kept columns).
 */
public record RawTable(String name, Dataset<Row> rows, List<String> files, String format, List<String> warnings,
    List<String> drops, List<String> header, List<String> dropped) {
  /** True when the table arrives as daily drops: what was read is what is new since the last ingest. */
  public boolean dated() {
    return drops != null;
  }
}
