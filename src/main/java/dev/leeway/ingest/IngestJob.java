package dev.leeway.ingest;

import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.regexp_extract;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import dev.leeway.config.LeewayConfig;
import dev.leeway.contract.Cols;
import dev.leeway.contract.ColumnSpec;
import dev.leeway.contract.ContractValidator;
import dev.leeway.contract.Contracts;
import dev.leeway.contract.TableContract;
import dev.leeway.io.InputReader;
import dev.leeway.io.RawTable;
import dev.leeway.io.RunLayout;
import dev.leeway.quality.GateLog;
import dev.leeway.quality.GateResult;
import dev.leeway.quality.Gates;
import dev.leeway.run.PausePoints;
import dev.leeway.run.SideBySide;
import dev.leeway.run.Stage;
import dev.leeway.run.StageContext;
import dev.leeway.run.StageResult;
import dev.leeway.run.TableCounts;
import dev.leeway.tables.AuditedWrite;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * Validates every raw row against the data contract and publishes, per input table, a conformed table
 * ({@code conformed_<table>}) and a quarantine of rejected rows with their reasons ({@code quarantine_<table>}),
 * each the run date's partition of an Iceberg table. Rows read = rows conformed + rows quarantined, per table, on
 * the audit branch, or the stage fails and publishes nothing.
 */
public final class IngestJob implements Stage {
  public static final String NAME = "ingest";
  public static final String CONFORMED = "conformed";
  public static final String QUARANTINE = "quarantine";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Object> shapingSettings(LeewayConfig c) {
    return List.of(c.ingest(), c.features());
  }

  /** The published table of a conformed input, e.g. conformed_customers. */
  public static String conformedTable(String table) {
    return CONFORMED + "_" + table;
  }

  /** The published quarantine of an input, e.g. quarantine_exceptions. */
  public static String quarantineTable(String table) {
    return QUARANTINE + "_" + table;
  }

