package dev.leeway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.lookup.ScoreLookup;
import dev.leeway.support.Cli;
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
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The nightly from ingest to score with inputs, tables, models and serving pointers on an S3-compatible server
 * (S3Proxy on this machine, started as its own process), through S3A; then the lookup library reading the served
 * set from the store. Slow: runs in the {@code slow} Maven profile.
 */
class ObjectStoreSlowTest {
  private static final String DATE = "2026-11-01";

  @TempDir
  Path tmp;

  @Test
  void theNightlyRunsAgainstAnS3CompatibleStore() throws Exception {
    String jar = System.getProperty("leeway.s3proxy.jar");
    assertTrue(jar != null && Files.exists(Path.of(jar)), "S3Proxy is fetched by the slow profile: " + jar);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path props = tmp.resolve("s3proxy.conf");
    // An in-memory store: objects only, no folders, as on S3 (a folder is a prefix or an empty marker object).
    Files.writeString(props, String.join("\n", "s3proxy.endpoint=http://127.0.0.1:" + port,
        "s3proxy.authorization=none", "jclouds.provider=transient", ""));
    Process server = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
        "-jar", jar, "--properties", props.toString()).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("s3proxy.log").toFile()).start();
    try {
      waitUntilUp(port);
      Map<String, String> s3a = Map.of(
          "spark.hadoop.fs.s3a.endpoint", "http://127.0.0.1:" + port,
          "spark.hadoop.fs.s3a.endpoint.region", "us-east-1",
          "spark.hadoop.fs.s3a.path.style.access", "true",
          "spark.hadoop.fs.s3a.connection.ssl.enabled", "false",
          "spark.hadoop.fs.s3a.access.key", "leeway",
          "spark.hadoop.fs.s3a.secret.key", "leeway",
          "spark.hadoop.fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider",
          "spark.hadoop.fs.s3a.change.detection.mode", "none");
      Configuration conf = new Configuration();
      s3a.forEach((k, v) -> conf.set(k.substring("spark.hadoop.".length()), v));
      FileSystem s3 = FileSystem.get(URI.create("s3a://leeway/"), conf);
      // Raw inputs are generated here and uploaded into the bucket.
      Path local = tmp.resolve("in");
      assertEquals(0, Cli.run("generate", "--customers", "1500", "--seed", "5", "--out", local.toString()).exitCode());
      upload(s3, local, "s3a://leeway/in");

      Cli.Run nightly = run(s3a, "nightly");
      assertEquals(0, nightly.exitCode(), nightly.context());
      assertEquals(DATE, text(s3, "s3a://leeway/out/scores/LATEST"), nightly.context());
      assertTrue(s3.listStatus(new org.apache.hadoop.fs.Path("s3a://leeway/out/warehouse/leeway/scores/metadata"))
          .length > 0, "the tables live in the store");
      String model = text(s3, "s3a://leeway/out/models/CURRENT");
      assertTrue(s3.exists(new org.apache.hadoop.fs.Path("s3a://leeway/out/models/" + model + "/metadata.json")),
          model);

      ScoreLookup scores = ScoreLookup.loadLatest("s3a://leeway/out/scores", conf);
      assertEquals(DATE, scores.runDate().toString());
      assertTrue(scores.size() > 0);
    } finally {
      server.destroyForcibly();
      server.waitFor(30, TimeUnit.SECONDS);
    }
  }

  private Cli.Run run(Map<String, String> s3a, String command) throws Exception {
    List<String> args = new ArrayList<>(List.of(command, "--run-date", DATE, "--input-root", "s3a://leeway/in",
        "--output-root", "s3a://leeway/out", "--set", "leeway.effects.placebo=false",
        "--set", "leeway.train.learners=[t_learner]", "--set", "leeway.train.gbt.max_iter=5",
        "--set", "leeway.train.bootstrap_replicates=20", "--set", "leeway.effects.folds=2"));
    s3a.forEach((k, v) -> args.addAll(List.of("--set", "leeway.spark.conf.\"" + k + "\"=" + v)));
    return Cli.runProcess(Map.of(), args.toArray(String[]::new));
  }

  /** Uploads a local folder's files (one PUT each: S3Proxy lacks the transfer manager's headers). */
  private static void upload(FileSystem s3, Path local, String target) throws java.io.IOException {
    try (var files = Files.walk(local)) {
      for (Path f : files.filter(Files::isRegularFile).toList()) {
        try (var out = s3.create(new org.apache.hadoop.fs.Path(target + "/" + local.relativize(f)), true)) {
          Files.copy(f, out);
        }
      }
    }
  }

  private static String text(FileSystem fs, String path) throws java.io.IOException {
    try (var in = fs.open(new org.apache.hadoop.fs.Path(path))) {
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
    }
  }

  /** Waits for S3Proxy and creates the bucket. */
  private static void waitUntilUp(int port) throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/leeway"))
            .PUT(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (java.io.IOException e) {
        // Not listening yet.
      }
      assertTrue(System.nanoTime() < deadline, "S3Proxy did not start");
      Thread.sleep(200);
    }
  }
}
