package dev.leeway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.config.LeewayConfig;
import dev.leeway.io.Files;
import dev.leeway.run.Resume;
import dev.leeway.run.RunStatus;
import dev.leeway.run.Stage;
import dev.leeway.run.StageResult;
import java.io.PrintWriter;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code leeway backfill --from D1 --to D2}: the nightly for each date of a range, oldest first, in one Spark
 * session. Each date resumes like {@code nightly} does, so a backfill run again after a failure skips the dates and
 * stages already completed and carries on where it stopped.
 */
@Command(name = "backfill", mixinStandardHelpOptions = true,
    description = "Runs the nightly for every date from --from to --to (inclusive, oldest first). Each date resumes: "
        + "stages an earlier attempt completed on the same inputs and configuration are skipped, so running the same "
        + "backfill again after a failure carries on where it stopped. Stops at the first date that fails (unless "
        + "--keep-going) and exits with that date's exit code. Prints each date's outcome and writes them to "
        + "<output_root>/runs/_backfills/<from>_<to>.json. Serving state only moves forward: dates before the served "
        + "one are published, not served.")
final class BackfillCommand implements Callable<Integer> {
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @ParentCommand
  LeewayCommand parent;

  @Mixin
  ConfigOptions options;

  @Spec
  CommandSpec spec;

  @Option(names = "--from", required = true, paramLabel = "YYYY-MM-DD", description = "The first run date.")
  LocalDate from;

  @Option(names = "--to", required = true, paramLabel = "YYYY-MM-DD", description = "The last run date (inclusive).")
  LocalDate to;

  @Option(names = "--every-days", paramLabel = "N", defaultValue = "1",
      description = "Run every N-th date of the range (default: ${DEFAULT-VALUE}, every date).")
  int everyDays;

  @Option(names = "--force", description = "Redo every stage of every date, even those completed before.")
  boolean force;

  @Option(names = "--to-stage", paramLabel = "STAGE", description = "Stop each date after STAGE (e.g. outcomes: "
      + "rebuild the history of conformed inputs and requests without effects, train, score and report).")
  String toStage;

  @Option(names = "--keep-going", description = "Go on with the next dates after a date fails (exit code: the "
      + "first failure's).")
  boolean keepGoing;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (to.isBefore(from)) {
      throw new ParameterException(spec.commandLine(), "--to " + to + " is before --from " + from);
    }
    if (everyDays < 1) {
      throw new ParameterException(spec.commandLine(), "--every-days must be at least 1, not " + everyDays);
    }
    List<Stage> stages = NightlyCommand.nightlyStages();
    if (toStage != null) {
      List<String> names = stages.stream().map(Stage::name).toList();
      if (!names.contains(toStage)) {
        throw new ParameterException(spec.commandLine(), "Unknown stage for --to-stage: '" + toStage
            + "' (expected one of " + names + ")");
      }
      stages = stages.subList(0, names.indexOf(toStage) + 1);
    }
    // A ConfigError goes to LeewayCommand's handler: one line on stderr, exit code 2.
    LeewayConfig config = options.load(parent.sessions.defaultConf());
    List<LocalDate> dates = new ArrayList<>();
    for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(everyDays)) {
      dates.add(d);
    }
    Resume resume = force ? Resume.always() : Resume.skipCompleted();
    List<Map<String, Object>> rows = new ArrayList<>();
    int exit = ExitCodes.OK;
    SparkSession spark = parent.sessions.open(config);
    try {
      Path summary = new Path(new Path(new Path(config.paths().outputRoot(), "runs"), "_backfills"),
          from + "_" + to + ".json");
      for (LocalDate d : dates) {
        out.println("== " + d + " (" + (rows.size() + 1) + " of " + dates.size() + ")");
        out.flush();
        long t0 = System.nanoTime();
        StageCommand.DateResult r = StageCommand.runDate(spark, config, d, "backfill", stages,
            resume, out, err);
        rows.add(row(d, r, (System.nanoTime() - t0) / 1e9));
        writeSummary(spark, summary, rows, dates);
        if (r.exitCode() != ExitCodes.OK && exit == ExitCodes.OK) {
          exit = r.exitCode();
        }
        if (r.exitCode() != ExitCodes.OK && !keepGoing) {
          break;
        }
      }
      printTable(out, rows, dates.size());
      out.println("Summary: " + summary);
      out.flush();
      return exit;
    } finally {
      parent.sessions.close(spark);
    }
  }

  private static Map<String, Object> row(LocalDate d, StageCommand.DateResult r, double seconds) {
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("run_date", d.toString());
    row.put("exit_code", r.exitCode());
    List<String> ran = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    if (r.outcome() == null) {
      row.put("outcome", "LOCKED");
      row.put("error", "another run of this date holds its lease");
    } else {
      row.put("outcome", r.outcome().status().outcome());
      row.put("error", r.outcome().error());
      for (StageResult s : r.outcome().results()) {
        (s.metrics().containsKey("skipped") ? skipped : ran).add(s.stage());
      }
      row.put("status", r.outcome().statusPath());
    }
    row.put("stages_run", ran);
    row.put("stages_skipped", skipped);
    row.put("seconds", Math.round(seconds * 10) / 10.0);
    return row;
  }

  private void writeSummary(SparkSession spark, Path file, List<Map<String, Object>> rows, List<LocalDate> dates)
      throws Exception {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("from", from.toString());
    doc.put("to", to.toString());
    doc.put("every_days", everyDays);
    doc.put("dates", dates.size());
    doc.put("updated_at", Instant.now().toString());
    doc.put("runs", rows);
    Files.writeAtomically(Files.of(file, spark.sparkContext().hadoopConfiguration()), file,
        JSON.writeValueAsString(doc));
  }

  private static void printTable(PrintWriter out, List<Map<String, Object>> rows, int planned) {
    out.println();
    out.println(String.format("%-10s  %-9s  %-4s  %8s  %s", "run date", "outcome", "exit", "seconds", "stages"));
    for (Map<String, Object> r : rows) {
      @SuppressWarnings("unchecked")
      List<String> ran = (List<String>) r.get("stages_run");
      @SuppressWarnings("unchecked")
      List<String> skipped = (List<String>) r.get("stages_skipped");
      String stages = ran.isEmpty() && RunStatus.SUCCEEDED.equals(r.get("outcome")) ? "all completed before"
          : "ran " + ran + (skipped.isEmpty() ? "" : ", skipped " + skipped);
      out.println(String.format("%-10s  %-9s  %-4s  %8.1f  %s%s", r.get("run_date"), r.get("outcome"),
          r.get("exit_code"), (Double) r.get("seconds"), stages,
          r.get("error") == null ? "" : " (" + r.get("error") + ")"));
    }
    if (rows.size() < planned) {
      out.println((planned - rows.size()) + " later date(s) not run: the backfill stopped at the first failure "
          + "(--keep-going runs them anyway); run the same command again to carry on from there");
    }
  }
}