  @Override
  public StageResult run(StageContext ctx) throws Exception {
    LeewayConfig cfg = ctx.config();
    InputReader reader = new InputReader(ctx.spark(), cfg.ingest().csv(), keptColumns(cfg));
    Map<String, TableCounts> counts = new LinkedHashMap<>();
    List<String> warnings = new ArrayList<>();
    ctx.dependsOnFiles(new org.apache.hadoop.fs.Path(cfg.paths().inputRoot()));
    // A table that arrives as daily drops adds the drops since the last ingest to that ingest's conformed rows.
    java.util.Optional<java.time.LocalDate> previous = ctx.published().latestBefore(ctx.runDate(), NAME);
    Map<String, Object> metrics = new LinkedHashMap<>();
    Map<String, Long> snapshots = ctx.writeAuditPublish(NAME, audit -> {
      // Read every header first: a missing folder or column fails the run before any table is scanned.
      List<TableContract> contracts = Contracts.all(cfg.features(), cfg.ingest().policies());
      List<RawTable> raws = new ArrayList<>();
      for (TableContract contract : contracts) {
        RawTable raw = reader.read(cfg.paths().inputRoot(), contract, ctx.runDate(), previous.orElse(null));
        raw.warnings().forEach(w -> warnings.add(contract.name() + ": " + w));
        if (!raw.dropped().isEmpty()) {
          metrics.put(contract.name() + " dropped columns", raw.dropped());
        }
        raws.add(raw);
      }
      // Rows of the previous ingest per table: for the rows-change gates, and the rows daily drops are added to.
      Map<String, Long> previousTotals = previousTotals(ctx, previous, contracts);
      // What each table reads besides its raw files, found here, in order, before any table is checked.
      List<TableInput> inputs = new ArrayList<>();
      for (int i = 0; i < raws.size(); i++) {
        TableContract contract = contracts.get(i);
        RawTable rawTable = raws.get(i);
        Map<String, Object> tableMetrics = new LinkedHashMap<>();
        Dataset<Row> raw = rawTable.rows();
        if (rawTable.dated() && previous.isPresent()) {
          raw = withPendingReferences(ctx, previous.get(), contract, raw, tableMetrics);
        }
        Dataset<Row> base = null;
        if (rawTable.dated()) {
          tableMetrics.put(contract.name() + " drops", rawTable.drops());
          if (previous.isPresent()) {
            base = ctx.input(previous.get(), NAME, conformedTable(contract.name()), "add daily drops to "
                + previous.get() + "'s " + contract.name()).orElse(null);
            tableMetrics.put(contract.name() + " added to", previous.get().toString());
          }
        }
        inputs.add(new TableInput(contract, rawTable, raw, base, previousTotals.getOrDefault(contract.name(), 0L),
            tableMetrics));
      }
      // Every table is checked and written at once, each in its own thread: on small inputs most of a table's time
      // is planning, code generation and commits on the driver, which overlap; on large ones the tasks share the
      // cores as they would in turn. A table that refers to customers checks and counts its rows, then waits for
      // the conformed customers before it marks unknown references.
      java.util.concurrent.CompletableFuture<Known> known = new java.util.concurrent.CompletableFuture<>();
      Map<String, Checked> done;
      try {
        Map<String, TableInput> byName = new LinkedHashMap<>();
        inputs.forEach(t -> byName.put(t.contract().name(), t));
        done = SideBySide.run(List.copyOf(byName.keySet()), byName.size(), name -> "leeway-ingest-" + name, name -> {
          TableInput t = byName.get(name);
          if (!t.contract().name().equals(Contracts.CUSTOMERS.name())) {
            return ingestTable(ctx, audit, t, known);
          }
          try {
            Checked c = ingestTable(ctx, audit, t, null);
            Dataset<Row> ids = audit.onBranch(conformedTable(t.contract().name()))
                .select(col(Cols.CUSTOMER_ID).as(KNOWN_ID)).distinct().persist(StorageLevel.MEMORY_AND_DISK());
            known.complete(new Known(ids, c.written().rowsTotal()));
            return c;
          } catch (Throwable e) {
            known.completeExceptionally(new IllegalStateException("customers could not be ingested", e));
            throw e;
          }
        });
      } finally {
        known.cancel(false);
        if (known.isDone() && !known.isCompletedExceptionally()) {
          known.join().ids().unpersist();
        }
      }
      List<IngestGates.Measures> measures = new ArrayList<>();
      for (TableInput t : inputs) {
        Checked c = done.get(t.contract().name());
        metrics.putAll(t.metrics());
        counts.put(t.contract().name(), c.written().counts());
        measures.add(new IngestGates.Measures(t.contract(), c.written().counts(), c.written().rowsTotal(),
            t.raw().header(), c.newest()));
      }
      GateLog gateLog = new GateLog(ctx.spark(), ctx.catalog());
      Gates gates = IngestGates.judge(cfg.gates(), ctx.runDate(), measures, previousTotals, previous, gateLog);
      gateLog.append(ctx.runDate(), ctx.attempt().number(), NAME, gates.results());
      warnings.addAll(gates.warnings());
      metrics.put("gates", gates.results().stream().map(GateResult::toMap).toList());
      gates.enforce();
      PausePoints.at("ingest.audited");
      return audit;
    }).published();
    return new StageResult(NAME, counts, ctx.describe(snapshots), warnings, metrics);
  }

  /** One table to ingest: its contract, raw files and rows, the rows daily drops add to, and its own metrics. */
  private record TableInput(TableContract contract, RawTable raw, Dataset<Row> rows, Dataset<Row> base,
      long previousTotal, Map<String, Object> metrics) {}

  /** The conformed customers' distinct ids (in {@link #KNOWN_ID}) and how many customers there are. */
  private record Known(Dataset<Row> ids, long customers) {}

  /** A table written to the audit branch, and the newest date in it (for the freshness gate). */
  private record Checked(Written written, java.util.Optional<java.time.LocalDate> newest) {}

