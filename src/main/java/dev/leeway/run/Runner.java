package dev.leeway.run;

import dev.leeway.config.LeewayConfig;
import dev.leeway.io.RunLayout;
import java.io.IOException;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs stages in order for one run date, keeping runs/&lt;date&gt;/status.json current after every step. The
 * first failing stage stops the run; stages already published stay, the failed one publishes nothing.
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

  public Outcome run(SparkSession spark, LeewayConfig config, LocalDate runDate, String command, List<Stage> stages)
      throws IOException {
    RunLayout layout = new RunLayout(config.paths().outputRoot(), runDate, spark.sparkContext().hadoopConfiguration());
    StageContext ctx = new StageContext(spark, config, runDate, layout);
    RunStatus status = new RunStatus(runDate, command, config.source(), config.paths().inputRoot(),
        config.paths().outputRoot());
    layout.writeAtomically(layout.statusFile(), status.toJson());
    List<StageResult> results = new ArrayList<>();
    for (Stage stage : stages) {
      var entry = status.stageStarted(stage.name());
      layout.writeAtomically(layout.statusFile(), status.toJson());
      LOG.info("Stage {} started for run date {}", stage.name(), runDate);
      try {
        StageResult result = stage.run(ctx);
        status.stageSucceeded(entry, result);
        results.add(result);
        LOG.info("Stage {} succeeded", stage.name());
      } catch (Exception | LinkageError e) {
        String reason = Errors.oneLine(e);
        status.stageFailed(entry, reason);
        status.finish(RunStatus.FAILED, stage.name() + ": " + reason);
        layout.writeAtomically(layout.statusFile(), status.toJson());
        return new Outcome(status, results, e, stage.name() + ": " + reason, layout.statusFile().toString());
      }
      layout.writeAtomically(layout.statusFile(), status.toJson());
    }
    status.finish(RunStatus.SUCCEEDED, null);
    layout.writeAtomically(layout.statusFile(), status.toJson());
    return new Outcome(status, results, null, null, layout.statusFile().toString());
  }
}
