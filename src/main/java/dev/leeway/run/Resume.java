package dev.leeway.run;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.config.LeewayConfig;
import dev.leeway.io.Files;
import dev.leeway.tables.Published;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.LocatedFileStatus;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;

/**
 * Which stages of a run may be skipped because an earlier attempt of the same run date already completed them on
 * the same inputs and configuration, so that a nightly rerun after a failure or a kill starts where the last one
 * stopped.
 *
 * <p>When a stage completes, the runner writes {@code runs/<date>/<stage>/_completed.json}: the attempt, a hash of
 * the settings that shape results, and what the stage read: the published records of other stages (attempt and
 * snapshots), the content of small files it depends on ({@code models/CURRENT}) and a fingerprint of the raw input
 * files (names, sizes, modification times). A stage is skipped only when every one of these is still what it was,
 * and its published tables are still that attempt's. Once one stage runs, every later stage runs too.
 */
public final class Resume {
  public static final String FILE = "_completed.json";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final String FILE_INPUT = "file:";
  private static final String FILES_INPUT = "files:";

  /** How a run treats stages an earlier attempt completed. */
  public enum Mode {
    /** Run every stage (a stage command, or {@code nightly --force}). */
    ALWAYS,
    /** Skip the leading stages an earlier attempt completed on the same inputs and configuration. */
    SKIP_COMPLETED
  }

  /** What {@code _completed.json} holds. */
  public record Completed(String stage, int attempt, String settings, Map<String, Object> inputs,
      String completedAt) {}

  private final Mode mode;
  private final String fromStage;

  private Resume(Mode mode, String fromStage) {
    this.mode = mode;
    this.fromStage = fromStage;
  }

  /** Runs every stage. */
  public static Resume always() {
    return new Resume(Mode.ALWAYS, null);
  }

  /** Skips leading stages already completed on the same inputs and configuration. */
  public static Resume skipCompleted() {
    return new Resume(Mode.SKIP_COMPLETED, null);
  }

  /**
   * Starts at {@code stage}: the stages before it are not run, and later stages read what earlier attempts of
   * the date published; from {@code stage} on every stage runs.
   */
  public static Resume from(String stage) {
    return new Resume(Mode.ALWAYS, stage);
  }

  /**
   * Why {@code stage} need not run, or empty when it must. Called in stage order until it first returns empty.
   */
  Optional<String> skip(StageContext ctx, Stage stage, List<String> order) throws IOException {
    if (fromStage != null) {
      int from = order.indexOf(fromStage);
      return order.indexOf(stage.name()) < from ? Optional.of("before --from-stage " + fromStage) : Optional.empty();
    }
    if (mode == Mode.ALWAYS) {
      return Optional.empty();
    }
    Optional<Completed> done = read(ctx, stage.name());
    if (done.isEmpty()) {
      return Optional.empty();
    }
    Completed c = done.get();
    if (!c.settings().equals(settingsHash(ctx.config(), stage))) {
      return Optional.empty();
    }
    Optional<Published.Record> own = ctx.published().find(ctx.runDate(), stage.name());
    if (own.isPresent() && own.get().attempt() != c.attempt()) {
      return Optional.empty(); // a later attempt published and did not complete: it was stopped part-way
    }
    for (Map.Entry<String, Object> input : c.inputs().entrySet()) {
      if (!same(input.getValue(), current(ctx, input.getKey()))) {
        return Optional.empty();
      }
    }
    return Optional.of("completed by attempt " + c.attempt() + " on the same inputs and configuration ("
        + "--force redoes it)");
  }

  /** Forgets that a stage was completed, before running it again: a kill part-way must not leave it looking done. */
  static void forget(StageContext ctx, String stage) throws IOException {
    Path f = file(ctx, stage);
    FileSystem fs = Files.of(f, ctx.spark().sparkContext().hadoopConfiguration());
    fs.delete(f, false);
  }

  /** Records that {@code stage} completed in this attempt with what it read. */
  static void completed(StageContext ctx, Stage stage) throws IOException {
    Completed c = new Completed(stage.name(), ctx.attempt().number(), settingsHash(ctx.config(), stage),
        ctx.attempt().inputs(), Instant.now().toString());
    ctx.layout().writeAtomically(file(ctx, stage.name()), JSON.writeValueAsString(c));
  }

