package dev.leeway.tables;

import dev.leeway.config.LeewayConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.iceberg.Table;
import org.apache.iceberg.exceptions.ValidationException;
import org.apache.iceberg.spark.Spark3Util;
import org.apache.spark.sql.SparkSession;

/**
 * The Iceberg catalog Leeway publishes into ({@code leeway.catalog}): registers it with the session, names tables,
 * and loads a table's Iceberg handle for branch and snapshot operations.
 */
public final class Catalog {
  /** The column every published table is partitioned by. */
  public static final String RUN_DATE = "run_date";
  /** Prefix of a stage's audit branches: {@code audit_<yyyymmdd>_a<attempt>}. */
  public static final String AUDIT_PREFIX = "audit_";

  private final SparkSession spark;
  private final String name;
  private final String namespace;

  private Catalog(SparkSession spark, String name, String namespace) {
    this.spark = spark;
    this.name = name;
    this.namespace = namespace;
  }

  /**
   * Registers the configured catalog with {@code spark} (runtime settings: a catalog is loaded on first use) and
   * creates the namespace if needed.
   */
  public static Catalog open(SparkSession spark, LeewayConfig config) {
    LeewayConfig.CatalogSettings c = config.catalog();
    String prefix = "spark.sql.catalog." + c.name();
    setOnce(spark, prefix, "org.apache.iceberg.spark.SparkCatalog");
    for (Map.Entry<String, String> e : c.properties().entrySet()) {
      setOnce(spark, prefix + "." + e.getKey(), e.getValue());
    }
    spark.sql("CREATE NAMESPACE IF NOT EXISTS " + c.name() + "." + c.namespace());
    return new Catalog(spark, c.name(), c.namespace());
  }

  /** A session's catalog is loaded once: a second configuration with other settings would be silently ignored. */
  private static void setOnce(SparkSession spark, String key, String value) {
    if (spark.conf().contains(key) && !spark.conf().get(key).equals(value)) {
      throw new IllegalStateException("This Spark session already has " + key + " = " + spark.conf().get(key)
          + ", not " + value + ": use a new session (SparkSession.newSession()) per output root");
    }
    spark.conf().set(key, value);
  }

  /** The full Spark name of a table, e.g. {@code leeway.leeway.scores}. */
  public String table(String table) {
    return name + "." + namespace + "." + table;
  }

  public boolean exists(String table) {
    return spark.catalog().tableExists(table(table));
  }

  /** The Iceberg handle of a table, fresh from the catalog. */
  public Table load(String table) {
    try {
      Table t = Spark3Util.loadIcebergTable(spark, table(table));
      t.refresh();
      return t;
    } catch (Exception e) {
      throw new IllegalStateException("Cannot load table " + table(table) + ": " + e.getMessage(), e);
    }
  }

  /** Points a tag of a table at a snapshot (creating it, or moving it when it exists). */
  public void tag(String table, String tag, long snapshot) {
    Table t = load(table);
    if (t.refs().containsKey(tag)) {
      t.manageSnapshots().replaceTag(tag, snapshot).commit();
    } else {
      t.manageSnapshots().createTag(tag, snapshot).commit();
    }
  }

  /** Leeway's tables in the namespace. */
  public List<String> tables() {
    List<String> out = new ArrayList<>();
    List<org.apache.spark.sql.Row> rows;
    try {
      rows = spark.sql("SHOW TABLES IN " + name + "." + namespace).collectAsList();
    } catch (Exception e) {
      if (e instanceof org.apache.spark.sql.catalyst.analysis.NoSuchNamespaceException) {
        // On an object store an empty namespace of a Hadoop catalog has no folder to find: no tables yet.
        return out;
      }
      throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
    }
    for (org.apache.spark.sql.Row r : rows) {
      out.add(r.getString(1));
    }
    return out;
  }

  /** The audit branch name of one attempt at one run date. */
  public static String auditBranch(java.time.LocalDate runDate, int attempt, String stage) {
    return AUDIT_PREFIX + runDate.toString().replace("-", "") + "_a" + attempt + "_" + stage;
  }

  /**
   * Removes audit branches of {@code runDate} left by killed attempts (their data files go with Iceberg's orphan
   * file clean-up); returns how many were removed.
   */
  public int sweepAuditBranches(java.time.LocalDate runDate) {
    String prefix = AUDIT_PREFIX + runDate.toString().replace("-", "") + "_";
    int removed = 0;
    for (String t : tables()) {
      Table table = load(t);
      for (String ref : new ArrayList<>(table.refs().keySet())) {
        if (ref.startsWith(prefix)) {
          try {
            table.manageSnapshots().removeBranch(ref).commit();
            removed++;
          } catch (ValidationException | IllegalArgumentException e) {
            // Removed by someone else meanwhile.
          }
        }
      }
    }
    return removed;
  }
}
