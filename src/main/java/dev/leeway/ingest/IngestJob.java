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
import dev.leeway.run.Stage;
import dev.leeway.run.StageContext;
import dev.leeway.run.StageResult;
import dev.leeway.run.TableCounts;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * Validates every raw row against the data contract and writes conformed Parquet tables plus a quarantine of
 * rejected rows with their reasons, under runs/&lt;date&gt;/ingest/{conformed,quarantine}/&lt;table&gt;.
 * Rows read = rows conformed + rows quarantined, per table, or the stage fails.
 */
public final class IngestJob implements Stage {
  public static final String NAME = "ingest";
  public static final String CONFORMED = "conformed";
  public static final String QUARANTINE = "quarantine";

  @Override
  public String name() {
    return NAME;
  }

  /** Folder of a conformed table within a published (or staging) ingest folder. */
  public static Path conformedPath(Path ingestDir, String table) {
    return new Path(new Path(ingestDir, CONFORMED), table);
  }

  @Override
  public StageResult run(StageContext ctx) throws Exception {
    LeewayConfig cfg = ctx.config();
    SparkSession spark = ctx.spark();
    InputReader reader = new InputReader(spark, cfg.ingest().csv(), cfg.ingest().piiColumns());
    Path staging = ctx.layout().newStagingDir(NAME);
    Map<String, TableCounts> counts = new LinkedHashMap<>();
    List<String> warnings = new ArrayList<>();
    try {
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
        TableCounts tc = writeTable(spark, checked, contract, staging);
        counts.put(contract.name(), tc);
        if (contract.name().equals(Contracts.CUSTOMERS.name())) {
          customerIds = spark.read().parquet(conformedPath(staging, contract.name()).toString())
              .select(Cols.CUSTOMER_ID);
        }
      }
      ctx.layout().publish(staging, NAME);
    } finally {
      ctx.layout().discard(staging);
    }
    Path published = ctx.layout().stageDir(NAME);
    List<String> outputs = List.of(new Path(published, CONFORMED).toString(), new Path(published, QUARANTINE).toString());
    return new StageResult(NAME, counts, outputs, warnings, Map.of());
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

  private TableCounts writeTable(SparkSession spark, Dataset<Row> checked, TableContract contract, Path staging) {
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

      String conformedPath = conformedPath(staging, contract.name()).toString();
      String quarantinePath = new Path(new Path(staging, QUARANTINE), contract.name()).toString();
      persisted.filter(valid).select(conformedCols.toArray(Column[]::new))
          .write().mode(SaveMode.ErrorIfExists).parquet(conformedPath);
      persisted.filter(not(valid)).select(quarantineCols.toArray(Column[]::new))
          .write().mode(SaveMode.ErrorIfExists).parquet(quarantinePath);

      long rowsOut = spark.read().parquet(conformedPath).count();
      Dataset<Row> quarantined = spark.read().parquet(quarantinePath);
      long rowsQuarantined = quarantined.count();
      Map<String, Long> reasons = reasonCounts(persisted.filter(not(valid)));
      TableCounts tc = new TableCounts(rowsIn, rowsOut, rowsQuarantined, reasons);
      if (!tc.reconciled()) {
        throw new IllegalStateException("Cannot ingest table '" + contract.name() + "': counts do not reconcile: read "
            + rowsIn + ", conformed " + rowsOut + ", quarantined " + rowsQuarantined);
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
