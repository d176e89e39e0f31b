package dev.leeway.tables;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.io.Files;
import java.io.IOException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * What a stage published for a run date, as {@code runs/<date>/<stage>/_published.json}: the attempt, the snapshot
 * of each table it published, and the inputs (stage, attempt, snapshots) it read. It is written last, in one atomic
 * step, so it names a whole published stage; readers pin the snapshots it names, so a later attempt that is still
 * publishing never mixes into what they read.
 */
public final class Published {
  public static final String FILE = "_published.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** One stage's publication. */
  public record Record(String stage, String runDate, int attempt, Map<String, Long> tables,
      Map<String, Object> inputs, String publishedAt) {}

  private final SparkSession spark;
  private final Catalog catalog;
  private final Path runs;

  public Published(SparkSession spark, Catalog catalog, String outputRoot) {
    this.spark = spark;
    this.catalog = catalog;
    this.runs = new Path(outputRoot, "runs");
  }

  public Path file(LocalDate runDate, String stage) {
    return new Path(new Path(new Path(runs, runDate.toString()), stage), FILE);
  }

  public void record(LocalDate runDate, String stage, int attempt, Map<String, Long> tables,
      Map<String, Object> inputs) throws IOException {
    Record r = new Record(stage, runDate.toString(), attempt, tables, inputs, Instant.now().toString());
    Path f = file(runDate, stage);
    Files.writeAtomically(Files.of(f, spark.sparkContext().hadoopConfiguration()), f, JSON.writeValueAsString(r));
  }

  public Optional<Record> find(LocalDate runDate, String stage) throws IOException {
    Path f = file(runDate, stage);
    Optional<String> text = Files.readSmall(Files.of(f, spark.sparkContext().hadoopConfiguration()), f);
    return text.isEmpty() ? Optional.empty() : Optional.of(JSON.readValue(text.get(), Record.class));
  }

  /**
   * The latest run date before {@code runDate} for which {@code stage} published, if any (run folders are named by
   * date; one listing of {@code runs/}).
   */
  public Optional<LocalDate> latestBefore(LocalDate runDate, String stage) throws IOException {
    org.apache.hadoop.fs.FileSystem fs = Files.of(runs, spark.sparkContext().hadoopConfiguration());
    if (!fs.exists(runs)) {
      return Optional.empty();
    }
    java.util.List<LocalDate> dates = new java.util.ArrayList<>();
    for (org.apache.hadoop.fs.FileStatus s : fs.listStatus(runs)) {
      try {
        LocalDate d = LocalDate.parse(s.getPath().getName());
        if (s.isDirectory() && d.isBefore(runDate)) {
          dates.add(d);
        }
      } catch (java.time.format.DateTimeParseException notADate) {
        // _backfills and the like
      }
    }
    dates.sort(java.util.Comparator.reverseOrder());
    for (LocalDate d : dates) {
      if (fs.exists(file(d, stage))) {
        return Optional.of(d);
      }
    }
    return Optional.empty();
  }

  /** The run date's rows of one of the record's tables, at the snapshot the record names, without run_date. */
  public Dataset<Row> read(Record r, String table) {
    Long snapshot = r.tables().get(table);
    if (snapshot == null) {
      throw new IllegalStateException("Stage " + r.stage() + " of " + r.runDate() + " published no table " + table
          + " (it published " + r.tables().keySet() + ")");
    }
    return read(table, snapshot, LocalDate.parse(r.runDate()));
  }

  /** A run date's rows of a table as of a snapshot, without run_date. */
  public Dataset<Row> read(String table, long snapshot, LocalDate runDate) {
    return spark.read().option("versionAsOf", snapshot).table(catalog.table(table))
        .where(col(Catalog.RUN_DATE).equalTo(lit(java.sql.Date.valueOf(runDate)))).drop(Catalog.RUN_DATE);
  }

  /** The data files holding a run date's rows of a table as of a snapshot (Parquet files any reader can open). */
  public java.util.List<String> files(String table, long snapshot, LocalDate runDate) throws IOException {
    java.util.List<String> out = new java.util.ArrayList<>();
    org.apache.iceberg.Table t = catalog.load(table);
    try (var tasks = t.newScan().useSnapshot(snapshot)
        .filter(org.apache.iceberg.expressions.Expressions.equal(Catalog.RUN_DATE, runDate.toString())).planFiles()) {
      for (org.apache.iceberg.FileScanTask task : tasks) {
        if (!task.deletes().isEmpty()) {
          throw new IllegalStateException(catalog.table(table) + " has row-level deletes; its files are not a plain set");
        }
        out.add(task.file().location());
      }
    }
    java.util.Collections.sort(out);
    return out;
  }

  /** The run date's rows of a table {@code stage} published for {@code runDate}; fails when it has not. */
  public Dataset<Row> read(LocalDate runDate, String stage, String table) throws IOException {
    Record r = find(runDate, stage).orElseThrow(() -> new IllegalStateException("Stage " + stage
        + " has published nothing for " + runDate + " (no " + file(runDate, stage) + ")"));
    return read(r, table);
  }

  /** A record's identity as an input of another stage. */
  public static Map<String, Object> asInput(Record r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("run_date", r.runDate());
    m.put("attempt", r.attempt());
    m.put("snapshots", r.tables());
    return m;
  }
}