  private static Optional<Completed> read(StageContext ctx, String stage) throws IOException {
    Path f = file(ctx, stage);
    Optional<String> text = Files.readSmall(Files.of(f, ctx.spark().sparkContext().hadoopConfiguration()), f);
    return text.isEmpty() ? Optional.empty() : Optional.of(JSON.readValue(text.get(), Completed.class));
  }

  private static Path file(StageContext ctx, String stage) {
    return new Path(ctx.layout().stageDir(stage), FILE);
  }

  /** The key under which a stage records that it read a small file (its content is the input's value). */
  static String fileInput(Path file) {
    return FILE_INPUT + file;
  }

  /** The key under which a stage records that it read the files under a folder (their fingerprint). */
  static String filesInput(Path dir) {
    return FILES_INPUT + dir;
  }

  /** What an input recorded under {@code key} is now. */
  static Object current(StageContext ctx, String key) throws IOException {
    var hadoop = ctx.spark().sparkContext().hadoopConfiguration();
    if (key.startsWith(FILE_INPUT)) {
      Path f = new Path(key.substring(FILE_INPUT.length()));
      return Files.readSmall(Files.of(f, hadoop), f).map(String::trim).orElse("");
    }
    if (key.startsWith(FILES_INPUT)) {
      Path dir = new Path(key.substring(FILES_INPUT.length()));
      return fingerprint(Files.of(dir, hadoop), dir, ctx.runDate());
    }
    int slash = key.indexOf('/');
    LocalDate date = LocalDate.parse(key.substring(0, slash));
    return ctx.published().find(date, key.substring(slash + 1)).map(Published::asInput).orElse(null);
  }

  /**
   * The files under {@code dir} as a count, a byte total and a hash of every name, size and modification time:
   * changes when a file is added, removed, rewritten or touched. Hidden files ({@code .} or {@code _}) are left out,
   * and so are daily drops ({@code dt=YYYY-MM-DD}) after {@code runDate}: they were not known on that date.
   */
  static Map<String, Object> fingerprint(FileSystem fs, Path dir, LocalDate runDate) throws IOException {
    List<String> lines = new ArrayList<>();
    long bytes = 0;
    if (fs.exists(dir)) {
      String root = fs.makeQualified(dir).toUri().getPath();
      RemoteIterator<LocatedFileStatus> it = fs.listFiles(dir, true);
      while (it.hasNext()) {
        LocatedFileStatus s = it.next();
        String name = s.getPath().getName();
        if (name.startsWith(".") || name.startsWith("_") || dev.leeway.io.Drops.after(s.getPath(), runDate)) {
          continue;
        }
        // Every listed file lies under the root: its path relative to it names it.
        String rel = s.getPath().toUri().getPath().substring(root.length());
        lines.add(rel + "\t" + s.getLen() + "\t" + s.getModificationTime());
        bytes += s.getLen();
      }
    }
    lines.sort(null);
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("files", lines.size());
    m.put("bytes", bytes);
    m.put("sha256", sha256(String.join("\n", lines)));
    return m;
  }

  /**
   * A hash of the settings that shape a stage's results ({@link Stage#shapingSettings}: of ingest, features,
   * outcomes, effects, train, score; paths, Spark, catalog and lease settings are left out), the same in every JVM: canonical JSON with map entries sorted by key.
   * (Their toString was not: Map.copyOf iterates in an order salted per JVM, so every new process hashed the same
   * configuration differently and a rerun never skipped a completed stage.)
   */
  static String settingsHash(LeewayConfig c, Stage stage) {
    return hash(stage.shapingSettings(c));
  }

  /** The first 16 hex digits of the SHA-256 of a value's canonical JSON. */
  static String hash(Object settings) {
    try {
      return sha256(CANONICAL.writeValueAsString(settings)).substring(0, 16);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("Cannot hash the configuration: " + e.getMessage(), e);
    }
  }

  private static final ObjectMapper CANONICAL = com.fasterxml.jackson.databind.json.JsonMapper.builder()
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
      .enable(com.fasterxml.jackson.databind.MapperFeature.SORT_PROPERTIES_ALPHABETICALLY).build();

  private static boolean same(Object recorded, Object now) throws IOException {
    JsonNode a = JSON.readTree(JSON.writeValueAsString(recorded));
    JsonNode b = JSON.readTree(JSON.writeValueAsString(now));
    return a.equals(b);
  }

  private static String sha256(String text) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(
          StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
