package dev.leeway.cli;

import dev.leeway.report.ReportJob;
import dev.leeway.run.Stage;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code leeway report}: the leadership ROI report. */
@Command(name = "report", mixinStandardHelpOptions = true,
    description = "Writes the leadership report of the run date to <output_root>/runs/<run-date>/report: report.html "
        + "(one self-contained page, charts as inline SVG, opens offline), report.json and CSV exports (policies, "
        + "segments, teams, trend, success stories). Reads the effects, train and score outputs.")
final class ReportCommand extends StageCommand {
  @Override
  List<Stage> stages() {
    return List.of(new ReportJob());
  }
}
