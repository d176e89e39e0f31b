package dev.leeway.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Reads what a run wrote under an output root. */
public final class Outputs {
  private final Path root;
  private final String runDate;

  public Outputs(Path root, String runDate) {
    this.root = root;
    this.runDate = runDate;
  }

  public Path runDir() {
    return root.resolve("runs").resolve(runDate);
  }

  public Dataset<Row> conformed(String table) {
    return table("conformed_" + table);
  }

  public Dataset<Row> quarantine(String table) {
    return table("quarantine_" + table);
  }

  /**
   * The run date's rows of a published table as its {@code main} branch holds them now, from the default local
   * catalog under the output root (its own session), without run_date.
   */
  public Dataset<Row> table(String name) {
    return table(root, name, runDate);
  }

  public static Dataset<Row> table(Path outputRoot, String name, String runDate) {
    return session(outputRoot).table("out.leeway." + name).where("run_date = date'" + runDate + "'")
        .drop("run_date");
  }

  /** The run date's rows of a published table as of a snapshot, without run_date. */
  public static Dataset<Row> table(Path outputRoot, String name, String runDate, long snapshot) {
    return session(outputRoot).read().option("versionAsOf", snapshot).table("out.leeway." + name)
        .where("run_date = date'" + runDate + "'").drop("run_date");
  }

  /** The snapshot a published table's {@code main} branch is at. */
  public static long mainSnapshot(Path outputRoot, String name) {
    return session(outputRoot).sql("SELECT snapshot_id FROM out.leeway." + name + ".refs WHERE name = 'main'")
        .first().getLong(0);
  }

  /** The names of the tables an output root's local catalog holds, sorted. */
  public static java.util.List<String> tableNames(Path outputRoot) {
    return session(outputRoot).sql("SHOW TABLES IN out.leeway").collectAsList().stream().map(r -> r.getString(1))
        .sorted().toList();
  }

  /** A session with the output root's local catalog as {@code out}. */
  private static org.apache.spark.sql.SparkSession session(Path outputRoot) {
    org.apache.spark.sql.SparkSession s = TestSpark.session().newSession();
    s.conf().set("spark.sql.catalog.out", "org.apache.iceberg.spark.SparkCatalog");
    s.conf().set("spark.sql.catalog.out.type", "hadoop");
    s.conf().set("spark.sql.catalog.out.warehouse", outputRoot.resolve("warehouse").toString());
    return s;
  }

  public JsonNode status() {
    try {
      return new ObjectMapper().readTree(runDir().resolve("status.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
