package dev.leeway.cli;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leeway.support.Cli;
import dev.leeway.support.Outputs;
import dev.leeway.support.SameRows;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.iceberg.spark.SparkCatalog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nightly on a real Spark standalone cluster: a master and two workers, each its own JVM started by Spark's own
 * launcher from a {@code SPARK_HOME} whose {@code jars/} holds Spark's jars as Maven resolved them (the slow profile
 * copies them to {@code target/spark-home/jars}; {@code src/test/spark-home/bin} holds Spark's {@code spark-class}
 * and {@code spark-submit}, reduced). {@code jobs/leeway-submit} submits the thin jar in client mode with the
 * Iceberg runtime as {@code --jars}; every table it publishes must equal the embedded run's on the same inputs.
 * Runs in the {@code slow} profile's integration tests: {@code mvn -Pslow verify}.
 */
class StandaloneClusterIT {
  private static final String DATE = "2026-11-01";
  /** Settings both runs share: a small model, so the test measures the cluster path, not training. */
  private static final List<String> SETTINGS = List.of("--set", "leeway.effects.placebo=false",
      "--set", "leeway.train.learners=[t_learner]", "--set", "leeway.train.gbt.max_iter=5",
      "--set", "leeway.train.bootstrap_replicates=20", "--set", "leeway.effects.folds=2",
      "--set", "leeway.spark.conf.\"spark.sql.shuffle.partitions\"=8");

  @TempDir
  Path tmp;

  private final List<Process> daemons = new ArrayList<>();

