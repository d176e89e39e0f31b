package dev.leeway.uplift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.config.LeewayConfig.TrainSettings;
import dev.leeway.features.ModelFeatures;
import dev.leeway.io.InputError;
import dev.leeway.support.TestSpark;
import dev.leeway.uplift.learners.LearnerContext;
import dev.leeway.uplift.learners.Learners;
import dev.leeway.uplift.learners.UpliftEstimator;
import dev.leeway.uplift.learners.UpliftModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Saved models come back whole, CURRENT switches on promotion, and a feature mismatch fails with a clear message. */
class ModelRegistryTest {
  @TempDir
  Path tmp;

  private static final TrainSettings SETTINGS = new TrainSettings(List.of("t_learner"), Map.of(), 0.2, 0.2, 50,
      0.05, 0.001, 7, 7, 0.02, 30, 5, 2, 0.3, 1, 1.0, 32, 500_000, "");

  private static UpliftModel tLearner(Dataset<Row> rows) {
    return Learners.create("t_learner", Map.of(), new LearnerContext(SETTINGS, null, null, null)).fit(rows);
  }

  private static Dataset<Row> rows() {
    StructType s = new StructType().add("customer_id", DataTypes.StringType).add("tenure", DataTypes.DoubleType)
        .add("policy", DataTypes.StringType).add(UpliftEstimator.T, DataTypes.DoubleType)
        .add(UpliftEstimator.Y, DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 80; i++) {
      double tenure = i % 10;
      double t = i % 2;
      // Granting helps long-tenured customers only.
      double y = t == 1 && tenure >= 5 ? 1.0 : 0.0;
      rows.add(RowFactory.create("C" + i, tenure, i % 3 == 0 ? "P1" : "P2", t, y));
    }
    return TestSpark.session().createDataFrame(rows, s);
  }

  @Test
  void savedModelsLoadWholeAndPromotionSwitchesCurrent() throws Exception {
    ModelFeatures features = new ModelFeatures(List.of("tenure"), List.of("policy"));
    Dataset<Row> prepared = features.prepare(rows());
    PipelineModel encoding = features.fit(prepared);
    UpliftModel fitted = tLearner(ModelFeatures.transform(encoding, prepared));
    ModelRegistry registry = new ModelRegistry(tmp.toString(), TestSpark.session().sparkContext()
        .hadoopConfiguration());
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("run_date", "2026-11-01");
    meta.put("learner", "t_learner");
    meta.put("outcomes", Map.of("retention_90d", Map.of()));
    meta.put("features", Map.of("numeric", List.of("tenure"), "categorical", List.of("policy")));
    assertEquals(Optional.empty(), registry.current(), "no model yet");
    registry.save("2026-11-01-a1", encoding, Map.of("retention_90d", fitted), meta, "{}");
    assertEquals(Optional.empty(), registry.current(), "saving does not promote");
    assertEquals(Optional.of(""), registry.promote("2026-11-01-a1", LocalDate.parse("2026-11-01")));
    assertEquals(Optional.of("2026-11-01-a1"), registry.current());

    ModelRegistry.Loaded loaded = registry.load("2026-11-01-a1", List.of(rows().columns()));
    List<Row> scored = loaded.predict(rows(), "retention_90d", "uplift").orderBy("customer_id")
        .select("tenure", "uplift").collectAsList();
    for (Row r : scored) {
      double expected = r.getDouble(0) >= 5 ? 1.0 : 0.0;
      assertEquals(expected, r.getDouble(1), 0.35, "the reloaded T-learner's uplift at tenure " + r.getDouble(0));
    }
    // This process keeps what it saved; read from disk (a copy of the folder this process has not seen), the model
    // predicts exactly the same.
    Path copy = tmp.resolve("copy");
    copyTree(tmp.resolve("models").resolve("2026-11-01-a1"), copy.resolve("models").resolve("2026-11-01-a1"));
    ModelRegistry.Loaded fromDisk = new ModelRegistry(copy.toString(), TestSpark.session().sparkContext()
        .hadoopConfiguration()).load("2026-11-01-a1", List.of(rows().columns()));
    assertEquals(scored, fromDisk.predict(rows(), "retention_90d", "uplift").orderBy("customer_id")
        .select("tenure", "uplift").collectAsList());
    // A version is never replaced.
    Map<String, Object> other = new LinkedHashMap<>(meta);
    other.put("learner", "s_learner");
    IllegalStateException again = assertThrows(IllegalStateException.class,
        () -> registry.save("2026-11-01-a1", encoding, Map.of("retention_90d", fitted), other, "{}"));
    assertTrue(again.getMessage().contains("never replaced"), again.getMessage());
    assertEquals("t_learner", registry.metadata("2026-11-01-a1").get("learner"));

    // The current model only moves forward: a model of an earlier run date is refused, a later one taken.
    Map<String, Object> older = new LinkedHashMap<>(meta);
    older.put("run_date", "2026-10-01");
    registry.save("2026-10-01-a1", encoding, Map.of("retention_90d", fitted), older, "{}");
    assertEquals(Optional.empty(), registry.promote("2026-10-01-a1", LocalDate.parse("2026-10-01")));
    assertEquals(Optional.of("2026-11-01-a1"), registry.current(), "a backfill's model does not become current");
    Map<String, Object> later = new LinkedHashMap<>(meta);
    later.put("run_date", "2026-11-02");
    registry.save("2026-11-02-a1", encoding, Map.of("retention_90d", fitted), later, "{}");
    assertEquals(Optional.of("2026-11-01-a1"), registry.promote("2026-11-02-a1", LocalDate.parse("2026-11-02")));
    assertEquals(Optional.of("2026-11-02-a1"), registry.current());
  }

