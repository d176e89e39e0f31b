package dev.leeway.run;

import dev.leeway.config.LeewayConfig;
import dev.leeway.io.RunLayout;
import dev.leeway.tables.Catalog;
import java.io.IOException;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs stages in order for one run date, keeping runs/&lt;date&gt;/status.json current after every step. The run
 * holds the date's lease throughout (a second run of the date is refused), numbers its attempt, and first sweeps
 * what killed attempts left. The first failing stage stops the run; stages already published stay, the failed one
 * publishes nothing.
 */
public final class Runner {
  private static final Logger LOG = LoggerFactory.getLogger(Runner.class);

  /** The outcome of a run: its status document and the per-stage results that succeeded. */
  public record Outcome(
      RunStatus status, List<StageResult> results, Throwable failure, String error, String statusPath) {
    public boolean succeeded() {
      return failure == null;
    }
  }

  /**
   * Runs {@code stages} under the run date's lease.
   *
   * @throws RunLease.Held when another run of the date holds the lease (nothing was done)
   */
  public Outcome run(SparkSession spark, LeewayConfig config, LocalDate runDate, String command, List<Stage> stages)
      throws IOException {
    return run(spark, config, runDate, command, stages, Resume.always());
  }

  /**
   * Runs {@code stages} under the run date's lease, skipping the leading ones {@code resume} says an earlier attempt
   * completed.
   *
   * @throws RunLease.Held when another run of the date holds the lease (nothing was done)
   */
  public Outcome run(SparkSession spark, LeewayConfig config, LocalDate runDate, String command, List<Stage> stages,
      Resume resume) throws IOException {
    RunLayout layout = new RunLayout(config.paths().outputRoot(), runDate, spark.sparkContext().hadoopConfiguration());
    try (RunLease lease = RunLease.acquire(layout.lockFile(), spark.sparkContext().hadoopConfiguration(),
        "A run of " + runDate, Map.of("command", command),
        Duration.ofMinutes(config.run().lockStaleMinutes()), Duration.ofSeconds(config.run().heartbeatSeconds()))) {
      int attempt = layout.nextAttempt();
      RunStatus status = new RunStatus(runDate, command, config.source(), config.paths().inputRoot(),
          config.paths().outputRoot());
      status.attempt(attempt, lease.takenOverFrom().orElse(null));
      try (RunMonitor monitor = RunMonitor.start(status, layout, spark.sparkContext(),
          Duration.ofSeconds(config.run().heartbeatSeconds()))) {
        try {
          Catalog catalog = Catalog.open(spark, config);
          sweep(layout, catalog, runDate);
          StageContext ctx = new StageContext(spark, config, runDate, layout, new RunAttempt(attempt), catalog);
          return runStages(ctx, monitor, status, stages, resume);
        } catch (Throwable e) {
          // Whatever ends a run, an OutOfMemoryError included, ends it FAILED with its stack trace kept.
          String stage = status.runningStage();
          String reason = Errors.oneLine(e);
          status.failed(stage, reason);
          keepStackTrace(layout, attempt, status, e);
          saveQuietly(monitor);
          return new Outcome(status, List.of(), e, (stage == null ? "start" : stage) + ": " + reason,
              layout.statusFile().toString());
        }
      }
    }
  }

  private static Outcome runStages(StageContext ctx, RunMonitor monitor, RunStatus status, List<Stage> stages,
      Resume resume) throws Exception {
    List<StageResult> results = new ArrayList<>();
    List<String> order = stages.stream().map(Stage::name).toList();
    boolean resumed = false;
    for (Stage stage : stages) {
      var entry = status.stageStarted(stage.name());
      Optional<String> skip = resumed ? Optional.empty() : resume.skip(ctx, stage, order);
      if (skip.isPresent()) {
        status.stageSkipped(entry, skip.get());
        results.add(new StageResult(stage.name(), Map.of(), List.of(), List.of(), Map.of("skipped", skip.get())));
        LOG.info("Stage {} skipped: {}", stage.name(), skip.get());
        monitor.save();
        continue;
      }
      resumed = true;
      monitor.save();
      LOG.info("Stage {} started for run date {} (attempt {})", stage.name(), ctx.runDate(), ctx.attempt().number());
      ctx.attempt().startStage();
      monitor.stageStarted(stage.name());
      try {
        Resume.forget(ctx, stage.name());
        StageResult result = stage.run(ctx);
        Resume.completed(ctx, stage);
        status.stageSucceeded(entry, result, ctx.attempt().inputs());
        results.add(result);
        LOG.info("Stage {} succeeded", stage.name());
      } catch (Throwable e) {
        String reason = Errors.oneLine(e);
        status.failed(stage.name(), reason);
        Errors.cause(e, FailureDetails.class).ifPresent(d -> status.stageDetails(entry, d.details()));
        keepStackTrace(ctx.layout(), ctx.attempt().number(), status, e);
        saveQuietly(monitor);
        return new Outcome(status, results, e, stage.name() + ": " + reason, ctx.layout().statusFile().toString());
      } finally {
        status.stageDetails(entry, Map.of("resources", monitor.resources()));
        monitor.stageEnded();
        ctx.layout().deleteWork();
      }
      monitor.save();
    }
    status.finish(RunStatus.SUCCEEDED, null);
    monitor.save();
    return new Outcome(status, results, null, null, ctx.layout().statusFile().toString());
  }

  /**
   * Writes the failure's whole stack trace to runs/&lt;date&gt;/failure-attempt-&lt;n&gt;.txt and names it in the
   * status and the log; the console keeps one line.
   */
  private static void keepStackTrace(RunLayout layout, int attempt, RunStatus status, Throwable e) {
    org.apache.hadoop.fs.Path file = new org.apache.hadoop.fs.Path(layout.runDir(), "failure-attempt-" + attempt + ".txt");
    try {
      java.io.StringWriter trace = new java.io.StringWriter();
      e.printStackTrace(new java.io.PrintWriter(trace));
      layout.writeAtomically(file, trace.toString());
      status.stackTrace(file.toString());
      LOG.error("Run failed: {} (stack trace in {})", Errors.oneLine(e), file);
    } catch (Throwable writing) {
      LOG.error("Run failed; its stack trace could not be written to {} ({}), so here it is", file, writing, e);
    }
  }

  private static void saveQuietly(RunMonitor monitor) {
    try {
      monitor.save();
    } catch (Throwable e) {
      LOG.error("Could not write the failed run's status: {}", e.toString());
    }
  }

  /** Removes what killed attempts of this date left: work folders, temporary files, audit branches. */
  private static void sweep(RunLayout layout, Catalog catalog, LocalDate runDate) throws IOException {
    int files = layout.sweep();
    int branches = catalog.sweepAuditBranches(runDate);
    if (files + branches > 0) {
      LOG.info("Swept {} leftover folder(s)/file(s) and {} audit branch(es) of earlier attempts at {}", files,
          branches, runDate);
    }
  }
}
