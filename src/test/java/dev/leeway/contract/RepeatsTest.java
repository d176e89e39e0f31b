package dev.leeway.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeSet;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** Repeated values found by sorting each task's share. */
class RepeatsTest {
  private static List<Long> repeated(long... sorted) {
    List<Long> out = new ArrayList<>();
    Repeats.repeated(sorted, sorted.length).forEachRemaining(out::add);
    return out;
  }

  @Test
  void eachRepeatedValueOnceWhereverItsRunIs() {
    assertEquals(List.of(), repeated());
    assertEquals(List.of(), repeated(7));
    assertEquals(List.of(), repeated(1, 2, 3));
    assertEquals(List.of(1L), repeated(1, 1));
    assertEquals(List.of(1L, 3L), repeated(1, 1, 1, 2, 3, 3));
    assertEquals(List.of(Long.MIN_VALUE, 5L), repeated(Long.MIN_VALUE, Long.MIN_VALUE, 0, 5, 5, Long.MAX_VALUE));
  }

  @Test
  void acrossTasksTheRepeatedValuesOfAColumnAreFound() {
    Random r = new Random(3);
    List<Row> rows = new ArrayList<>();
    TreeSet<Long> seen = new TreeSet<>();
    TreeSet<Long> expected = new TreeSet<>();
    for (int i = 0; i < 5_000; i++) {
      long v = r.nextInt(4_000) - 2_000L;
      if (!seen.add(v)) {
        expected.add(v);
      }
      rows.add(RowFactory.create(v));
    }
    var values = TestSpark.session().createDataFrame(rows, new StructType().add("v", DataTypes.LongType, false));
    // 5,000 rows as if each task could sort only a few hundred: many tasks, one value in one of them.
    List<Long> got = Repeats.of(values, 5_000L * 10_000, 2).collectAsList().stream().map(x -> x.getLong(0)).sorted()
        .toList();
    assertEquals(List.copyOf(expected), got);
  }
}
