package dev.leeway.io;

import java.io.IOException;
import java.time.LocalDate;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Where a run's outputs live: {@code <output_root>/runs/<run-date>/<stage>/}. Each stage writes into a private
 * staging folder and is published with a rename, so a reader sees the old stage output or the new, never half.
 */
public final class RunLayout {
  private final Path runDir;
  private final Configuration hadoopConf;

  public RunLayout(String outputRoot, LocalDate runDate, Configuration hadoopConf) {
    this.runDir = new Path(new Path(outputRoot, "runs"), runDate.toString());
    this.hadoopConf = hadoopConf;
  }

  public Path runDir() {
    return runDir;
  }

  /** The published folder of a stage, e.g. runs/2026-11-24/ingest. */
  public Path stageDir(String stage) {
    return new Path(runDir, stage);
  }

  public Path statusFile() {
    return new Path(runDir, "status.json");
  }

  /** A fresh staging folder for one attempt at a stage; hidden from readers (leading underscore). */
  public Path newStagingDir(String stage) {
    return new Path(new Path(runDir, "_staging"), stage + "-" + UUID.randomUUID());
  }

  /** Replaces the stage's published folder with the staging folder. */
  public void publish(Path staging, String stage) throws IOException {
    Files.moveIntoPlace(fs(), staging, stageDir(stage), new Path(runDir, "_staging"));
  }

  /**
   * Stores intermediate results under {@code workDir} (step-1, step-2, ...) and reads each back: it cuts long plans
   * and lets several aggregations share one computation. The caller deletes {@code workDir}.
   */
  public static UnaryOperator<Dataset<Row>> materializer(SparkSession spark, Path workDir) {
    AtomicInteger step = new AtomicInteger();
    return d -> {
      String p = new Path(workDir, "step-" + step.incrementAndGet()).toString();
      d.write().mode(SaveMode.ErrorIfExists).parquet(p);
      return spark.read().parquet(p);
    };
  }

  /** Removes a staging folder left by a failed attempt. */
  public void discard(Path staging) {
    try {
      FileSystem fs = fs();
      fs.delete(staging, true);
      Path parent = staging.getParent();
      if (fs.exists(parent) && fs.listStatus(parent).length == 0) {
        fs.delete(parent, false);
      }
    } catch (IOException ignored) {
      // Best effort: a leftover staging folder is hidden and replaced by the next attempt.
    }
  }

  /** Writes a small text file atomically (temporary file, then rename). */
  public void writeAtomically(Path file, String text) throws IOException {
    Files.writeAtomically(fs(), file, text);
  }

  private FileSystem fs() throws IOException {
    return Files.of(runDir, hadoopConf);
  }
}