  /**
   * Checks a table's rows against its contract and writes its conformed rows and quarantine to the audit branch.
   * Parsing and the rules run once, into the stage's work folder; the marks that need the whole table (duplicates,
   * unknown customers: {@code customers}, null for customers themselves) join small tables sent to every task, so
   * the wide rows are never shuffled. Only the marks of unknown customers wait for {@code customers}.
   */
  private static Checked ingestTable(StageContext ctx, AuditedWrite audit, TableInput t,
      java.util.concurrent.Future<Known> customers) throws Exception {
    LeewayConfig cfg = ctx.config();
    TableContract contract = t.contract();
    // Spark's UI, event log and the progress lines name the table each job works on (the jobs of one thread).
    ctx.spark().sparkContext().setJobDescription("ingest " + contract.name());
    ContractValidator validator = new ContractValidator(contract, ctx.runDate(), cfg.ingest().maxReasonValueChars(),
        new ContractValidator.Hygiene(cfg.ingest().nullTokens(), cfg.ingest().maxFieldChars(),
            cfg.ingest().maxFieldLines(), cfg.ingest().csv().delimiter()));
    List<Dataset<Row>> cached = new ArrayList<>();
    try {
      // Parsed and checked once, into the stage's work folder: each later pass reads only the columns it needs.
      Dataset<Row> validated = RunLayout.materialize(ctx.spark(), work(ctx, contract, "checked"),
          validator.check(t.rows()));
      // Rows read, counted from the validated rows: the joins below add at most one match to a row.
      long rowsIn = validated.count();
      Dataset<Row> checked = validated;
      boolean narrow = true;
      var firsts = validator.duplicateFirsts(validated, rowsIn, Cols.Q_SOURCE_FILE, Cols.Q_SOURCE_ROW);
      if (firsts.isPresent()) {
        Dataset<Row> f = cache(firsts.get(), cached);
        boolean small = f.count() <= BROADCAST_ROWS;
        narrow = small;
        checked = validator.markDuplicates(validated, small ? broadcast(f) : f, Cols.Q_SOURCE_FILE,
            Cols.Q_SOURCE_ROW);
      }
      if (customers != null && contract.columns().stream().anyMatch(ColumnSpec::referencesCustomer)) {
        Known k = known(customers);
        boolean small = k.customers() <= BROADCAST_ROWS;
        narrow &= small;
        checked = markUnknownCustomers(checked, contract, small ? broadcast(k.ids()) : k.ids());
      }
      if (!narrow) {
        // A join that shuffles is done once, not by each of the writes below.
        checked = RunLayout.materialize(ctx.spark(), work(ctx, contract, "marked"), checked);
      }
      Written w = writeTable(checked, rowsIn, contract, audit, t.base(), t.previousTotal(), t.metrics(), cached);
      return new Checked(w, newest(contract, w.onBranch()));
    } finally {
      cached.forEach(Dataset::unpersist);
      ctx.spark().sparkContext().setJobDescription(null);
    }
  }

