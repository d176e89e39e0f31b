package dev.leeway.tables;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.FileScanTask;
import org.apache.iceberg.OverwriteFiles;
import org.apache.iceberg.Snapshot;
import org.apache.iceberg.SnapshotRef;
import org.apache.iceberg.Table;
import org.apache.iceberg.expressions.Expression;
import org.apache.iceberg.expressions.Expressions;
import org.apache.iceberg.io.CloseableIterable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Write-audit-publish for one stage of one attempt. {@link #write} replaces the run date's partition of a table on
 * the stage's audit branch (one commit; {@code main} is untouched) and returns what the branch now holds for that
 * date, so the stage checks exactly what would be published. {@link #publish} then moves each table's {@code main}
 * to its audit branch: a fast-forward, or, when another run date committed to {@code main} meanwhile, a cherry-pick
 * of the branch's partition replacement. {@link #abandon} drops the branches of a stage that failed its checks, so
 * nothing of it is ever published.
 */
public final class AuditedWrite {
  private static final Logger LOG = LoggerFactory.getLogger(AuditedWrite.class);

  private final SparkSession spark;
  private final Catalog catalog;
  private final LocalDate runDate;
  private final String branch;
  private final Map<String, String> snapshotProperties;
  private final List<String> written = new ArrayList<>();
  private final Map<String, Long> published = new LinkedHashMap<>();

  public AuditedWrite(SparkSession spark, Catalog catalog, LocalDate runDate, int attempt, String stage) {
    this.spark = spark;
    this.catalog = catalog;
    this.runDate = runDate;
    this.branch = Catalog.auditBranch(runDate, attempt, stage);
    this.snapshotProperties = Map.of("leeway.run_date", runDate.toString(), "leeway.attempt",
        String.valueOf(attempt), "leeway.stage", stage);
  }

  /**
   * Replaces the run date's rows of {@code table} on the audit branch with {@code rows} (which must not carry
   * run_date), creating the table, partitioned by run_date, on first use. New columns are added to the table.
   *
   * @return the rows the branch now holds for the run date, without run_date
   */
  public Dataset<Row> write(String table, Dataset<Row> rows) {
    if (List.of(rows.columns()).contains(Catalog.RUN_DATE)) {
      throw new IllegalArgumentException("Rows for " + table + " carry " + Catalog.RUN_DATE + "; it is added here");
    }
    Dataset<Row> dated = rows.withColumn(Catalog.RUN_DATE, lit(java.sql.Date.valueOf(runDate)));
    String name = catalog.table(table);
    if (!catalog.exists(table)) {
      try {
        dated.limit(0).writeTo(name).using("iceberg").partitionedBy(col(Catalog.RUN_DATE))
            .tableProperty("format-version", "2")
            .tableProperty("write.spark.accept-any-schema", "true")
            .create();
      } catch (org.apache.spark.sql.catalyst.analysis.TableAlreadyExistsException e) {
        // Created by a concurrent run of another date: use it.
      }
    }
    Table t = catalog.load(table);
    if (t.refs().containsKey(branch)) {
      t.manageSnapshots().removeBranch(branch).commit();
    }
    Snapshot main = t.currentSnapshot();
    if (main != null) {
      t.manageSnapshots().createBranch(branch, main.snapshotId()).commit();
    }
    // Every row of a write has the one run date, so Iceberg's default distribution (rows clustered by partition) would
    // send all of them to a single task, which writes a single file that every later stage reads in a single task.
    var writer = dated.writeTo(name + ".branch_" + branch)
        .option("distribution-mode", "none")
        .option("mergeSchema", "true")
        .option("check-ordering", "false");
    for (Map.Entry<String, String> p : snapshotProperties.entrySet()) {
      writer = writer.option("snapshot-property." + p.getKey(), p.getValue());
    }
    try {
      writer.overwrite(col(Catalog.RUN_DATE).equalTo(lit(java.sql.Date.valueOf(runDate))));
    } catch (org.apache.spark.sql.catalyst.analysis.NoSuchTableException e) {
      throw new IllegalStateException("Table " + name + " vanished while writing", e);
    }
    synchronized (written) {
      if (!written.contains(table)) {
        written.add(table);
      }
    }
    return onBranch(table);
  }

  /** What the audit branch holds for the run date, without run_date. */
  public Dataset<Row> onBranch(String table) {
    return spark.table(catalog.table(table) + ".branch_" + branch)
        .where(col(Catalog.RUN_DATE).equalTo(lit(java.sql.Date.valueOf(runDate)))).drop(Catalog.RUN_DATE);
  }

  /**
   * Publishes every table written: {@code main} moves to the audited snapshot. Returns each table's new
   * {@code main} snapshot id, which readers pin.
   */
  public Map<String, Long> publish() {
    Map<String, Long> out = new LinkedHashMap<>();
    for (String table : written) {
      Table t = catalog.load(table);
      SnapshotRef audited = t.refs().get(branch);
      if (audited == null) {
        throw new IllegalStateException("Audit branch " + branch + " of " + catalog.table(table) + " is gone: another "
            + "run of " + runDate + " removed it; nothing of this stage was published after " + out.keySet());
      }
      try {
        if (t.currentSnapshot() == null) {
          t.manageSnapshots().createBranch(SnapshotRef.MAIN_BRANCH, audited.snapshotId()).commit();
        } else {
          t.manageSnapshots().fastForwardBranch(SnapshotRef.MAIN_BRANCH, branch).commit();
        }
      } catch (IllegalArgumentException | org.apache.iceberg.exceptions.ValidationException e) {
        // main moved (another run date published meanwhile): replay the audited partition on top of it.
        LOG.info("{}: main moved since {} branched; replaying its {} partition", catalog.table(table), branch, runDate);
        t.refresh();
        replay(t);
      }
      t.refresh();
      out.put(table, t.currentSnapshot().snapshotId());
      t.manageSnapshots().removeBranch(branch).commit();
    }
    published.putAll(out);
    return out;
  }

  /** Each published table's {@code main} snapshot, once {@link #publish} ran. */
  public Map<String, Long> published() {
    return Map.copyOf(published);
  }

  /**
   * One commit on {@code main}: the run date's rows are replaced by the audited branch's data files for that date
   * (the files are reused, not rewritten).
   */
  private void replay(Table t) {
    Expression date = Expressions.equal(Catalog.RUN_DATE, runDate.toString());
    OverwriteFiles o = t.newOverwrite().overwriteByRowFilter(date);
    try (CloseableIterable<FileScanTask> tasks = t.newScan().useRef(branch).filter(date).planFiles()) {
      for (FileScanTask task : tasks) {
        o.addFile(task.file());
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    snapshotProperties.forEach(o::set);
    o.commit();
  }

  /** Drops the audit branches: nothing of this stage is published. Best effort. */
  public void abandon() {
    for (String table : written) {
      try {
        Table t = catalog.load(table);
        if (t.refs().containsKey(branch)) {
          t.manageSnapshots().removeBranch(branch).commit();
        }
      } catch (RuntimeException e) {
        LOG.warn("Could not drop audit branch {} of {}: {}", branch, table, e.toString());
      }
    }
  }

}
