package dev.leeway.contract;

import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;

/**
 * The values of a 64-bit column that occur more than once. Spark's hash aggregate does this at several microseconds
 * a row when nearly every value is distinct (a table's keys): its map spills and sorts. Here the values are
 * partitioned by value, so each occurs in one task, and each task sorts its share as a primitive array and emits
 * each repeated value once.
 */
final class Repeats {
  /** The most values one task sorts: 4 M longs, 32 MB. */
  static final long VALUES_PER_TASK = 4_000_000;

  private Repeats() {}

  /**
   * @param values rows of one non-null long column
   * @param rows how many rows {@code values} has (or a bound): it sets how many tasks share the sort
   * @param minTasks the fewest tasks to use
   * @return one row per repeated value, in a column named as the input's
   */
  static Dataset<Row> of(Dataset<Row> values, long rows, int minTasks) {
    String name = values.columns()[0];
    int tasks = (int) Math.max(minTasks, Math.min(100_000, (rows + VALUES_PER_TASK - 1) / VALUES_PER_TASK));
    Column c = values.col(name);
    return values.repartition(tasks, c).as(Encoders.LONG()).mapPartitions(repeatedIn(), Encoders.LONG())
        .toDF(name);
  }

  private static MapPartitionsFunction<Long, Long> repeatedIn() {
    return it -> {
      long[] v = new long[1024];
      int n = 0;
      while (it.hasNext()) {
        if (n == v.length) {
          v = Arrays.copyOf(v, v.length * 2);
        }
        v[n++] = it.next();
      }
      Arrays.sort(v, 0, n);
      return repeated(v, n);
    };
  }

  /** Each value of the sorted {@code v[0..n)} that occurs more than once, once. */
  static Iterator<Long> repeated(long[] v, int n) {
    return new Iterator<>() {
      private int i = advance(0);

      /** The index of the first value at or after {@code from} that repeats, or n. */
      private int advance(int from) {
        int j = from;
        while (j + 1 < n && v[j] != v[j + 1]) {
          j++;
        }
        return j + 1 < n ? j : n;
      }

      @Override
      public boolean hasNext() {
        return i < n;
      }

      @Override
      public Long next() {
        if (i >= n) {
          throw new NoSuchElementException();
        }
        long value = v[i];
        int j = i;
        while (j < n && v[j] == value) {
          j++;
        }
        i = advance(j);
        return value;
      }
    };
  }
}