  /** The conformed customers, once ingested; the failure of customers' ingest, if it failed. */
  private static Known known(java.util.concurrent.Future<Known> customers) throws Exception {
    try {
      return customers.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }

  /**
   * The columns read beyond each contract: leeway.ingest.keep_columns, and for customers the categorical columns
   * leeway.features names (numeric ones are in its contract).
   */
  static Map<String, List<String>> keptColumns(LeewayConfig cfg) {
    Map<String, List<String>> out = new LinkedHashMap<>(cfg.ingest().keepColumns());
    List<String> customers = new ArrayList<>(out.getOrDefault(Contracts.CUSTOMERS.name(), List.of()));
    cfg.features().extraCustomerColumns().forEach(c -> customers.add(c.toLowerCase(java.util.Locale.ROOT)));
    out.put(Contracts.CUSTOMERS.name(), customers);
    return out;
  }

  /** Rows whose customer reference is not a conformed customer get a reason; {@code customerIds} has KNOWN_ID. */
  static Dataset<Row> markUnknownCustomers(Dataset<Row> checked, TableContract contract, Dataset<Row> customerIds) {
    Dataset<Row> out = checked;
    for (ColumnSpec spec : contract.columns()) {
      if (!spec.referencesCustomer()) {
        continue;
      }
      String typed = ContractValidator.typed(spec.name());
      String known = "__known_" + spec.name();
      Dataset<Row> ids = customerIds.withColumnRenamed(KNOWN_ID, known);
      out = out.join(ids, out.col(typed).equalTo(ids.col(known)), "left");
      Column reason = when(col(typed).isNotNull().and(col(known).isNull()),
          concat(lit("unknown " + spec.name() + " (not in customers: '"), col(typed), lit("')")));
      out = ContractValidator.appendReason(out, reason).drop(known);
    }
    return out;
  }

  /**
   * A table that arrives as daily drops adds to its new rows the previous ingest's rows quarantined only because a
   * customer they reference was not known yet: a referral may arrive a day before the customer it brought. They are
   * checked again with the customers known now, as a run of this date alone, which reads every drop at once, checks
   * them; rows still unknown are quarantined again, so they are carried to the next date.
   */
  private static Dataset<Row> withPendingReferences(StageContext ctx, java.time.LocalDate previous,
      TableContract contract, Dataset<Row> raw, Map<String, Object> metrics) throws java.io.IOException {
    List<String> refs = contract.columns().stream().filter(ColumnSpec::referencesCustomer).map(ColumnSpec::name)
        .toList();
    if (refs.isEmpty()) {
      return raw;
    }
    var quarantined = ctx.input(previous, NAME, quarantineTable(contract.name()),
        "check again " + previous + "'s " + contract.name() + " quarantined for unknown customers");
    if (quarantined.isEmpty()) {
      return raw;
    }
    Dataset<Row> q = quarantined.get();
    Set<String> has = Set.of(q.columns());
    // Every reason is an unknown reference (a value ends at the first "')" that ends a reason).
    String one = "unknown (" + String.join("|", refs) + ") \\(not in customers: '(?:(?!'\\)(?:; |$)).)*'\\)";
    Dataset<Row> pending = q.filter(col(Cols.Q_REASON).rlike("^" + one + "(?:; " + one + ")*$"));
    List<Column> cols = new ArrayList<>();
    for (org.apache.spark.sql.types.StructField f : raw.schema().fields()) {
      cols.add((has.contains(f.name()) ? col("`" + f.name() + "`") : lit(null)).cast(f.dataType()).as(f.name()));
    }
    pending = pending.select(cols.toArray(Column[]::new));
    metrics.put(contract.name() + " rows checked again", pending.count());
    return raw.unionByName(pending);
  }

  /** The column of distinct conformed customer ids that {@link #markUnknownCustomers} joins. */
  static final String KNOWN_ID = "__known_id";

  /** A folder of the stage's work folder for a table's intermediate rows. */
  private static org.apache.hadoop.fs.Path work(StageContext ctx, TableContract contract, String step) {
    return new org.apache.hadoop.fs.Path(ctx.layout().workDir(NAME), contract.name() + "-" + step);
  }

  /** Rows up to which a table joined to every row is sent to every task instead of shuffling the rows. */
  private static final long BROADCAST_ROWS = 2_000_000;

  private static Dataset<Row> cache(Dataset<Row> rows, List<Dataset<Row>> cached) {
    Dataset<Row> out = rows.persist(StorageLevel.MEMORY_AND_DISK());
    cached.add(out);
    return out;
  }

  /** A table as written to the audit branch: the counts of this run's rows, and the branch's rows of the date. */
  private record Written(TableCounts counts, long rowsTotal, Dataset<Row> onBranch) {}

  /** The newest date of a table whose freshness is judged (requests, activity); empty for other tables. */
  private static java.util.Optional<java.time.LocalDate> newest(TableContract contract, Dataset<Row> onBranch) {
    String column = FRESHNESS.get(contract.name());
    if (column == null) {
      return java.util.Optional.empty();
    }
    Row r = onBranch.agg(org.apache.spark.sql.functions.max(org.apache.spark.sql.functions.to_date(col(column))))
        .first();
    return r.isNullAt(0) ? java.util.Optional.empty() : java.util.Optional.of(r.getDate(0).toLocalDate());
  }

  private static final Map<String, String> FRESHNESS = Map.of(Contracts.EXCEPTIONS.name(), Cols.REQUESTED_AT,
      Contracts.ACTIVITY.name(), Cols.EVENT_AT);

  /** Rows per conformed table of the previous ingest, for the rows-change gates (a count of one partition). */
  private static Map<String, Long> previousTotals(StageContext ctx, java.util.Optional<java.time.LocalDate> previous,
      List<TableContract> contracts) throws java.io.IOException {
    Map<String, Long> out = new LinkedHashMap<>();
    if (previous.isEmpty()) {
      return out;
    }
    var record = ctx.published().find(previous.get(), NAME);
    if (record.isEmpty()) {
      return out;
    }
    for (TableContract c : contracts) {
      if (record.get().tables().containsKey(conformedTable(c.name()))) {
        out.put(c.name(), ctx.published().read(record.get(), conformedTable(c.name())).count());
      }
    }
    return out;
  }

  /**
   * Writes a table's conformed rows and quarantine to the audit branch and checks the counts. With {@code base} (the
   * previous ingest's conformed rows of a table that arrives as daily drops) the conformed rows are the base, less
   * the rows whose unique key a new row carries (replaced), plus the new rows.
   *
   * <p>Each pass over {@code checked} parses nothing (its rows are stored checked) but does the joins that mark
   * duplicates and unknown customers again, on every row: so the conformed rows and the rejected rows are each read
   * once. The rejected rows, few, are kept for the quarantine's write and its counts by reason.
   */
  private static Written writeTable(Dataset<Row> checked, long rowsIn, TableContract contract, AuditedWrite audit,
      Dataset<Row> base, long baseRows, Map<String, Object> metrics, List<Dataset<Row>> cached) {
    Column valid = size(col(ContractValidator.REASONS)).equalTo(0);
    Set<String> contractCols = Set.copyOf(contract.columnNames());
    List<Column> conformedCols = new ArrayList<>();
    List<Column> quarantineCols = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      conformedCols.add(col(ContractValidator.typed(spec.name())).as(spec.name()));
    }
    for (String c : checked.columns()) {
      boolean bookkeeping = c.startsWith("__") || c.equals(ContractValidator.CORRUPT_RECORD)
          || c.equals(Cols.Q_SOURCE_FILE) || c.equals(Cols.Q_SOURCE_ROW);
      if (bookkeeping) {
        continue;
      }
      // A damaged record's values may be shifted or swallowed text (PII of other rows included): none is kept.
      quarantineCols.add(when(col(ContractValidator.DAMAGED), lit(null).cast("string")).otherwise(col("`" + c + "`"))
          .as(c));
      if (!contractCols.contains(c)) {
        conformedCols.add(col("`" + c + "`"));
      }
    }
    quarantineCols.add(concat_ws("; ", col(ContractValidator.REASONS)).as(Cols.Q_REASON));
    quarantineCols.add(col(Cols.Q_SOURCE_FILE));
    quarantineCols.add(col(Cols.Q_SOURCE_ROW));

    Dataset<Row> added = checked.filter(valid).select(conformedCols.toArray(Column[]::new));
    Dataset<Row> conformed = added;
    long rowsKept = 0;
    if (base != null) {
      // The day's rows read bound the rows it adds: enough to choose how to join them to the history.
      Dataset<Row> kept = withoutReplaced(base, added, contract.uniqueKey(), rowsIn);
      rowsKept = kept.count();
      conformed = kept.unionByName(added, true);
      metrics.put(contract.name() + " rows carried", rowsKept);
      metrics.put(contract.name() + " rows replaced", baseRows - rowsKept);
    }
    // The counts are those of what the audit branch holds: what would be published.
    Dataset<Row> onBranch = audit.write(conformedTable(contract.name()), conformed);
    long rowsTotal = onBranch.count();
    long rowsOut = rowsTotal - rowsKept;
    Dataset<Row> rejected = checked.filter(not(valid)).persist(StorageLevel.MEMORY_AND_DISK());
    cached.add(rejected);
    long rowsQuarantined = audit.write(quarantineTable(contract.name()),
        rejected.select(quarantineCols.toArray(Column[]::new))).count();
    Map<String, Long> reasons = reasonCounts(rejected);
    TableCounts tc = new TableCounts(rowsIn, rowsOut, rowsQuarantined, reasons);
    if (!tc.reconciled()) {
      throw new IllegalStateException("Check 'counts reconcile' failed for table '" + contract.name() + "': read "
          + rowsIn + ", conformed " + rowsOut + (base == null ? "" : " (the audit branch holds " + rowsTotal
          + " rows, " + rowsKept + " of them carried from the previous ingest)") + ", quarantined "
          + rowsQuarantined + "; nothing was published");
    }
    return new Written(tc, rowsTotal, onBranch);
  }

