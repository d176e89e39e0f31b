package dev.leeway.cli;

import dev.leeway.config.LeewayConfig;
import dev.leeway.io.RunLayout;
import dev.leeway.run.Errors;
import dev.leeway.run.Resume;
import dev.leeway.run.RunLease;
import dev.leeway.run.Runner;
import dev.leeway.run.Stage;
import dev.leeway.run.StageResult;
import dev.leeway.run.TableCounts;
import java.io.PrintWriter;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** A command that runs one or more stages for a run date and reports through status file, stdout and exit code. */
abstract class StageCommand implements Callable<Integer> {
  @ParentCommand
  LeewayCommand parent;

  @Mixin
  RunOptions options;

  @Spec
  CommandSpec spec;

  abstract List<Stage> stages();

  /** Which stages an earlier attempt completed may be skipped: none, for a command that runs one stage. */
  Resume resume() {
    return Resume.always();
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    LocalDate runDate = options.runDate();
    Resume resume = resume();
    // A ConfigError goes to LeewayCommand's handler: one line on stderr, exit code 2.
    LeewayConfig config = options.load(parent.sessions.defaultConf());
    SparkSession spark = parent.sessions.open(config);
    try {
      return runDate(spark, config, runDate, spec.name(), stages(), resume, out, err).exitCode();
    } finally {
      parent.sessions.close(spark);
    }
  }

  /** How one run date ended: its exit code, and the run's outcome (null when refused by the lease). */
  record DateResult(int exitCode, Runner.Outcome outcome) {}

  /** Runs {@code stages} for one run date, printing each stage's counts and how it ended. */
  static DateResult runDate(SparkSession spark, LeewayConfig config, LocalDate runDate, String command,
      List<Stage> stages, Resume resume, PrintWriter out, PrintWriter err) throws Exception {
    Runner.Outcome outcome;
    try {
      outcome = new Runner().run(spark, config, runDate, command, stages, resume);
    } catch (RunLease.Held e) {
      err.println("leeway: " + e.getMessage());
      return new DateResult(ExitCodes.LOCKED, null);
    }
    for (StageResult r : outcome.results()) {
      printStage(out, r);
    }
    out.println("Status:  " + outcome.statusPath());
    if (!outcome.succeeded()) {
      err.println("leeway: " + command + " failed for " + runDate + " at " + outcome.error());
      err.flush();
      int code = Errors.cause(outcome.failure(), dev.leeway.quality.GateFailure.class).isPresent() ? ExitCodes.GATE
          : Errors.isUserError(outcome.failure()) ? ExitCodes.BAD_INPUT : ExitCodes.FAILED;
      return new DateResult(code, outcome);
    }
    out.println("Outputs: " + new RunLayout(config.paths().outputRoot(), runDate,
        spark.sparkContext().hadoopConfiguration()).runDir());
    out.flush();
    return new DateResult(ExitCodes.OK, outcome);
  }

  private static void printStage(PrintWriter out, StageResult r) {
    out.println(r.stage() + ":");
    r.tables().forEach((name, c) -> out.println(formatCounts(name, c)));
    r.metrics().forEach((k, v) -> out.println("  " + k + ": " + (k.equals("gates") ? gates(v) : v)));
    r.warnings().forEach(w -> out.println("  warning: " + w));
  }

  /**
   * The gate results in a line: how many checks had each outcome, and each check that did not pass in full (the
   * whole list is in status.json and the gate_results table).
   */
  static String gates(Object results) {
    if (!(results instanceof List<?> list)) {
      return String.valueOf(results);
    }
    Map<String, Integer> byOutcome = new TreeMap<>();
    List<String> notPassed = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof Map<?, ?> g)) {
        return String.valueOf(results);
      }
      String outcome = String.valueOf(g.get("outcome"));
      byOutcome.merge(outcome, 1, Integer::sum);
      if (!outcome.equals("PASS") && !outcome.equals("MEASURED")) {
        notPassed.add(outcome + " " + g.get("check") + " of " + g.get("table") + " = " + g.get("measured")
            + ", threshold " + g.get("threshold") + " (" + g.get("detail") + ")");
      }
    }
    StringBuilder b = new StringBuilder();
    byOutcome.forEach((k, n) -> b.append(b.length() == 0 ? "" : ", ").append(n).append(' ').append(k));
    notPassed.forEach(n -> b.append("\n    ").append(n));
    return b.toString();
  }

  static String formatCounts(String name, TableCounts c) {
    return String.format("  %-14s %,12d read %,12d out %,10d quarantined%s", name, c.rowsIn(), c.rowsOut(),
        c.rowsQuarantined(), c.reconciled() ? "" : "  (COUNTS DO NOT RECONCILE)");
  }
}
