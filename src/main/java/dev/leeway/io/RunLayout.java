package dev.leeway.io;

import java.io.IOException;
import java.time.LocalDate;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * A run date's files under {@code <output_root>/runs/<run-date>/}: {@code status.json}, the lease, the attempt
 * counter, per stage a folder of small files ({@code _published.json}, {@code summary.json}; the report), and a
 * private {@code _work} folder for intermediate results. Published tables live in the catalog, not here.
 */
public final class RunLayout {
  private static final String WORK = "_work";

  private final Path runDir;
  private final Configuration hadoopConf;

  public RunLayout(String outputRoot, LocalDate runDate, Configuration hadoopConf) {
    this.runDir = new Path(new Path(outputRoot, "runs"), runDate.toString());
    this.hadoopConf = hadoopConf;
  }

  public Path runDir() {
    return runDir;
  }

  /** The folder of a stage's small files, e.g. runs/2026-11-24/effects. */
  public Path stageDir(String stage) {
    return new Path(runDir, stage);
  }

  public Path statusFile() {
    return new Path(runDir, "status.json");
  }

  /** The lease a run of this date holds while it runs. */
  public Path lockFile() {
    return new Path(runDir, "_lock");
  }

  /** A private folder for a stage's intermediate results; deleted after every stage and swept at the next run. */
  public Path workDir(String stage) {
    return new Path(new Path(runDir, WORK), stage);
  }

  /** Deletes every stage's intermediate results. */
  public void deleteWork() throws IOException {
    fs().delete(new Path(runDir, WORK), true);
  }

  /**
   * The next attempt number of this date (1, 2, ...), recorded in {@code _attempts}; call it under the lease.
   */
  public int nextAttempt() throws IOException {
    Path counter = new Path(runDir, "_attempts");
    int last = Files.readSmall(fs(), counter).map(Integer::parseInt).orElse(0);
    int next = last + 1;
    writeAtomically(counter, next + "\n");
    return next;
  }

  /**
   * Removes what a killed attempt left: the work folder, an old-style staging folder, and hidden temporary files of
   * atomic writes. Call it under the lease. Returns how many it removed.
   */
  public int sweep() throws IOException {
    FileSystem fs = fs();
    if (!fs.exists(runDir)) {
      return 0;
    }
    int removed = 0;
    for (String leftover : new String[] {WORK, "_staging"}) {
      if (fs.delete(new Path(runDir, leftover), true)) {
        removed++;
      }
    }
    for (FileStatus f : fs.listStatus(runDir)) {
      if (f.isDirectory()) {
        for (FileStatus g : fs.listStatus(f.getPath())) {
          removed += deleteIfTemporary(fs, g);
        }
      } else {
        removed += deleteIfTemporary(fs, f);
      }
    }
    return removed;
  }

  private static int deleteIfTemporary(FileSystem fs, FileStatus f) throws IOException {
    String n = f.getPath().getName();
    boolean temporary = n.startsWith(".") && (n.endsWith(".tmp") || n.contains(".stale-"));
    return temporary && fs.delete(f.getPath(), false) ? 1 : 0;
  }

  /**
   * Stores intermediate results under {@code workDir} (step-1, step-2, ...) and reads each back: it cuts long plans
   * and lets several aggregations share one computation. The runner deletes {@code workDir} after the stage.
   */
  public static UnaryOperator<Dataset<Row>> materializer(SparkSession spark, Path workDir) {
    AtomicInteger step = new AtomicInteger();
    return d -> materialize(spark, new Path(workDir, "step-" + step.incrementAndGet()), d);
  }

  /**
   * Stores {@code rows} as Parquet in {@code folder} (which must not exist) and returns them read back: later passes
   * read only the columns they need, and nothing is held in memory.
   */
  public static Dataset<Row> materialize(SparkSession spark, Path folder, Dataset<Row> rows) {
    rows.write().mode(SaveMode.ErrorIfExists).parquet(folder.toString());
    return spark.read().parquet(folder.toString());
  }

  /** Writes a small text file atomically. */
  public void writeAtomically(Path file, String text) throws IOException {
    Files.writeAtomically(fs(), file, text);
  }

  private FileSystem fs() throws IOException {
    return Files.of(runDir, hadoopConf);
  }
}