  @Test
  void aVersionFolderWrittenAgainIsReadAgainNotTakenFromWhatThisProcessKept() throws Exception {
    ModelRegistry registry = savedV1();
    registry.load("v1", List.of(rows().columns()));
    // Someone deletes the folder and a new model is written under the same name: it is the one loaded.
    deleteTree(tmp.resolve("models").resolve("v1"));
    ModelFeatures features = new ModelFeatures(List.of("tenure"), List.of("policy"));
    Dataset<Row> prepared = features.prepare(rows());
    PipelineModel encoding = features.fit(prepared);
    Dataset<Row> reversed = prepared.withColumn(UpliftEstimator.Y, org.apache.spark.sql.functions.when(
        org.apache.spark.sql.functions.col(UpliftEstimator.T).equalTo(1.0)
            .and(org.apache.spark.sql.functions.col("tenure").lt(5)), 1.0).otherwise(0.0));
    registry.save("v1", encoding, Map.of("retention_90d", tLearner(ModelFeatures.transform(encoding, reversed))),
        v1Metadata(), "{}");
    for (Row r : registry.load("v1", List.of(rows().columns())).predict(rows(), "retention_90d", "uplift")
        .select("tenure", "uplift").collectAsList()) {
      assertEquals(r.getDouble(0) < 5 ? 1.0 : 0.0, r.getDouble(1), 0.35, "the new model's uplift at tenure "
          + r.getDouble(0));
    }
  }

  /** A registry under the test's folder holding version v1: a T-learner on {@link #rows()}. */
  private ModelRegistry savedV1() throws java.io.IOException {
    ModelFeatures features = new ModelFeatures(List.of("tenure"), List.of("policy"));
    Dataset<Row> prepared = features.prepare(rows());
    PipelineModel encoding = features.fit(prepared);
    ModelRegistry registry = new ModelRegistry(tmp.toString(), TestSpark.session().sparkContext()
        .hadoopConfiguration());
    registry.save("v1", encoding, Map.of("retention_90d", tLearner(ModelFeatures.transform(encoding, prepared))),
        v1Metadata(), "{}");
    return registry;
  }

  private static Map<String, Object> v1Metadata() {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("learner", "t_learner");
    meta.put("outcomes", Map.of("retention_90d", Map.of()));
    meta.put("features", Map.of("numeric", List.of("tenure"), "categorical", List.of("policy")));
    return meta;
  }

  private static void copyTree(Path from, Path to) throws java.io.IOException {
    java.nio.file.Files.createDirectories(to.getParent());
    try (var paths = java.nio.file.Files.walk(from)) {
      for (Path p : paths.toList()) {
        java.nio.file.Files.copy(p, to.resolve(from.relativize(p).toString()));
      }
    }
  }

  private static void deleteTree(Path dir) throws java.io.IOException {
    try (var paths = java.nio.file.Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        java.nio.file.Files.delete(p);
      }
    }
  }

  @Test
  void loadingAModelWhoseFeaturesTheDataLacksFailsNamingThem() throws Exception {
    ModelRegistry registry = savedV1();
    InputError e = assertThrows(InputError.class, () -> registry.load("v1", List.of("customer_id", "policy")));
    assertTrue(e.getMessage().contains("[tenure]") && e.getMessage().contains("v1"), e.getMessage());
  }
}
