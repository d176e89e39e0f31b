package dev.leeway.support;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.round;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.StructField;

/** Two tables hold the same rows (as multisets), whatever their column order. */
public final class SameRows {
  private SameRows() {}

  /** For test-sized tables: both are read once into the test JVM and compared as sorted lists. */
  public static void assertSameRows(Dataset<Row> expected, Dataset<Row> actual, String what) {
    Column[] columns = byName(expected);
    List<String> e = sortedRows(expected.select(columns));
    List<String> a = sortedRows(actual.select(columns));
    if (!e.equals(a)) {
      List<String> onlyExpected = minus(e, a);
      List<String> onlyActual = minus(a, e);
      fail(String.format("%s: %d rows against %d; %d only in the first, e.g. %s; %d only in the second, e.g. %s",
          what, e.size(), a.size(), onlyExpected.size(), head(onlyExpected), onlyActual.size(), head(onlyActual)));
    }
  }

  private static List<String> sortedRows(Dataset<Row> d) {
    return d.collectAsList().stream().map(Row::toString).sorted().toList();
  }

  /** The rows of {@code from} left after one removal per row of {@code rows} (multisets). */
  private static List<String> minus(List<String> from, List<String> rows) {
    Map<String, Long> left = from.stream().collect(Collectors.groupingBy(r -> r, Collectors.counting()));
    rows.forEach(r -> left.computeIfPresent(r, (k, n) -> n > 1 ? n - 1 : null));
    List<String> out = new ArrayList<>();
    left.forEach((r, n) -> out.addAll(Collections.nCopies(n.intValue(), r)));
    return out;
  }

  private static List<String> head(List<String> rows) {
    return rows.subList(0, Math.min(3, rows.size()));
  }

  /** The columns by name; reals rounded to 6 decimals (sums of amounts differ in the last bits with their order). */
  private static Column[] byName(Dataset<Row> d) {
    return Arrays.stream(d.schema().fields()).sorted(Comparator.comparing(StructField::name))
        .map(f -> f.dataType() instanceof DoubleType ? round(col("`" + f.name() + "`"), 6).as(f.name())
            : col("`" + f.name() + "`"))
        .toArray(Column[]::new);
  }
}
