package dev.leeway.score;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.io.Files;
import java.io.IOException;
import java.io.OutputStream;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The published scores under {@code <output_root>/scores}: one folder per run date, {@code run_date=YYYY-MM-DD},
 * holding Parquet files and {@code _manifest.json}, and a {@code LATEST} file naming the newest complete run date.
 * A run's folder is written aside and renamed into place whole, and {@code LATEST} switches by an atomic rename
 * only after that, so a reader that follows {@code LATEST} never sees a half-written set.
 */
public final class ScoresPublisher {
  public static final String LATEST = "LATEST";
  public static final String MANIFEST = "_manifest.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path root;
  private final Configuration conf;

  public ScoresPublisher(String outputRoot, Configuration conf) {
    this.root = new Path(outputRoot, "scores");
    this.conf = conf;
  }

  public Path root() {
    return root;
  }

  /** The published folder of a run date. */
  public Path dir(LocalDate runDate) {
    return new Path(root, "run_date=" + runDate);
  }

  /** A fresh private folder to write a run's scores into (hidden from readers: leading underscore). */
  public Path newStaging(LocalDate runDate) {
    return new Path(new Path(root, "_staging"), runDate + "-" + UUID.randomUUID());
  }

  private FileSystem fs() throws IOException {
    return Files.of(root, conf);
  }

  /** Adds the manifest to a staging folder, then moves the folder into place, replacing an earlier one. */
  public Path publish(Path staging, LocalDate runDate, Map<String, Object> manifest) throws IOException {
    FileSystem fs = fs();
    try (OutputStream out = fs.create(new Path(staging, MANIFEST), false)) {
      out.write(JSON.writeValueAsBytes(manifest));
    }
    Files.moveIntoPlace(fs, staging, dir(runDate), new Path(root, "_staging"));
    return dir(runDate);
  }

  /** Points {@code LATEST} at a published run date (an atomic rename of a small file). */
  public void switchLatest(LocalDate runDate) throws IOException {
    Files.writeAtomically(fs(), new Path(root, LATEST), runDate + "\n");
  }

  /** The run date {@code LATEST} names, if any. */
  public Optional<LocalDate> latest() throws IOException {
    return Files.readSmall(fs(), new Path(root, LATEST)).map(LocalDate::parse);
  }

  /** Removes a staging folder left by a failed attempt. */
  public void discard(Path staging) {
    try {
      fs().delete(staging, true);
    } catch (IOException ignored) {
      // Best effort: staging folders are hidden from readers.
    }
  }
}
