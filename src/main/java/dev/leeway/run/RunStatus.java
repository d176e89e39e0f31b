package dev.leeway.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The status of one run date, as schedulers and people read it from runs/&lt;date&gt;/status.json: what ran, when,
 * rows in/out/quarantined per table, where outputs are, and how it ended.
 */
public final class RunStatus {
  public static final String RUNNING = "RUNNING";
  public static final String SUCCEEDED = "SUCCEEDED";
  public static final String FAILED = "FAILED";
  public static final String SKIPPED = "SKIPPED";

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final Map<String, Object> root = new LinkedHashMap<>();
  private final List<Map<String, Object>> stages = new ArrayList<>();

  public RunStatus(LocalDate runDate, String command, String configSource, String inputRoot, String outputRoot) {
    root.put("run_date", runDate.toString());
    root.put("attempt", null);
    root.put("host", RunLease.hostName());
    root.put("pid", ProcessHandle.current().pid());
    root.put("command", command);
    root.put("outcome", RUNNING);
    root.put("stage", null);
    root.put("started_at", Instant.now().toString());
    root.put("finished_at", null);
    root.put("error", null);
    root.put("heartbeat_at", null);
    root.put("progress", null);
    root.put("leeway_version", Version.get());
    root.put("config", configSource);
    root.put("input_root", inputRoot);
    root.put("output_root", outputRoot);
    root.put("stages", stages);
  }

  /** The attempt number, and the holder of a stale lease this run took over (a killed run), if any. */
  public synchronized void attempt(int number, String tookOverFrom) {
    root.put("attempt", number);
    if (tookOverFrom != null) {
      root.put("took_over_stale_lease_of", tookOverFrom);
    }
  }

  public synchronized Map<String, Object> stageStarted(String stage) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("stage", stage);
    s.put("outcome", RUNNING);
    s.put("started_at", Instant.now().toString());
    s.put("finished_at", null);
    stages.add(s);
    root.put("stage", stage);
    return s;
  }

  public synchronized void stageSucceeded(Map<String, Object> s, StageResult result, Map<String, Object> inputs) {
    s.put("outcome", SUCCEEDED);
    s.put("finished_at", Instant.now().toString());
    Map<String, Object> tables = new LinkedHashMap<>();
    result.tables().forEach((name, c) -> {
      Map<String, Object> t = new LinkedHashMap<>();
      t.put("rows_in", c.rowsIn());
      t.put("rows_out", c.rowsOut());
      t.put("rows_quarantined", c.rowsQuarantined());
      t.put("reconciled", c.reconciled());
      t.put("quarantine_reasons", c.quarantineReasons());
      tables.put(name, t);
    });
    s.put("tables", tables);
    s.put("outputs", result.outputs());
    s.put("warnings", result.warnings());
    s.put("metrics", result.metrics());
    s.put("inputs", inputs);
  }

  /** A stage not run because an earlier attempt already completed it (a resumed run). */
  public synchronized void stageSkipped(Map<String, Object> s, String why) {
    s.put("outcome", SKIPPED);
    s.put("finished_at", s.get("started_at"));
    s.put("skipped", why);
  }

  /** Adds details (such as gate results) to a stage's entry. */
  public synchronized void stageDetails(Map<String, Object> s, Map<String, Object> details) {
    s.putAll(details);
  }

  public synchronized void stageFailed(Map<String, Object> s, String error) {
    s.put("outcome", FAILED);
    s.put("finished_at", Instant.now().toString());
    s.put("error", error);
  }

  public synchronized void finish(String outcome, String error) {
    root.put("outcome", outcome);
    root.put("finished_at", Instant.now().toString());
    root.put("error", error);
    root.put("progress", null);
  }

  /** The running stage's progress (null between stages). */
  public synchronized void progress(Map<String, Object> progress) {
    root.put("progress", progress);
  }

  /** The run is alive at {@code at}. */
  public synchronized void alive(Instant at) {
    root.put("heartbeat_at", at.toString());
  }

  /** The stage now RUNNING, or null. */
  public synchronized String runningStage() {
    for (Map<String, Object> s : stages) {
      if (RUNNING.equals(s.get("outcome"))) {
        return (String) s.get("stage");
      }
    }
    return null;
  }

  /** The run failed, in {@code stage} (null: before any stage), for {@code reason}. */
  public synchronized void failed(String stage, String reason) {
    for (Map<String, Object> s : stages) {
      if (RUNNING.equals(s.get("outcome"))) {
        stageFailed(s, reason);
      }
    }
    finish(FAILED, stage == null ? reason : stage + ": " + reason);
  }

  /** Where the failure's stack trace was written. */
  public synchronized void stackTrace(String file) {
    root.put("stack_trace", file);
  }

  public synchronized String outcome() {
    return (String) root.get("outcome");
  }

  public synchronized String toJson() {
    try {
      return JSON.writeValueAsString(root);
    } catch (Exception e) {
      throw new IllegalStateException("Cannot write the run status as JSON", e);
    }
  }
}
