package dev.leeway.lookup;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.hadoop.ParquetReader;
import org.apache.parquet.hadoop.example.GroupReadSupport;

/**
 * Looks up published scores in memory, for tools that embed Leeway's recommendations: load the latest complete set
 * once (and again after each nightly run), then answer {@link #lookup} in well under a microsecond or two. Needs
 * only {@code parquet-hadoop} and Hadoop's client API on the classpath, no Spark.
 *
 * <pre>
 *   ScoreLookup scores = ScoreLookup.loadLatest("/data/leeway/out/scores");
 *   scores.lookup("C00012345", "TRIAL_EXTENSION").filter(Score::isFlex).ifPresent(s -> offer(s.maxConcession()));
 * </pre>
 *
 * An instance is immutable and safe to share between threads; to pick up a new run, load a new one and swap the
 * reference.
 */
public final class ScoreLookup {
  /** The scores contract versions this library reads. */
  public static final int CONTRACT_VERSION = 3;

  private final LocalDate runDate;
  private final Map<String, Score[]> byCustomer;
  private final int size;

  private ScoreLookup(LocalDate runDate, Map<String, Score[]> byCustomer, int size) {
    this.runDate = runDate;
    this.byCustomer = byCustomer;
    this.size = size;
  }

  /** Loads the set that {@code <scoresRoot>/LATEST} names (local path or any Hadoop file-system URI). */
  public static ScoreLookup loadLatest(String scoresRoot) {
    return loadLatest(scoresRoot, new Configuration());
  }

  public static ScoreLookup loadLatest(String scoresRoot, Configuration conf) {
    Path root = new Path(scoresRoot);
    try {
      FileSystem fs = root.getFileSystem(conf);
      Path latest = new Path(root, "LATEST");
      if (!fs.exists(latest)) {
        throw new IllegalStateException("No published scores: " + latest + " does not exist (run `leeway score`)");
      }
      String date;
      try (InputStream in = fs.open(latest)) {
        date = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      }
      Path manifest = new Path(new Path(root, "served"), date + ".json");
      if (fs.exists(manifest)) {
        return load(files(fs, manifest), LocalDate.parse(date), conf);
      }
      // Sets published before manifests listed their files: a run_date= folder of Parquet files.
      Path dir = new Path(root, "run_date=" + date);
      FileStatus[] files = fs.listStatus(dir, p -> p.getName().endsWith(".parquet"));
      Arrays.sort(files);
      List<Path> paths = new ArrayList<>();
      for (FileStatus f : files) {
        paths.add(f.getPath());
      }
      return load(paths, LocalDate.parse(date), conf);
    } catch (IOException e) {
      throw new UncheckedIOException("Cannot load scores from " + scoresRoot + ": " + e.getMessage(), e);
    }
  }

  /**
   * The data files a served manifest lists (a JSON document with a {@code "files"} array of paths): the Parquet files
   * of the published snapshot. Read with a small scanner, so the library needs no JSON dependency.
   */
  static List<Path> files(FileSystem fs, Path manifest) throws IOException {
    String json;
    try (InputStream in = fs.open(manifest)) {
      json = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    java.util.regex.Matcher block = java.util.regex.Pattern.compile("\"files\"\\s*:\\s*\\[([^\\]]*)\\]")
        .matcher(json);
    if (!block.find()) {
      throw new IOException("The served manifest " + manifest + " lists no files");
    }
    List<Path> out = new ArrayList<>();
    java.util.regex.Matcher item = java.util.regex.Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"")
        .matcher(block.group(1));
    while (item.find()) {
      out.add(new Path(item.group(1).replace("\\/", "/").replace("\\\\", "\\")));
    }
    return out;
  }

  /** Loads a set of Parquet files holding one run date's scores. */
  public static ScoreLookup load(List<Path> files, LocalDate runDate, Configuration conf) throws IOException {
    Map<String, List<Score>> rows = new HashMap<>();
    Map<String, String> interned = new HashMap<>();
    int n = 0;
    for (Path f : files) {
      try (ParquetReader<Group> reader = ParquetReader.builder(new GroupReadSupport(), f).withConf(conf)
          .build()) {
        for (Group g = reader.read(); g != null; g = reader.read()) {
          Score s = score(g, runDate, interned);
          rows.computeIfAbsent(s.customerId(), k -> new ArrayList<>(4)).add(s);
          n++;
        }
      }
    }
    Map<String, Score[]> byCustomer = new HashMap<>(rows.size() * 4 / 3 + 1);
    rows.forEach((k, v) -> byCustomer.put(k, v.toArray(Score[]::new)));
    return new ScoreLookup(runDate, byCustomer, n);
  }

