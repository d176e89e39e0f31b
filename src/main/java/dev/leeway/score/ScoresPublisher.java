package dev.leeway.score;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.io.Files;
import dev.leeway.run.RunLease;
import java.io.IOException;
import java.time.Duration;
import java.time.LocalDate;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The served scores under {@code <output_root>/scores}: {@code served/<date>.json}, the manifest of a served run
 * date (the scores table's snapshot and the Parquet data files holding that date's rows), and {@code LATEST}, the
 * run date served now. A date is served only when it is not older than the one served: serving state never goes
 * back. The switch is one atomic replace of {@code LATEST}, after the manifest (and PostgreSQL) are in place.
 */
public final class ScoresPublisher {
  public static final String LATEST = "LATEST";
  public static final String SERVED = "served";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /** What serving a date does before LATEST switches (tag the snapshot, load PostgreSQL); may throw to stop. */
  @FunctionalInterface
  public interface BeforeSwitch {
    void run() throws Exception;
  }

  private final Path root;
  private final Configuration conf;

  public ScoresPublisher(String outputRoot, Configuration conf) {
    this.root = new Path(outputRoot, "scores");
    this.conf = conf;
  }

  public Path root() {
    return root;
  }

  public Path latestFile() {
    return new Path(root, LATEST);
  }

  /** The manifest of a served run date. */
  public Path manifest(LocalDate runDate) {
    return new Path(new Path(root, SERVED), runDate + ".json");
  }

  /** The Iceberg tag of the scores snapshot a run date was served from. */
  public static String tag(LocalDate runDate) {
    return "served_" + runDate.toString().replace("-", "");
  }

  private FileSystem fs() throws IOException {
    return Files.of(root, conf);
  }

  /**
   * Serves {@code runDate} unless a later date is served: runs {@code beforeSwitch}, writes the manifest, then
   * switches {@code LATEST}. Runs of different dates serve one at a time (a short lease).
   *
   * @return the date served before (empty when none); when it is after {@code runDate} nothing changed
   */
  public Optional<LocalDate> serve(LocalDate runDate, Map<String, Object> manifest, BeforeSwitch beforeSwitch)
      throws Exception {
    try (RunLease lease = RunLease.acquire(new Path(root, "_serve.lock"), conf, "Serving scores",
        Map.of("run_date", runDate.toString()), Duration.ofMinutes(30), Duration.ofSeconds(30))) {
      Optional<LocalDate> before = latest();
      if (before.isPresent() && before.get().isAfter(runDate)) {
        return before;
      }
      beforeSwitch.run();
      Files.writeAtomically(fs(), manifest(runDate), JSON.writeValueAsString(manifest));
      Files.writeAtomically(fs(), latestFile(), runDate + "\n");
      return before;
    }
  }

  /** The run date {@code LATEST} names, if any. */
  public Optional<LocalDate> latest() throws IOException {
    return Files.readSmall(fs(), latestFile()).map(LocalDate::parse);
  }
}
