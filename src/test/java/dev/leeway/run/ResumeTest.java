package dev.leeway.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.config.LeewayConfig;
import dev.leeway.support.TestSpark;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A rerun of a date skips the leading stages an earlier attempt completed on the same inputs and configuration, and
 * redoes everything from the first stage that is not: three small stages (raw files, then one table each) through
 * the real runner and catalog.
 */
class ResumeTest {
  private static final LocalDate D = LocalDate.parse("2026-11-01");

  @TempDir
  Path tmp;
  private SparkSession spark;
  private Path raw;
  private final List<String> ran = new ArrayList<>();
  private boolean failInB;

  @BeforeEach
  void inputs() throws Exception {
    spark = TestSpark.session().newSession();
    raw = tmp.resolve("in");
    Files.createDirectories(raw);
    Files.writeString(raw.resolve("a.csv"), "id\n1\n2\n");
  }

  private LeewayConfig config(String... overrides) {
    Map<String, String> o = new java.util.HashMap<>(Map.of("leeway.paths.output_root", tmp.resolve("out").toString(),
        "leeway.paths.input_root", raw.toString()));
    for (int i = 0; i < overrides.length; i += 2) {
      o.put(overrides[i], overrides[i + 1]);
    }
    return LeewayConfig.load(new File("conf/local.conf"), o);
  }

  /** Stage a reads the raw folder; b reads a's table; c reads b's table and a small file. */
  private List<Stage> stages() {
    Stage a = stage("a", ctx -> {
      ctx.dependsOnFiles(new org.apache.hadoop.fs.Path(raw.toString()));
      ctx.writeAuditPublish("a", audit -> audit.write("ra", spark.range(2).toDF()).count());
    });
    // a's results are shaped by the ingest settings only, like ingest's; b and c by all.
    Stage onlyIngestSettings = new Stage() {
      @Override
      public String name() {
        return a.name();
      }

      @Override
      public StageResult run(StageContext ctx) throws Exception {
        return a.run(ctx);
      }

      @Override
      public List<Object> shapingSettings(LeewayConfig c) {
        return List.of(c.ingest());
      }
    };
    return List.of(onlyIngestSettings, stage("b", ctx -> {
      long n = ctx.input("a", "ra", "read a").count();
      ctx.writeAuditPublish("b", audit -> audit.write("rb", spark.range(n * 10).toDF()).count());
      if (failInB) {
        throw new IllegalStateException("killed after publishing b");
      }
    }), stage("c", ctx -> {
      ctx.dependsOnFile(new org.apache.hadoop.fs.Path(tmp.resolve("out/models/CURRENT").toString()));
      ctx.writeAuditPublish("c", audit -> audit.write("rc", ctx.input("b", "rb", "read b")).count());
    }));
  }

  private interface Body {
    void run(StageContext ctx) throws Exception;
  }

  private Stage stage(String name, Body body) {
    return new Stage() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public StageResult run(StageContext ctx) throws Exception {
        ran.add(name);
        body.run(ctx);
        return new StageResult(name, Map.of(), List.of(), List.of(), Map.of());
      }
    };
  }

  private List<String> run(Resume resume, String... overrides) throws Exception {
    ran.clear();
    Runner.Outcome o = new Runner().run(spark, config(overrides), D, "nightly", stages(), resume);
    assertEquals(failInB, !o.succeeded(), String.valueOf(o.error()));
    return List.copyOf(ran);
  }

  @Test
  void aRerunSkipsWhatWasCompletedOnTheSameInputsAndRedoesFromTheFirstChange() throws Exception {
    assertEquals(List.of("a", "b", "c"), run(Resume.skipCompleted()));
    assertEquals(List.of(), run(Resume.skipCompleted()), "nothing changed: nothing to do");
    String status = Files.readString(tmp.resolve("out/runs/" + D + "/status.json"));
    assertTrue(status.contains("\"SKIPPED\"") && status.contains("completed by attempt 1"), status);

    // A stage run on its own (another attempt) replaces b's table: c read the old one, so c is redone.
    new Runner().run(spark, config(), D, "b", List.of(stages().get(1)));
    assertEquals(List.of("c"), run(Resume.skipCompleted()));

    // The model pointer c depends on changes: c is redone.
    Files.createDirectories(tmp.resolve("out/models"));
    Files.writeString(tmp.resolve("out/models/CURRENT"), "v2\n");
    assertEquals(List.of("c"), run(Resume.skipCompleted()));

    // A raw file is added: everything is redone.
    Files.writeString(raw.resolve("b.csv"), "id\n3\n");
    assertEquals(List.of("a", "b", "c"), run(Resume.skipCompleted()));

    // A setting that shapes b's and c's results but not a's: b and c are redone, a is not.
    assertEquals(List.of("b", "c"), run(Resume.skipCompleted(), "leeway.effects.folds", "3"));
    // One that shapes a's: everything is redone; --force redoes everything too.
    assertEquals(List.of("a", "b", "c"), run(Resume.skipCompleted(), "leeway.effects.folds", "3",
        "leeway.ingest.max_field_chars", "5000"));
    assertEquals(List.of("a", "b", "c"), run(Resume.always(), "leeway.effects.folds", "3"));
    assertEquals(List.of("c"), run(Resume.from("c"), "leeway.effects.folds", "3"));
  }

  @Test
  void aStageStoppedAfterPublishingIsRedoneAndNeverLooksCompleted() throws Exception {
    assertEquals(List.of("a", "b", "c"), run(Resume.skipCompleted()));
    failInB = true; // b publishes a new attempt's table, then dies before it completes
    assertEquals(List.of("a", "b"), run(Resume.always()));
    assertFalse(Files.exists(tmp.resolve("out/runs/" + D + "/b/" + Resume.FILE)), "b is not marked completed");
    failInB = false;
    assertEquals(List.of("b", "c"), run(Resume.skipCompleted()), "a stays done; b and everything after are redone");
  }

  /** A map's iteration order (salted per JVM for Map.copyOf) must not change the hash a rerun compares. */
  record Limits(java.util.Map<String, Double> byPolicy) {}

  @Test
  void settingsHashIgnoresMapOrder() {
    java.util.Map<String, Double> ab = new java.util.LinkedHashMap<>();
    ab.put("A", 1.0);
    ab.put("B", 2.0);
    java.util.Map<String, Double> ba = new java.util.LinkedHashMap<>();
    ba.put("B", 2.0);
    ba.put("A", 1.0);
    org.junit.jupiter.api.Assertions.assertNotEquals(new Limits(ab).toString(), new Limits(ba).toString());
    org.junit.jupiter.api.Assertions.assertEquals(Resume.hash(new Limits(ab)), Resume.hash(new Limits(ba)));
    ba.put("A", 1.5);
    org.junit.jupiter.api.Assertions.assertNotEquals(Resume.hash(new Limits(ab)), Resume.hash(new Limits(ba)));
    var c = dev.leeway.config.LeewayConfig.load(new java.io.File("conf/local.conf"), java.util.Map.of());
    org.junit.jupiter.api.Assertions.assertEquals(16, Resume.settingsHash(c, stages().get(0)).length());
  }
}