  /** The recommendation for a customer and policy, if the set has one. */
  public Optional<Score> lookup(String customerId, String policy) {
    Score[] scores = byCustomer.get(customerId);
    if (scores != null) {
      for (Score s : scores) {
        if (s.policy().equals(policy)) {
          return Optional.of(s);
        }
      }
    }
    return Optional.empty();
  }

  /** Every policy's recommendation for a customer (empty when the customer was not scored). */
  public List<Score> forCustomer(String customerId) {
    Score[] scores = byCustomer.get(customerId);
    return scores == null ? List.of() : Collections.unmodifiableList(Arrays.asList(scores));
  }

  /** The customers the set covers. */
  public java.util.Set<String> customerIds() {
    return Collections.unmodifiableSet(byCustomer.keySet());
  }

  public LocalDate runDate() {
    return runDate;
  }

  /** Number of (customer, policy) rows loaded. */
  public int size() {
    return size;
  }

  private static Score score(Group g, LocalDate runDate, Map<String, String> interned) {
    List<String> codes = new ArrayList<>();
    for (Group e : list(g, "reason_codes")) {
      codes.add(intern(interned, e.getString("element", 0)));
    }
    List<String> outside = new ArrayList<>();
    for (Group e : list(g, "outside_support")) {
      outside.add(intern(interned, e.getString("element", 0)));
    }
    List<Score.Reason> reasons = new ArrayList<>();
    for (Group e : list(g, "reasons")) {
      Group r = e.getGroup("element", 0);
      reasons.add(new Score.Reason(intern(interned, r.getString("feature", 0)),
          intern(interned, r.getString("direction", 0)), r.getDouble("effect", 0), intern(interned, r.getString("text", 0))));
    }
    return new Score(
        g.getString("customer_id", 0),
        intern(interned, g.getString("policy", 0)),
        intern(interned, g.getString("recommendation", 0)),
        g.getDouble("max_concession", 0),
        has(g, "expected_net_value") ? g.getDouble("expected_net_value", 0) : null,
        has(g, "flex_threshold") ? g.getDouble("flex_threshold", 0) : null,
        has(g, "entitlement_cost") ? g.getDouble("entitlement_cost", 0) : null,
        has(g, "uplift_retention") ? g.getDouble("uplift_retention", 0) : Double.NaN,
        has(g, "uplift_referrals") ? g.getDouble("uplift_referrals", 0) : Double.NaN,
        has(g, "uplift_calibrated") && g.getBoolean("uplift_calibrated", 0), List.copyOf(outside),
        has(g, "past_grants") ? g.getLong("past_grants", 0) : 0L,
        has(g, "sporadic_cap") ? g.getInteger("sporadic_cap", 0) : Integer.MAX_VALUE,
        has(g, "expected_requests_per_day") ? g.getDouble("expected_requests_per_day", 0) : 0.0,
        List.copyOf(codes), List.copyOf(reasons),
        intern(interned, g.getString("model_version", 0)),
        runDate,
        has(g, "valid_until") ? LocalDate.ofEpochDay(g.getInteger("valid_until", 0)) : null);
  }

  private static boolean has(Group g, String field) {
    return g.getFieldRepetitionCount(field) > 0;
  }

  /** The elements of a Parquet LIST (three-level: field / repeated "list" / "element"). */
  private static List<Group> list(Group g, String field) {
    if (!has(g, field)) {
      return List.of();
    }
    Group list = g.getGroup(field, 0);
    int n = list.getFieldRepetitionCount("list");
    List<Group> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(list.getGroup("list", i));
    }
    return out;
  }

  private static String intern(Map<String, String> pool, String s) {
    return pool.computeIfAbsent(s, k -> k);
  }
}
