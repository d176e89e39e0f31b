package dev.leeway.ingest;

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
import dev.leeway.run.PausePoints;
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
    InputReader reader = new InputReader(ctx.spark(), cfg.ingest().csv(), cfg.ingest().piiColumns());
    Map<String, TableCounts> counts = new LinkedHashMap<>();
    List<String> warnings = new ArrayList<>();
    ctx.dependsOnFiles(new org.apache.hadoop.fs.Path(cfg.paths().inputRoot()));
    Map<String, Long> snapshots = ctx.writeAuditPublish(NAME, audit -> {
      // Read every header first: a missing folder or column fails the run before any table is scanned.
      List<TableContract> contracts = Contracts.all(cfg.features());
      List<RawTable> raws = new ArrayList<>();
      for (TableContract contract : contracts) {
        RawTable raw = reader.read(cfg.paths().inputRoot(), contract);
        raw.warnings().forEach(w -> warnings.add(contract.name() + ": " + w));
        raws.add(raw);
      }
      Dataset<Row> customerIds = null;
      for (int i = 0; i < raws.size(); i++) {
        TableContract contract = contracts.get(i);
        ContractValidator validator =
            new ContractValidator(contract, ctx.runDate(), cfg.ingest().maxReasonValueChars());
        Dataset<Row> checked = validator.check(raws.get(i).rows());
        checked = validator.markDuplicates(checked, Cols.Q_SOURCE_FILE, Cols.Q_SOURCE_ROW);
        if (customerIds != null) {
          checked = markUnknownCustomers(checked, contract, customerIds);
        }
        TableCounts tc = writeTable(checked, contract, audit);
        counts.put(contract.name(), tc);
        if (contract.name().equals(Contracts.CUSTOMERS.name())) {
          customerIds = audit.onBranch(conformedTable(contract.name())).select(Cols.CUSTOMER_ID);
        }
      }
      PausePoints.at("ingest.audited");
      return audit;
    }).published();
    return new StageResult(NAME, counts, ctx.describe(snapshots), warnings, Map.of());
  }

  /** Rows whose customer reference is not a conformed customer get a reason. */
  static Dataset<Row> markUnknownCustomers(Dataset<Row> checked, TableContract contract, Dataset<Row> customerIds) {
    Dataset<Row> out = checked;
    for (ColumnSpec spec : contract.columns()) {
      if (!spec.referencesCustomer()) {
        continue;
      }
      String typed = ContractValidator.typed(spec.name());
      String known = "__known_" + spec.name();
      Dataset<Row> ids = customerIds.select(col(Cols.CUSTOMER_ID).as(known + "_id"), lit(true).as(known)).distinct();
      out = out.join(ids, out.col(typed).equalTo(ids.col(known + "_id")), "left");
      Column reason = when(col(typed).isNotNull().and(col(known).isNull()),
          concat(lit("unknown " + spec.name() + " (not in customers: '"), col(typed), lit("')")));
      out = ContractValidator.appendReason(out, reason).drop(known, known + "_id");
    }
    return out;
  }

  private TableCounts writeTable(Dataset<Row> checked, TableContract contract, AuditedWrite audit) {
    Dataset<Row> persisted = checked.persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long rowsIn = persisted.count();
      Column valid = size(col(ContractValidator.REASONS)).equalTo(0);
      Set<String> contractCols = Set.copyOf(contract.columnNames());
      List<Column> conformedCols = new ArrayList<>();
      List<Column> quarantineCols = new ArrayList<>();
      for (ColumnSpec spec : contract.columns()) {
        conformedCols.add(col(ContractValidator.typed(spec.name())).as(spec.name()));
      }
      for (String c : persisted.columns()) {
        boolean bookkeeping = c.startsWith("__") || c.equals(ContractValidator.CORRUPT_RECORD)
            || c.equals(Cols.Q_SOURCE_FILE) || c.equals(Cols.Q_SOURCE_ROW);
        if (bookkeeping) {
          continue;
        }
        quarantineCols.add(col("`" + c + "`"));
        if (!contractCols.contains(c)) {
          conformedCols.add(col("`" + c + "`"));
        }
      }
      quarantineCols.add(concat_ws("; ", col(ContractValidator.REASONS)).as(Cols.Q_REASON));
      quarantineCols.add(col(Cols.Q_SOURCE_FILE));
      quarantineCols.add(col(Cols.Q_SOURCE_ROW));

      // The counts are those of what the audit branch holds: what would be published.
      long rowsOut = audit.write(conformedTable(contract.name()),
          persisted.filter(valid).select(conformedCols.toArray(Column[]::new))).count();
      long rowsQuarantined = audit.write(quarantineTable(contract.name()),
          persisted.filter(not(valid)).select(quarantineCols.toArray(Column[]::new))).count();
      Map<String, Long> reasons = reasonCounts(persisted.filter(not(valid)));
      TableCounts tc = new TableCounts(rowsIn, rowsOut, rowsQuarantined, reasons);
      if (!tc.reconciled()) {
        throw new IllegalStateException("Check 'counts reconcile' failed for table '" + contract.name() + "': read "
            + rowsIn + ", conformed " + rowsOut + ", quarantined " + rowsQuarantined + "; nothing was published");
      }
      return tc;
    } finally {
      persisted.unpersist();
    }
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
