package dev.leeway.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.DecimalType;

/**
 * Aggregates a customer's events in time windows relative to each of the customer's requests without joining
 * requests to events. Each request adds a few probe rows, one per window boundary; a customer's events and probes
 * are sorted together once, running totals are carried along that order, and a window's total is the running total
 * at its end probe less the one at its start probe. Work and memory are linear in events plus probes, never
 * requests x events: one customer with a million events and hundreds of requests costs one sort of a million rows
 * (a large partition spills to disk).
 *
 * <p>Times are whole epoch seconds. The sort key is twice the second; a probe for "up to and including second b"
 * sorts at 2b + 1, after every event of that second and before any later one, so each boundary of the row-by-row
 * definition holds exactly. Counts are totalled as longs and money as decimal(38, 6), so differences of running
 * totals are exact (a decimal sum is several times the work of a long one, so only money is one).
 */
public final class EventSweep {
  private static final String T = "__sweep_t";
  private static final String PROBE = "__sweep_probe";
  private static final DecimalType MONEY = DataTypes.createDecimalType(38, 6);

  /**
   * A running total carried along each customer's events: the sum of {@code value} (null counts nothing) as the
   * type {@code total}, or, with {@code max}, its running maximum ({@code total} null: the value's own type).
   */
  public record Running(String name, Column value, boolean max, DataType total) {
    /** A running count: the sum of a whole-number {@code value}, as a long. */
    public static Running count(String name, Column value) {
      return new Running(name, value, false, DataTypes.LongType);
    }

    /** A running sum of money, as decimal(38, 6). */
    public static Running money(String name, Column value) {
      return new Running(name, value, false, MONEY);
    }

    public static Running max(String name, Column value) {
      return new Running(name, value, true, null);
    }

    /** The value as it is totalled. */
    Column typed() {
      return max ? value : value.cast(total);
    }
  }

  /**
   * One output: the total of running total {@code running} over the events whose second lies in
   * {@code [at + fromSeconds, at + toSeconds]} (both ends included; {@code at} is the request's second), e.g.
   * [-30 days, -1] is "in the 30 days before the request". {@code Long.MIN_VALUE} as {@code fromSeconds}: from the
   * first event (the only window a running maximum answers). Zero (null for a maximum) when no event is in it.
   */
  public record Agg(String name, String running, long fromSeconds, long toSeconds) {}

  private EventSweep() {}

  /**
   * Per request of {@code requests} (columns {@code key}, {@code customer}, {@code atSeconds}), the outputs over
   * {@code events} (columns {@code customer}, {@code eventSeconds} and whatever the running totals read).
   */
  public static Dataset<Row> sweep(Dataset<Row> requests, String key, String customer, String atSeconds,
      Dataset<Row> events, String eventSeconds, List<Running> runnings, List<Agg> aggs) {
    Map<String, Running> byName = byName(runnings, aggs);
    // The probe offsets (seconds after the request, inclusive ends) every output needs.
    List<Long> offsets = new ArrayList<>();
    for (Agg a : aggs) {
      addOnce(offsets, a.toSeconds());
      if (a.fromSeconds() != Long.MIN_VALUE) {
        addOnce(offsets, a.fromSeconds() - 1);
      }
    }
    Column[] probeOffsets = offsets.stream().map(o -> lit(o)).toArray(Column[]::new);
    Dataset<Row> probes = requests.select(col(key), col(customer), col(atSeconds),
            explode(org.apache.spark.sql.functions.array(probeOffsets)).as(PROBE))
        .select(col(key), col(customer), col(PROBE), col(atSeconds).plus(col(PROBE)).multiply(2).plus(1).as(T));
    Dataset<Row> marked = events.withColumn(T, col(eventSeconds).multiply(2));
    List<Column> values = new ArrayList<>(List.of(col(customer), col(T), lit(null).cast(requests.schema().apply(key).dataType()).as(key),
        lit(null).cast("long").as(PROBE)));
    for (Running r : runnings) {
      values.add(r.typed().as(r.name()));
    }
    Dataset<Row> all = marked.select(values.toArray(Column[]::new)).unionByName(probes, true);
    // Probes carry no values; on equal sort keys (two probes) the running totals are the same either way.
    WindowSpec upToHere = Window.partitionBy(col(customer)).orderBy(col(T))
        .rowsBetween(Window.unboundedPreceding(), Window.currentRow());
    List<Column> running = new ArrayList<>(List.of(col(key), col(PROBE)));
    for (Running r : runnings) {
      running.add((r.max() ? max(col(r.name())) : sum(col(r.name()))).over(upToHere).as(r.name()));
    }
    Dataset<Row> atProbes = all.select(running.toArray(Column[]::new)).where(col(key).isNotNull());
    List<Column> outs = new ArrayList<>();
    for (Agg a : aggs) {
      Running r = byName.get(a.running());
      Column end = valueAt(r, a.toSeconds());
      Column total = a.fromSeconds() == Long.MIN_VALUE ? end
          : org.apache.spark.sql.functions.coalesce(end, lit(0)).minus(
              org.apache.spark.sql.functions.coalesce(valueAt(r, a.fromSeconds() - 1), lit(0)));
      outs.add(r.max() ? total.as(a.name()) : org.apache.spark.sql.functions.coalesce(total, lit(0)).as(a.name()));
    }
    return atProbes.groupBy(col(key)).agg(outs.get(0), outs.subList(1, outs.size()).toArray(Column[]::new));
  }

