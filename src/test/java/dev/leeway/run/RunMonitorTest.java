package dev.leeway.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leeway.config.LeewayConfig;
import dev.leeway.support.TestSpark;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run shows where it is while it runs (host, pid, attempt, a heartbeat that advances, the running stage's Spark
 * progress) and ends FAILED, with its stack trace kept, whatever stops a stage: an OutOfMemoryError included.
 */
class RunMonitorTest {
  private static final LocalDate D = LocalDate.parse("2026-11-01");
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  private LeewayConfig config() {
    return LeewayConfig.load(new File("conf/local.conf"), Map.of("leeway.paths.output_root",
        tmp.resolve("out").toString(), "leeway.paths.input_root", tmp.toString(), "leeway.run.heartbeat_seconds", "1"));
  }

  private static Stage stage(String name, Runnable body) {
    return new Stage() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public StageResult run(StageContext ctx) {
        body.run();
        return new StageResult(name, Map.of(), List.of(), List.of(), Map.of());
      }
    };
  }

  private JsonNode status() throws Exception {
    return JSON.readTree(tmp.resolve("out/runs/" + D + "/status.json").toFile());
  }

  @Test
  void statusShowsHeartbeatAndProgressWhileAStageRuns() throws Exception {
    SparkSession spark = TestSpark.session().newSession();
    List<JsonNode> seen = new ArrayList<>();
    AtomicReference<Exception> problem = new AtomicReference<>();
    Stage slow = stage("slow", () -> {
      spark.range(0, 200_000, 1, 4).selectExpr("sum(id)").collectAsList();
      try {
        for (int i = 0; i < 5; i++) {
          Thread.sleep(700);
          seen.add(status());
        }
      } catch (Exception e) {
        problem.set(e);
      }
    });
    Runner.Outcome outcome = new Runner().run(spark, config(), D, "test", List.of(slow));
    assertTrue(outcome.succeeded());
    assertEquals(null, problem.get());
    JsonNode last = seen.get(seen.size() - 1);
    assertEquals("RUNNING", last.get("outcome").asText());
    assertEquals(ProcessHandle.current().pid(), last.get("pid").asLong());
    assertFalse(last.get("host").asText().isBlank());
    assertEquals(1, last.get("attempt").asInt());
    assertTrue(Instant.parse(last.get("heartbeat_at").asText())
        .isAfter(Instant.parse(seen.get(0).get("heartbeat_at").asText())), "the heartbeat advances: " + seen);
    JsonNode progress = last.get("progress");
    assertEquals("slow", progress.get("stage").asText());
    assertTrue(progress.get("elapsed_seconds").asLong() >= 1, progress.toString());
    assertEquals(200_000, progress.get("rows_read").asLong(), "the stage's rows are counted: " + progress);
    assertTrue(progress.get("spark_jobs").asLong() >= 1, progress.toString());
    assertEquals(progress.get("tasks_total").asLong(), progress.get("tasks_done").asLong(), progress.toString());
    assertTrue(progress.get("step").asText().contains("RunMonitorTest"), progress.toString());
    JsonNode done = status();
    assertEquals("SUCCEEDED", done.get("outcome").asText());
    assertTrue(done.get("progress").isNull());
  }

  @Test
  void anyThrowableEndsTheRunFailedWithItsStackTraceKept() throws Exception {
    List<String> ran = new ArrayList<>();
    Stage ok = stage("first", () -> ran.add("first"));
    Stage oom = stage("second", () -> {
      throw new OutOfMemoryError("Java heap space");
    });
    Stage never = stage("third", () -> ran.add("third"));
    Runner.Outcome outcome = new Runner().run(TestSpark.session().newSession(), config(), D, "test", List.of(ok, oom, never));
    assertFalse(outcome.succeeded());
    assertEquals(List.of("first"), ran);
    assertEquals("second: OutOfMemoryError: Java heap space", outcome.error());
    JsonNode s = status();
    assertEquals("FAILED", s.get("outcome").asText());
    assertEquals("second: OutOfMemoryError: Java heap space", s.get("error").asText());
    assertEquals("SUCCEEDED", s.get("stages").get(0).get("outcome").asText());
    assertEquals("FAILED", s.get("stages").get(1).get("outcome").asText());
    assertNotNull(s.get("stages").get(1).get("finished_at").textValue());
    String trace = Files.readString(Path.of(s.get("stack_trace").asText()));
    assertTrue(trace.startsWith("java.lang.OutOfMemoryError: Java heap space"), trace);
    assertTrue(trace.contains("at dev.leeway.run.RunMonitorTest"), trace);
    assertFalse(Files.exists(tmp.resolve("out/runs/" + D + "/_lock")), "the lease is released");
  }
}