  @AfterEach
  void stopCluster() throws InterruptedException {
    for (Process p : daemons) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  @Test
  void theNightlyOnAStandaloneClusterPublishesWhatTheEmbeddedRunPublishes() throws Exception {
    long begun = System.nanoTime();
    Path sparkHome = sparkHome();
    int port = freePort();
    int ui = freePort();
    String master = "spark://127.0.0.1:" + port;
    daemons.add(daemon(sparkHome, "master", "org.apache.spark.deploy.master.Master", "--host", "127.0.0.1",
        "--port", String.valueOf(port), "--webui-port", String.valueOf(ui)));
    for (int w = 1; w <= 2; w++) {
      Path work = Files.createDirectories(tmp.resolve("work-" + w));
      daemons.add(daemon(sparkHome, "worker-" + w, "org.apache.spark.deploy.worker.Worker", "--host", "127.0.0.1",
          "--cores", "1", "--memory", "2g", "--webui-port", "0", "--work-dir", work.toString(), master));
    }
    waitForWorkers(ui, 2);

    Path in = tmp.resolve("in");
    assertEquals(0, Cli.run("generate", "--customers", "1000", "--seed", "5", "--out", in.toString()).exitCode());

    Path onCluster = tmp.resolve("cluster");
    long started = System.nanoTime();
    Cli.Run submitted = submit(sparkHome, master, onCluster, in);
    long clusterSeconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started);
    assertEquals(0, submitted.exitCode(), submitted.context());
    System.out.printf("nightly on the standalone cluster: %d s%n", clusterSeconds);
    JsonNode apps = masterState(ui).get("completedapps");
    assertEquals(1, apps.size(), apps.toString());
    assertEquals(2, apps.get(0).get("cores").asInt(), "the application ran on both workers' cores: " + apps);
    assertEquals("SUCCEEDED", new Outputs(onCluster, DATE).status().get("outcome").asText());

    // The embedded run of the same inputs and settings, after it: on two cores side by side is no faster.
    Path embedded = tmp.resolve("embedded");
    List<String> args = new ArrayList<>(List.of("nightly", "--run-date", DATE, "--input-root", in.toString(),
        "--output-root", embedded.toString()));
    args.addAll(SETTINGS);
    Cli.Run local = Cli.runProcess(Map.of(), args.toArray(String[]::new));
    assertEquals(0, local.exitCode(), local.context());

    List<String> tables = Outputs.tableNames(embedded);
    assertEquals(tables, Outputs.tableNames(onCluster));
    assertTrue(tables.containsAll(List.of("conformed_activity", "requests", "effects_estimates", "train_metrics",
        "scores")), tables.toString());
    // Every column equal, reals to 6 decimals, but the wall-clock time a gate was measured at.
    assertAll(tables.stream().map(table -> () -> SameRows.assertSameRows(
        Outputs.table(embedded, table, DATE).drop("measured_at"),
        Outputs.table(onCluster, table, DATE).drop("measured_at"), table)));
    System.out.printf("%d tables equal; the test took %d s%n", tables.size(),
        TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - begun));
  }

  /** {@code jobs/leeway-submit nightly} against the cluster, in client mode, as a data team would run it. */
  private Cli.Run submit(Path sparkHome, String master, Path out, Path in) throws Exception {
    String iceberg = Path.of(SparkCatalog.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .toString();
    List<String> cmd = new ArrayList<>(List.of(Path.of("jobs", "leeway-submit").toAbsolutePath().toString(),
        "nightly", "--run-date", DATE, "--input-root", in.toString(), "--output-root", out.toString(),
        "--set", "leeway.catalog.properties.warehouse=" + out.resolve("warehouse")));
    cmd.addAll(SETTINGS);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_LOCAL_IP", "127.0.0.1",
        "SPARK_SUBMIT", sparkHome.resolve("bin/spark-submit").toString(), "LEEWAY_MASTER", master,
        "LEEWAY_PACKAGES", "", "LEEWAY_SUBMIT_ARGS", "--jars " + iceberg
            + " --driver-memory 2g --executor-memory 1500m --total-executor-cores 2"));
    Path log = tmp.resolve("submit.log");
    pb.redirectErrorStream(true).redirectOutput(log.toFile());
    Process p = pb.start();
    assertTrue(p.waitFor(20, TimeUnit.MINUTES), "spark-submit did not finish");
    String text = Files.readString(log);
    return new Cli.Run(p.exitValue(), "", text.length() > 20_000 ? text.substring(text.length() - 20_000) : text);
  }

  /** A SPARK_HOME of Spark's jars (as the slow profile resolved them) and its launcher scripts. */
  private Path sparkHome() throws IOException {
    Path jars = Path.of(System.getProperty("leeway.spark.jars", "target/spark-home/jars")).toAbsolutePath();
    assertTrue(Files.isDirectory(jars), "Spark's jars are copied by the slow profile: " + jars);
    Path home = Files.createDirectories(tmp.resolve("spark-home"));
    Files.createSymbolicLink(home.resolve("jars"), jars);
    Files.createSymbolicLink(home.resolve("bin"), Path.of("src/test/spark-home/bin").toAbsolutePath());
    return home;
  }

  private Process daemon(Path sparkHome, String name, String mainClass, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(sparkHome.resolve("bin/spark-class").toString(), mainClass));
    cmd.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(Map.of("SPARK_HOME", sparkHome.toString(), "SPARK_LOCAL_IP", "127.0.0.1",
        "SPARK_DAEMON_MEMORY", "512m"));
    pb.redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile());
    return pb.start();
  }

  private void waitForWorkers(int ui, int count) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (true) {
      try {
        JsonNode state = masterState(ui);
        if (state.get("aliveworkers").asInt() == count) {
          return;
        }
      } catch (IOException e) {
        // The master is not listening yet.
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("the cluster did not come up; master log:\n" + Files.readString(tmp.resolve(
            "master.log")));
      }
      Thread.sleep(500);
    }
  }

  /** The master's state, from its web UI's JSON. */
  private static JsonNode masterState(int ui) throws IOException, InterruptedException {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + ui + "/json/")).build(),
        HttpResponse.BodyHandlers.ofString());
    return new ObjectMapper().readTree(r.body());
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }
}