  /** Past rows not replaced by a new row with the same unique key (compared null-safe); all, for a table without one. */
  private static Dataset<Row> withoutReplaced(Dataset<Row> base, Dataset<Row> added, List<String> key, long rowsNew) {
    if (key.isEmpty()) {
      return base;
    }
    Dataset<Row> keys = added.select(key.stream().map(k -> col(k).as("__k_" + k)).toArray(Column[]::new)).distinct();
    Column same = null;
    for (String k : key) {
      Column c = base.col(k).eqNullSafe(keys.col("__k_" + k));
      same = same == null ? c : same.and(c);
    }
    // One day's drop is small next to the history: send it to every task instead of shuffling the history.
    Dataset<Row> right = rowsNew <= BROADCAST_ROWS ? broadcast(keys) : keys;
    return base.join(right, same, "left_anti");
  }

  /** Counts quarantined rows per reason code (the text before the parenthesis); bounded by the number of codes. */
  private static Map<String, Long> reasonCounts(Dataset<Row> rejected) {
    Map<String, Long> out = new java.util.TreeMap<>();
    Dataset<Row> codes = rejected
        .select(explode(col(ContractValidator.REASONS)).as("r"))
        .select(regexp_extract(col("r"), "^([^(]*?)\\s*(\\(|$)", 1).as("code"))
        .groupBy("code").count();
    for (Row r : codes.collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
  }
}
