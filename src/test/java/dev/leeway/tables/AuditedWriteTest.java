package dev.leeway.tables;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.config.LeewayConfig;
import dev.leeway.support.TestSpark;
import java.io.File;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Write-audit-publish on a local Iceberg catalog: main moves only on publish, one partition per run date. */
class AuditedWriteTest {
  private static final LocalDate D1 = LocalDate.parse("2026-11-01");
  private static final LocalDate D2 = LocalDate.parse("2026-11-02");

  @TempDir
  Path tmp;
  private SparkSession spark;
  private Catalog catalog;

  @BeforeEach
  void catalog() {
    spark = TestSpark.session().newSession();
    LeewayConfig config = LeewayConfig.load(new File("conf/local.conf"),
        Map.of("leeway.paths.output_root", tmp.toString()));
    catalog = Catalog.open(spark, config);
  }

  private Dataset<Row> rows(int n, String tag) {
    return spark.range(n).selectExpr("id", "'" + tag + "' as tag");
  }

  private long onMain(LocalDate d) {
    return catalog.exists("t") ? spark.table(catalog.table("t")).where("run_date = date'" + d + "'").count() : 0;
  }

  @Test
  void mainMovesOnlyWhenPublishedAndARerunReplacesItsPartitionExactly() {
    AuditedWrite first = new AuditedWrite(spark, catalog, D1, 1, "s");
    assertEquals(10, first.write("t", rows(10, "a1")).count(), "the branch holds the new rows");
    assertEquals(0, onMain(D1), "readers of main see nothing before publish");
    first.publish();
    assertEquals(10, onMain(D1));
    assertFalse(catalog.load("t").refs().keySet().stream().anyMatch(r -> r.startsWith(Catalog.AUDIT_PREFIX)),
        "the audit branch is gone once published");

    AuditedWrite rerun = new AuditedWrite(spark, catalog, D1, 2, "s");
    rerun.write("t", rows(4, "a2"));
    assertEquals(10, onMain(D1), "the earlier attempt stays visible while the rerun is audited");
    rerun.publish();
    assertEquals(4, onMain(D1), "a rerun replaces the date's rows, it does not add to them");
    assertEquals(List.of("a2"), spark.table(catalog.table("t")).select("tag").distinct().as(
        org.apache.spark.sql.Encoders.STRING()).collectAsList());

    AuditedWrite empty = new AuditedWrite(spark, catalog, D1, 3, "s");
    empty.write("t", rows(0, "a3"));
    empty.publish();
    assertEquals(0, onMain(D1), "an empty result replaces the date's rows too");
  }

  @Test
  void anAbandonedWritePublishesNothing() {
    AuditedWrite ok = new AuditedWrite(spark, catalog, D1, 1, "s");
    ok.write("t", rows(5, "ok"));
    ok.publish();
    long snapshot = catalog.load("t").currentSnapshot().snapshotId();

    AuditedWrite failed = new AuditedWrite(spark, catalog, D1, 2, "s");
    failed.write("t", rows(50, "bad"));
    failed.abandon();
    assertEquals(5, onMain(D1));
    assertEquals(snapshot, catalog.load("t").currentSnapshot().snapshotId(), "main did not move");
    assertEquals(List.of("main"), List.copyOf(catalog.load("t").refs().keySet()));
  }

  @Test
  void twoRunDatesPublishingInEitherOrderKeepBothPartitions() {
    AuditedWrite a = new AuditedWrite(spark, catalog, D1, 1, "s");
    a.write("t", rows(3, "d1"));
    AuditedWrite b = new AuditedWrite(spark, catalog, D2, 1, "s");
    b.write("t", rows(7, "d2"));
    b.publish();
    // main moved since a branched: a's partition is replayed on top of b's commit, not fast-forwarded over it.
    a.publish();
    assertEquals(3, onMain(D1));
    assertEquals(7, onMain(D2));
  }

  @Test
  void newColumnsAreAddedAndASweepRemovesBranchesOfKilledAttempts() {
    AuditedWrite first = new AuditedWrite(spark, catalog, D1, 1, "s");
    first.write("t", rows(2, "x"));
    first.publish();
    AuditedWrite wider = new AuditedWrite(spark, catalog, D2, 1, "s");
    wider.write("t", rows(2, "y").selectExpr("id", "'extra' as added", "tag"));
    wider.publish();
    assertTrue(List.of(spark.table(catalog.table("t")).columns()).contains("added"));

    AuditedWrite killed = new AuditedWrite(spark, catalog, D2, 2, "s");
    killed.write("t", rows(1, "z"));
    // (killed: never published nor abandoned)
    assertEquals(0, catalog.sweepAuditBranches(D1), "another date's sweep leaves it alone");
    assertEquals(1, catalog.sweepAuditBranches(D2));
    assertEquals(2, onMain(D2));
    assertThrows(IllegalArgumentException.class, () -> new AuditedWrite(spark, catalog, D1, 1, "s")
        .write("t", rows(1, "w").selectExpr("id", "date'2026-11-01' as run_date")));
  }
}
