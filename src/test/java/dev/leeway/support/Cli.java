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
      // One SparkContext for the suite; a session per command, as each output root has its own catalog.
      return TestSpark.session().newSession();
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

  /**
   * Runs the real command line in a child JVM (the test classpath, the same JVM flags): for what only a process
   * has, such as its environment variables.
   */
  public static Run runProcess(java.util.Map<String, String> env, String... args) {
    try {
      java.io.File errFile = java.io.File.createTempFile("leeway-err", ".log");
      Process p = startProcess(env, java.util.List.of(), java.lang.ProcessBuilder.Redirect.to(errFile), args);
      String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      int code = p.waitFor();
      String err = java.nio.file.Files.readString(errFile.toPath());
      errFile.delete();
      return new Run(code, out, err);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /**
   * Starts the real command line in a child JVM (the test classpath, the same JVM flags, plus {@code jvmFlags}) and
   * returns it running; its standard error goes where {@code stderr} says.
   */
  public static Process startProcess(java.util.Map<String, String> env, java.util.List<String> jvmFlags,
      java.lang.ProcessBuilder.Redirect stderr, String... args) throws java.io.IOException {
    java.util.List<String> cmd = new java.util.ArrayList<>();
    cmd.add(java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String a : java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (a.startsWith("--add-opens") || a.startsWith("-Djdk.") || a.startsWith("-Dio.netty") || a.startsWith("-Xmx")
          || a.startsWith("-XX:+Use")) {
        cmd.add(a);
      }
    }
    cmd.addAll(jvmFlags);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("dev.leeway.cli.Leeway");
    cmd.addAll(java.util.List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    pb.redirectError(stderr);
    return pb.start();
  }
}
