package dev.leeway.uplift;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.features.ModelFeatures;
import dev.leeway.io.Files;
import dev.leeway.io.InputError;
import dev.leeway.run.RunLease;
import dev.leeway.uplift.learners.UpliftModel;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Versioned uplift models under {@code <output_root>/models}: one folder per version ({@code <run-date>-a<attempt>})
 * holding {@code metadata.json}, {@code summary.json} (the training summary), the fitted feature encoding and each
 * outcome's learner, and a {@code CURRENT} file naming the version scoring uses. Versions are immutable: a version
 * folder is written aside and appears whole under a name never used before, so nothing ever replaces it.
 * {@code CURRENT} switches in one atomic step, and only to a model of the same or a later run date.
 */
public final class ModelRegistry {
  public static final String CURRENT = "CURRENT";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Path root;
  private final Configuration conf;

  /**
   * The encodings and learners of the versions this process saved or loaded, by version folder and the time it was
   * written: a version never changes, so a nightly's score and report use what train saved, or what score loaded,
   * instead of reading it again (Spark ML's readers run several Spark jobs per model part). The few latest only.
   */
  private static final Map<String, Fitted> FITTED = java.util.Collections.synchronizedMap(
      new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Fitted> eldest) {
          return size() > 4;
        }
      });

  private record Fitted(PipelineModel encoding, Map<String, UpliftModel> models) {}

  public ModelRegistry(String outputRoot, Configuration conf) {
    this.root = new Path(outputRoot, "models");
    this.conf = conf;
  }

  public Path root() {
    return root;
  }

  public Path dir(String version) {
    return new Path(root, version);
  }

  private FileSystem fs() throws IOException {
    return Files.of(root, conf);
  }

  /** The version scoring uses, if any. */
  /** The file naming the current version. */
  public Path currentFile() {
    return new Path(root, CURRENT);
  }

  public Optional<String> current() throws IOException {
    return Files.readSmall(fs(), currentFile());
  }

  public Map<String, Object> metadata(String version) throws IOException {
    Path p = new Path(dir(version), "metadata.json");
    if (!fs().exists(p)) {
      throw new IllegalStateException("Model " + version + " has no metadata at " + p);
    }
    try (InputStream in = fs().open(p)) {
      return JSON.readValue(in, new TypeReference<LinkedHashMap<String, Object>>() {});
    }
  }

  /** The run date that trained a version (from its metadata). */
  public java.time.LocalDate runDate(String version) throws IOException {
    return java.time.LocalDate.parse(String.valueOf(metadata(version).get("run_date")));
  }

  /** The training summary saved with a version, if it has one (versions saved before it was kept lack it). */
  public Optional<Map<String, Object>> summary(String version) throws IOException {
    Optional<String> text = Files.readSmall(fs(), new Path(dir(version), "summary.json"));
    return text.isEmpty() ? Optional.empty()
        : Optional.of(JSON.readValue(text.get(), new TypeReference<LinkedHashMap<String, Object>>() {}));
  }

  /**
   * Writes a new version whole: aside first, then renamed to its name. Fails if the version exists: a version is
   * never replaced.
   */
  public void save(String version, PipelineModel encoding, Map<String, UpliftModel> models,
      Map<String, Object> metadata, String summaryJson) throws IOException {
    FileSystem fs = fs();
    if (fs.exists(dir(version))) {
      throw new IllegalStateException("Model version " + version + " exists already at " + dir(version)
          + "; versions are never replaced");
    }
    Path staging = new Path(new Path(root, "_staging"), version + "-" + UUID.randomUUID());
    try {
      encoding.write().overwrite().save(new Path(staging, "encoding").toString());
      for (Map.Entry<String, UpliftModel> e : models.entrySet()) {
        e.getValue().write().overwrite().save(new Path(staging, e.getKey()).toString());
      }
      try (OutputStream out = fs.create(new Path(staging, "metadata.json"), true)) {
        out.write(JSON.writeValueAsBytes(metadata));
      }
      try (OutputStream out = fs.create(new Path(staging, "summary.json"), true)) {
        out.write(summaryJson.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
      if (!fs.rename(staging, dir(version))) {
        throw new IOException("Cannot save model " + version + ": rename of " + staging + " to " + dir(version)
            + " failed");
      }
      FITTED.put(written(version), new Fitted(encoding, Map.copyOf(models)));
    } finally {
      fs.delete(staging, true);
    }
  }

  /** Removes staging folders that killed runs of {@code runDate} left; returns how many. */
  public int sweepStaging(java.time.LocalDate runDate) throws IOException {
    FileSystem fs = fs();
    Path staging = new Path(root, "_staging");
    if (!fs.exists(staging)) {
      return 0;
    }
    int n = 0;
    for (org.apache.hadoop.fs.FileStatus f : fs.listStatus(staging)) {
      if (f.getPath().getName().startsWith(runDate + "-") && fs.delete(f.getPath(), true)) {
        n++;
      }
    }
    return n;
  }

  /**
   * Makes {@code version}, trained on {@code runDate}, the one scoring uses (an atomic replace of a small file),
   * unless the current model was trained on a later run date: the current model only moves forward. Runs of
   * different dates promote one at a time (a short lease).
   *
   * @return the version it replaced ("" when there was none), or empty when it was refused
   */
  public Optional<String> promote(String version, java.time.LocalDate runDate) throws IOException {
    try (RunLease lease = RunLease.acquire(new Path(root, "_promote.lock"), conf, "A model promotion",
        Map.of("version", version), java.time.Duration.ofMinutes(5), java.time.Duration.ofSeconds(30))) {
      Optional<String> current = current();
      if (current.isPresent() && !current.get().equals(version) && runDate(current.get()).isAfter(runDate)) {
        return Optional.empty();
      }
      Files.writeAtomically(fs(), new Path(root, CURRENT), version + "\n");
      return Optional.of(current.orElse(""));
    }
  }

  /** A loaded model: its metadata, encoding and per-outcome learners. */
  public record Loaded(String version, Map<String, Object> metadata, ModelFeatures features, PipelineModel encoding,
      Map<String, UpliftModel> models) {
    /** The primary outcome (retention at the training horizon): champion and promotion were decided on it. */
    public String retentionOutcome() {
      return String.valueOf(metadata.get("primary_outcome"));
    }

    /** The model's other outcome (converted referrals). */
    public String referralOutcome() {
      return models.keySet().stream().filter(o -> !o.equals(retentionOutcome())).findFirst()
          .orElseThrow(() -> new IllegalStateException("Model " + version + " has no referral outcome: "
              + models.keySet()));
    }

    /** The referral window the model was trained on; {@code fallback} for models saved before it was recorded. */
    public int referralWindowDays(int fallback) {
      return metadata.get("referral_window_days") instanceof Number n ? n.intValue() : fallback;
    }

    /**
     * Per numeric feature, the range of the requests the model learned from ({@code train.support_quantile});
     * empty for models saved before it was recorded.
     */
    @SuppressWarnings("unchecked")
    public Map<String, double[]> support() {
      Map<String, double[]> out = new LinkedHashMap<>();
      if (metadata.get("support") instanceof Map<?, ?> m) {
        for (Map.Entry<?, ?> e : m.entrySet()) {
          List<Number> b = (List<Number>) e.getValue();
          out.put(String.valueOf(e.getKey()), new double[] {b.get(0).doubleValue(), b.get(1).doubleValue()});
        }
      }
      return out;
    }

    /**
     * Per policy, the shift added to the predicted retention uplift so the mean over the policy's granted requests
     * matches its doubly robust ATT (only where they disagreed beyond the ATT's interval); empty otherwise.
     */
    public Map<String, Double> calibrationShifts() {
      Map<String, Double> out = new LinkedHashMap<>();
      if (metadata.get("calibration") instanceof List<?> rows) {
        for (Object o : rows) {
          if (o instanceof Map<?, ?> r && Boolean.TRUE.equals(r.get("applied")) && r.get("shift") instanceof Number n) {
            out.put(String.valueOf(r.get("policy")), n.doubleValue());
          }
        }
      }
      return out;
    }

    /** Adds {@code outputCol}: the predicted effect of a grant on {@code outcome} for each row. */
    public Dataset<Row> predict(Dataset<Row> rows, String outcome, String outputCol) {
      UpliftModel m = models.get(outcome);
      if (m == null) {
        throw new IllegalArgumentException("Model " + version + " has no model for outcome " + outcome + "; it has "
            + models.keySet());
      }
      Dataset<Row> vectors = ModelFeatures.transform(encoding, features.prepare(rows));
      return m.copy(new org.apache.spark.ml.param.ParamMap()).setFeaturesCol(ModelFeatures.VECTOR)
          .setPredictionCol(outputCol).transform(vectors).drop(ModelFeatures.VECTOR);
    }
  }

  /**
   * Loads {@code version} to score {@code dataColumns}; fails with a message naming the missing feature columns
   * when the data does not carry every feature the model was trained with.
   */
  @SuppressWarnings("unchecked")
  public Loaded load(String version, List<String> dataColumns) throws IOException {
    Map<String, Object> meta = metadata(version);
    Map<String, Object> features = (Map<String, Object>) meta.get("features");
    List<String> numeric = (List<String>) features.get("numeric");
    List<String> categorical = (List<String>) features.get("categorical");
    List<String> missing = new ArrayList<>();
    for (String c : numeric) {
      if (!dataColumns.contains(c)) {
        missing.add(c);
      }
    }
    for (String c : categorical) {
      if (!dataColumns.contains(c)) {
        missing.add(c);
      }
    }
    if (!missing.isEmpty()) {
      throw new InputError("Model " + version + " was trained on features the data does not have: "
          + missing + ". Retrain with `leeway train`, or restore the feature configuration the model was trained "
          + "with (leeway.features.*)");
    }
    String written = written(version);
    Fitted fitted = FITTED.get(written);
    if (fitted == null) {
      Map<String, UpliftModel> models = new LinkedHashMap<>();
      for (String outcome : ((Map<String, Object>) meta.get("outcomes")).keySet()) {
        models.put(outcome, UpliftModel.load(new Path(dir(version), outcome).toString()));
      }
      fitted = new Fitted(PipelineModel.load(new Path(dir(version), "encoding").toString()), models);
      FITTED.put(written, fitted);
    }
    Map<String, UpliftModel> models = new LinkedHashMap<>();
    for (String outcome : ((Map<String, Object>) meta.get("outcomes")).keySet()) {
      models.put(outcome, fitted.models().get(outcome));
    }
    return new Loaded(version, meta, new ModelFeatures(numeric, categorical), fitted.encoding(), models);
  }

  /**
   * A version's folder and when its metadata was written (a file's time, which object stores keep too): a folder
   * deleted and written again is another entry.
   */
  private String written(String version) throws IOException {
    Path metadata = fs().makeQualified(new Path(dir(version), "metadata.json"));
    return metadata + "@" + fs().getFileStatus(metadata).getModificationTime();
  }
}
