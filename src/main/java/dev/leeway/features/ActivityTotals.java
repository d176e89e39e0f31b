package dev.leeway.features;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.unix_seconds;
import static org.apache.spark.sql.functions.when;

import dev.leeway.contract.Cols;
import java.util.HashSet;
import java.util.List;
import java.util.OptionalLong;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The running totals over a customer's activity that every activity window is read from, before a request
 * (features) or after it (outcomes, the negative control). Windows of both kinds are totalled in one
 * {@link EventSweep}: activity, the largest table, is sorted once per requests table, not once per kind of window.
 */
public final class ActivityTotals {
  /** Events that are not churn. */
  public static final String EVENTS = "__a_events";
  /** The amounts of the events that are not churn (a missing amount counts 0), as decimal(38, 6). */
  public static final String AMOUNT = "__a_amount";
  /** Churn events. */
  public static final String CHURNS = "__a_churns";
  /** The latest second of an event that is not churn: a running maximum, so only windows from the first event. */
  public static final String LAST = "__a_last";

  private ActivityTotals() {}

  /**
   * Per request of {@code requests} (columns {@code key}, {@code customer}, {@code atSeconds}), the windows
   * {@code aggs} over {@code activity} (a conformed activity table), each a column named by it. Only the running
   * totals the windows read are carried. With {@code instant} (the second every request is at), the windows are
   * totalled by {@link EventSweep#atInstant}, without sorting activity.
   */
  static Dataset<Row> sweep(Dataset<Row> requests, String key, String customer, String atSeconds,
      Dataset<Row> activity, List<EventSweep.Agg> aggs, OptionalLong instant) {
    Column churn = col(Cols.EVENT_TYPE).equalTo(Cols.CHURN);
    Column active = churn.equalTo(false);
    Column second = unix_seconds(col(Cols.EVENT_AT));
    Set<String> used = new HashSet<>();
    aggs.forEach(a -> used.add(a.running()));
    List<EventSweep.Running> runnings = List.of(
            EventSweep.Running.count(EVENTS, when(active, 1L)),
            EventSweep.Running.money(AMOUNT, when(active, coalesce(col(Cols.AMOUNT), lit(0.0)))),
            EventSweep.Running.count(CHURNS, when(churn, 1L)),
            EventSweep.Running.max(LAST, when(active, second)))
        .stream().filter(r -> used.contains(r.name())).toList();
    Dataset<Row> events = activity.select(col(Cols.CUSTOMER_ID).as(customer), second.as("__ev_s"),
        col(Cols.EVENT_TYPE), col(Cols.AMOUNT), col(Cols.EVENT_AT));
    return instant.isPresent()
        ? EventSweep.atInstant(requests, key, customer, instant.getAsLong(), events, "__ev_s", runnings, aggs)
        : EventSweep.sweep(requests, key, customer, atSeconds, events, "__ev_s", runnings, aggs);
  }
}