  /**
   * As {@link #sweep}, when every request is at the same second {@code at}: each window is then the same span of
   * seconds for every customer, so its total is a sum over the customer's events in that span, grouped by customer,
   * and the events are never sorted. The outputs equal the sweep's, type for type.
   */
  public static Dataset<Row> atInstant(Dataset<Row> requests, String key, String customer, long at,
      Dataset<Row> events, String eventSeconds, List<Running> runnings, List<Agg> aggs) {
    Map<String, Running> byName = byName(runnings, aggs);
    List<Column> totals = new ArrayList<>();
    List<Column> outs = new ArrayList<>(List.of(col(key)));
    for (Agg a : aggs) {
      Running r = byName.get(a.running());
      Column second = col(eventSeconds);
      Column in = second.leq(at + a.toSeconds());
      if (a.fromSeconds() != Long.MIN_VALUE) {
        in = in.and(second.geq(at + a.fromSeconds()));
      }
      totals.add((r.max() ? max(when(in, r.typed())) : sum(when(in, r.typed()))).as(a.name()));
      outs.add(r.max() ? col(a.name())
          : org.apache.spark.sql.functions.coalesce(col(a.name()), lit(0)).as(a.name()));
    }
    Dataset<Row> perCustomer = events.groupBy(col(customer))
        .agg(totals.get(0), totals.subList(1, totals.size()).toArray(Column[]::new));
    return requests.select(col(key), col(customer)).join(perCustomer, customer, "left")
        .select(outs.toArray(Column[]::new));
  }

  /** The running totals by name; fails when an output reads none, or a window not from the start of a maximum. */
  private static Map<String, Running> byName(List<Running> runnings, List<Agg> aggs) {
    Map<String, Running> byName = new LinkedHashMap<>();
    runnings.forEach(r -> byName.put(r.name(), r));
    for (Agg a : aggs) {
      Running r = byName.get(a.running());
      if (r == null || (r.max() && a.fromSeconds() != Long.MIN_VALUE)) {
        throw new IllegalArgumentException("Output " + a.name() + " needs a running sum or a maximum from the start");
      }
    }
    return byName;
  }

  /** The running total at the probe of {@code offset} (an aggregate over the request's probe rows). */
  private static Column valueAt(Running r, long offset) {
    return max(when(col(PROBE).equalTo(offset), col(r.name())));
  }

  private static void addOnce(List<Long> offsets, long o) {
    if (!offsets.contains(o)) {
      offsets.add(o);
    }
  }
}
