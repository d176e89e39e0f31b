package dev.leeway.support;

import dev.leeway.cli.LeewayCommand;
import dev.leeway.cli.SessionProvider;
import dev.leeway.config.LeewayConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.apache.spark.sql.SparkSession;

/** Runs the real {@code leeway} command line in-process on the shared test session. */
public final class Cli {
  private Cli() {}

  /** What a command printed and returned. */
  public record Run(int exitCode, String out, String err) {
    public String context() {
      return "exit " + exitCode + "\n--- stdout ---\n" + out + "\n--- stderr ---\n" + err;
    }
  }

  public static final SessionProvider SHARED = new SessionProvider() {
    @Override
    public SparkSession open(LeewayConfig config) {
      return TestSpark.session();
    }

    @Override
    public void close(SparkSession session) {
      // The suite shares one session; it stops at JVM exit.
    }

    @Override
    public String defaultConf() {
      return "conf/local.conf";
    }
  };

  public static Run run(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int code = LeewayCommand.execute(SHARED, new PrintWriter(out, true), new PrintWriter(err, true), args);
    return new Run(code, out.toString(), err.toString());
  }
}
