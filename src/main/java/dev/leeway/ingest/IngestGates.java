package dev.leeway.ingest;

import dev.leeway.config.LeewayConfig.GateSettings;
import dev.leeway.contract.ColumnSpec;
import dev.leeway.contract.TableContract;
import dev.leeway.quality.GateLog;
import dev.leeway.quality.Gates;
import dev.leeway.run.TableCounts;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The data-quality gates of ingest, measured on what the audit branch holds (before anything is published): rows
 * per table (a minimum, and the change since the previous ingest), quarantine share per table and per reason, the
 * share of rows missing a key value, freshness of requests and activity, and schema drift.
 */
final class IngestGates {
  static final String SCHEMA_COLUMNS = "columns: ";

  /** What ingest measured of one table. */
  record Measures(TableContract contract, TableCounts counts, long rowsTotal, List<String> columns,
      Optional<LocalDate> newest) {}

  private IngestGates() {}

  static Gates judge(GateSettings s, LocalDate runDate, List<Measures> tables, Map<String, Long> previousTotals,
      Optional<LocalDate> previousDate, GateLog log) {
    Gates gates = new Gates(IngestJob.NAME);
    for (Measures m : tables) {
      String t = m.contract().name();
      long min = s.minRows().getOrDefault(t, 0L);
      gates.atLeast("min_rows", t, m.rowsTotal(), min, s.minRowsSeverity(), "rows after ingest");
      rowsChange(gates, s, m, previousTotals.get(t), previousDate);
      shares(gates, s, m);
      if (m.newest().isPresent()) {
        long days = ChronoUnit.DAYS.between(m.newest().get(), runDate);
        gates.atMost("freshness", t, days, s.freshnessDays(), "newest " + m.newest().get());
      }
      schemaDrift(gates, s, m, log.previousDetail(runDate, "schema_drift", t));
    }
    return gates;
  }

  private static void rowsChange(Gates gates, GateSettings s, Measures m, Long previous, Optional<LocalDate> when) {
    String t = m.contract().name();
    if (previous == null || previous == 0) {
      gates.measured("rows_change", t, null, previous == null ? "no previous ingest" : "previous ingest had no rows");
      return;
    }
    double change = (m.rowsTotal() - previous) / (double) previous;
    String detail = m.rowsTotal() + " rows against " + previous + " on " + when.map(LocalDate::toString).orElse("?");
    if (change < 0) {
      gates.atMost("rows_drop", t, -change, s.rowsDrop(), detail);
    } else {
      gates.atMost("rows_growth", t, change, s.rowsGrowth(), detail);
    }
  }

  private static void shares(Gates gates, GateSettings s, Measures m) {
    String t = m.contract().name();
    long in = m.counts().rowsIn();
    long keyMissing = 0;
    for (ColumnSpec c : m.contract().columns()) {
      if (m.contract().uniqueKey().contains(c.name()) || c.referencesCustomer()) {
        keyMissing += m.counts().quarantineReasons().getOrDefault("missing " + c.name(), 0L);
      }
    }
    keyMissing = Math.min(keyMissing, in);
    if (in < s.minRowsForShares()) {
      String why = in + " rows read, fewer than leeway.gates.min_rows_for_shares (" + s.minRowsForShares() + ")";
      gates.measured("quarantine_share", t, in == 0 ? null : m.counts().rowsQuarantined() / (double) in, why);
      gates.measured("key_null_share", t, in == 0 ? null : keyMissing / (double) in, why);
      return;
    }
    gates.atMost("quarantine_share", t, m.counts().rowsQuarantined() / (double) in, s.quarantineShare(),
        m.counts().rowsQuarantined() + " of " + in + " rows read");
    for (Map.Entry<String, Long> r : m.counts().quarantineReasons().entrySet()) {
      gates.atMost("quarantine_reason_share", t, r.getValue() / (double) in, s.quarantineReasonShare(),
          r.getKey() + ": " + r.getValue() + " of " + in);
    }
    gates.atMost("key_null_share", t, keyMissing / (double) in, s.keyNullShare(),
        keyMissing + " of " + in + " rows read miss a key value");
  }

  private static void schemaDrift(Gates gates, GateSettings s, Measures m, Optional<String> previousDetail) {
    String t = m.contract().name();
    String now = SCHEMA_COLUMNS + String.join(",", m.columns());
    Optional<String> before = previousDetail.map(d -> d.substring(Math.max(0, d.indexOf(SCHEMA_COLUMNS))))
        .filter(d -> d.startsWith(SCHEMA_COLUMNS));
    if (before.isEmpty() || m.columns().isEmpty()) {
      gates.measured("schema_drift", t, null, (m.columns().isEmpty() ? "no files read; " : "no previous ingest; ")
          + now);
      return;
    }
    Set<String> was = new LinkedHashSet<>(List.of(before.get().substring(SCHEMA_COLUMNS.length()).split(",")));
    Set<String> is = new LinkedHashSet<>(m.columns());
    List<String> added = new ArrayList<>(is);
    added.removeAll(was);
    List<String> gone = new ArrayList<>(was);
    gone.removeAll(is);
    String detail = (added.isEmpty() && gone.isEmpty() ? "" : "added " + added + ", gone " + gone + "; ") + now;
    gates.atMost("schema_drift", t, added.size() + gone.size(),
        new dev.leeway.config.LeewayConfig.Gate(s.schemaDriftSeverity(), 0), detail);
  }
}
