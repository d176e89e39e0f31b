package dev.leeway.cli;

import dev.leeway.run.Version;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The top-level {@code leeway} command; each subcommand is one job a scheduler or a person runs. */
@Command(name = "leeway", mixinStandardHelpOptions = true, versionProvider = LeewayCommand.VersionProvider.class,
    description = "Measures whether policy exceptions paid off and who should get the next one.",
    subcommands = {GenerateCommand.class, IngestCommand.class, OutcomesCommand.class, EffectsCommand.class,
        TrainCommand.class, ScoreCommand.class, ReportCommand.class, BenchmarkEffectsCommand.class,
        BenchmarkUpliftCommand.class, BenchmarkLookupCommand.class, BenchCommand.class, NightlyCommand.class, BackfillCommand.class, SqlCommand.class, CommandLine.HelpCommand.class},
    footer = {"", "Exit codes: 0 success, 1 failure, 2 bad command line or configuration, 3 bad input, 4 another run of the "
        + "same run date is running (nothing done), 5 a data-quality gate failed (nothing of the stage published)."})
public final class LeewayCommand implements Runnable {
  final SessionProvider sessions;

  public LeewayCommand(SessionProvider sessions) {
    this.sessions = sessions;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(new CommandLine(this), "Missing command: say which job to run");
  }

  /** Runs the command line and returns the exit code (no System.exit: tests call this). */
  public static int execute(SessionProvider sessions, String... args) {
    return execute(sessions, null, null, args);
  }

  /** As {@link #execute(SessionProvider, String...)}, printing to the given writers (null: standard streams). */
  public static int execute(SessionProvider sessions, java.io.PrintWriter out, java.io.PrintWriter err,
      String... args) {
    CommandLine cli = new CommandLine(new LeewayCommand(sessions));
    if (out != null) {
      cli.setOut(out);
    }
    if (err != null) {
      cli.setErr(err);
    }
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("leeway: " + dev.leeway.run.Errors.oneLine(e));
      return dev.leeway.run.Errors.isUserError(e)
          ? (e instanceof dev.leeway.config.ConfigError ? ExitCodes.USAGE : ExitCodes.BAD_INPUT)
          : ExitCodes.FAILED;
    });
    return cli.execute(args);
  }

  /** Prints the build version. */
  static final class VersionProvider implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"leeway " + Version.get()};
    }
  }
}
