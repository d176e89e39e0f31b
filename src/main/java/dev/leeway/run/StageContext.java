package dev.leeway.run;

import dev.leeway.config.LeewayConfig;
import dev.leeway.io.InputError;
import dev.leeway.io.RunLayout;
import dev.leeway.tables.AuditedWrite;
import dev.leeway.tables.Catalog;
import dev.leeway.tables.Published;
import java.io.IOException;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What a stage is given: a ready session, the validated configuration, the run date, its output layout, the
 * attempt, and the catalog it publishes tables into.
 */
public record StageContext(SparkSession spark, LeewayConfig config, LocalDate runDate, RunLayout layout,
    RunAttempt attempt, Catalog catalog) {

  public Published published() {
    return new Published(spark, catalog, config.paths().outputRoot());
  }

  /** Starts write-audit-publish for {@code stage}: its tables go to an audit branch until {@link #publish}. */
  public AuditedWrite audit(String stage) {
    return new AuditedWrite(spark, catalog, runDate, attempt.number(), stage);
  }

  /** The part of a stage that writes its tables and checks them on the audit branch. */
  @FunctionalInterface
  public interface Audited<T> {
    T writeAndCheck(AuditedWrite audit) throws Exception;
  }

  /**
   * Write-audit-publish: {@code body} writes the stage's tables to its audit branch and checks them there (throwing
   * when a check fails); only then are they published. On any failure the branch is dropped and nothing is
   * published. Returns what {@code body} returned.
   */
  public <T> T writeAuditPublish(String stage, Audited<T> body) throws Exception {
    AuditedWrite audit = audit(stage);
    T result;
    try {
      result = body.writeAndCheck(audit);
      publish(stage, audit);
    } catch (Exception | LinkageError e) {
      audit.abandon();
      throw e;
    }
    return result;
  }

  /** The published tables of {@code stage} so far as "catalog.namespace.table @ snapshot", for the console. */
  public java.util.List<String> describe(Map<String, Long> snapshots) {
    java.util.List<String> out = new java.util.ArrayList<>();
    snapshots.forEach((t, id) -> out.add(catalog.table(t) + " @ " + id));
    return out;
  }

  /**
   * Publishes what passed the stage's checks and records it ({@code runs/<date>/<stage>/_published.json}) with the
   * inputs the stage read.
   */
  private Map<String, Long> publish(String stage, AuditedWrite audited) throws IOException {
    Map<String, Long> snapshots = audited.publish();
    published().record(runDate, stage, attempt.number(), snapshots, attempt.inputs());
    attempt.published(stage);
    return snapshots;
  }

  /**
   * Records that the running stage's result depends on a small file (such as {@code models/CURRENT}): a resumed
   * nightly redoes the stage when the file's content has changed since.
   */
  public void dependsOnFile(org.apache.hadoop.fs.Path file) throws IOException {
    attempt.input(Resume.fileInput(file), Resume.current(this, Resume.fileInput(file)));
  }

  /**
   * Records that the running stage read the files under {@code dir} (raw inputs): a resumed nightly redoes the
   * stage when a file there was added, removed or rewritten since.
   */
  public void dependsOnFiles(org.apache.hadoop.fs.Path dir) throws IOException {
    attempt.input(Resume.filesInput(dir), Resume.current(this, Resume.filesInput(dir)));
  }

  /** The run date's published rows of a table of {@code stage}; fails naming the command to run when absent. */
  public Dataset<Row> input(String stage, String table, String why) throws IOException {
    return input(runDate, stage, table, why).orElseThrow(() -> new InputError("Cannot " + why + ": stage " + stage
        + " has published nothing for " + runDate + " (no " + published().file(runDate, stage) + "); run `leeway "
        + stage + "` (or `leeway nightly`) for this run date first"));
  }

  /** A table of {@code stage} for any run date (earlier runs), if that stage published it. */
  public Optional<Dataset<Row>> input(LocalDate date, String stage, String table, String why) throws IOException {
    Optional<Published.Record> r = published().find(date, stage);
    if (r.isEmpty() || !r.get().tables().containsKey(table)) {
      return Optional.empty();
    }
    if (date.equals(runDate)) {
      attempt.checkInput(date.toString(), stage, r.get().attempt());
    }
    attempt.input(date + "/" + stage, Published.asInput(r.get()));
    return Optional.of(published().read(r.get(), table));
  }
}
