package dev.leeway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.run.RunMonitor;
import dev.leeway.run.Version;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code leeway bench}: the nightly at named scales of generated data, timed per stage, with the machine it ran on.
 * Each run is a fresh nightly in a child JVM started like this one (same Java, options and class path), on a fresh
 * output root, so runs do not share caches, resume or a warmed JIT; the child's peak resident memory is read from
 * {@code /proc} while it runs, and per-stage figures from its {@code status.json}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Runs the nightly on generated data at named scales (S: 2,000 customers, M: 100,000, L: 1,000,000; "
        + "generated once under --data-root and reused) and reports per stage: wall time, rows read and written, "
        + "rows per second, the driver's peak heap and the process's peak resident memory; medians of --runs runs. "
        + "Prints a table and writes JSON with the machine (cores, memory, Java, Spark, Leeway).")
final class BenchCommand implements Callable<Integer> {
  static final Map<String, Long> SCALES = Map.of("S", 2_000L, "M", 100_000L, "L", 1_000_000L);
  private static final String RUN_DATE = "2026-11-01";
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  @Option(names = "--scales", defaultValue = "S,M", split = ",", paramLabel = "S,M,L",
      description = "Scales to run, in order (default: ${DEFAULT-VALUE}).")
  List<String> scales;

  @Option(names = "--runs", defaultValue = "3", description = "Runs per scale; figures are medians (default: "
      + "${DEFAULT-VALUE}).")
  int runs;

  @Option(names = "--data-root", defaultValue = "target/bench", paramLabel = "DIR",
      description = "Where generated data (<DIR>/<scale>/input) and run outputs go (default: ${DEFAULT-VALUE}).")
  Path dataRoot;

  @Option(names = "--json", paramLabel = "FILE", description = "Where the JSON goes (default: <data-root>/bench.json).")
  Path json;

  @Option(names = "--seed", defaultValue = "1", description = "Generator seed (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Configuration overrides passed to every nightly.")
  List<String> overrides = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    for (String s : scales) {
      if (!SCALES.containsKey(s)) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
            "unknown scale '" + s + "'; known: S, M, L");
      }
    }
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("machine", machine());
    doc.put("started_at", Instant.now().toString());
    Map<String, Object> byScale = new LinkedHashMap<>();
    doc.put("scales", byScale);
    Path out = json != null ? json : dataRoot.resolve("bench.json");
    int worst = 0;
    for (String scale : scales) {
      Path input = dataRoot.resolve(scale).resolve("input");
      ensureData(scale, input);
      List<Map<String, Object>> results = new ArrayList<>();
      for (int r = 1; r <= runs; r++) {
        Map<String, Object> run = runNightly(scale, r, input);
        results.add(run);
        System.out.printf(Locale.ROOT, "%s run %d of %d: exit %s, %.1f s, peak RSS %s%n", scale, r, runs,
            run.get("exit_code"), (Double) run.get("seconds"), mib(run.get("rss_peak_bytes")));
        worst = Math.max(worst, (Integer) run.get("exit_code"));
      }
      Map<String, Object> summary = new LinkedHashMap<>();
      summary.put("customers", SCALES.get(scale));
      summary.put("median", medians(results));
      summary.put("runs", results);
      byScale.put(scale, summary);
      Files.createDirectories(out.toAbsolutePath().getParent());
      JSON.writeValue(out.toFile(), doc);
    }
    System.out.println();
    System.out.println(table(doc));
    System.out.println("JSON: " + out.toAbsolutePath());
    return worst == 0 ? 0 : ExitCodes.FAILED;
  }

  /** The machine and versions, so figures from different machines are not compared blindly. */
  static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("cores", Runtime.getRuntime().availableProcessors());
    m.put("memory_bytes", RunMonitor.procBytes(Path.of("/proc/meminfo"), "MemTotal"));
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("java", System.getProperty("java.vm.name") + " " + Runtime.version());
    m.put("spark", org.apache.spark.package$.MODULE$.SPARK_VERSION());
    m.put("leeway", Version.get());
    m.put("jvm_options", ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> !a.startsWith("--add-opens")).toList());
    return m;
  }

  private void ensureData(String scale, Path input) throws Exception {
    if (Files.exists(input.resolve("ground_truth.json"))) {
      System.out.printf("%s: reusing %s%n", scale, input);
      return;
    }
    System.out.printf(Locale.ROOT, "%s: generating %,d customers into %s ...%n", scale, SCALES.get(scale), input);
    long t0 = System.nanoTime();
    Child c = Child.start(List.of("generate", "--customers", String.valueOf(SCALES.get(scale)), "--seed",
        String.valueOf(seed), "--out", input.toString()), dataRoot.resolve(scale).resolve("generate.log"));
    if (c.waitFor() != 0) {
      throw new IllegalStateException("generating " + scale + " failed; see " + c.log);
    }
    System.out.printf(Locale.ROOT, "%s: generated in %.0f s%n", scale, (System.nanoTime() - t0) / 1e9);
  }

  private Map<String, Object> runNightly(String scale, int r, Path input) throws Exception {
    Path output = dataRoot.resolve(scale).resolve("out");
    deleteTree(output);
    List<String> args = new ArrayList<>(List.of("nightly", "--run-date", RUN_DATE, "--input-root", input.toString(),
        "--output-root", output.toString(), "--set", "leeway.train.truth_path=" + input));
    for (String o : overrides) {
      args.add("--set");
      args.add(o);
    }
    long t0 = System.nanoTime();
    Child c = Child.start(args, dataRoot.resolve(scale).resolve("nightly-run" + r + ".log"));
    int exit = c.waitFor();
    Map<String, Object> run = new LinkedHashMap<>();
    run.put("run", r);
    run.put("exit_code", exit);
    run.put("seconds", (System.nanoTime() - t0) / 1e9);
    run.put("rss_peak_bytes", c.rssPeak);
    run.put("log", c.log.toString());
    Path status = output.resolve("runs").resolve(RUN_DATE).resolve("status.json");
    if (Files.exists(status)) {
      JsonNode s = JSON.readTree(status.toFile());
      Map<String, Object> stages = new LinkedHashMap<>();
      for (JsonNode st : s.path("stages")) {
        JsonNode res = st.path("resources");
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seconds", res.path("seconds").asDouble());
        m.put("rows_read", res.path("rows_read").asLong());
        m.put("rows_written", res.path("rows_written").asLong());
        m.put("spark_jobs", res.path("spark_jobs").asLong());
        m.put("heap_peak_bytes", res.path("heap_peak_bytes").asLong());
        m.put("rss_peak_bytes", res.path("rss_peak_bytes").isNull() ? null : res.path("rss_peak_bytes").asLong());
        stages.put(st.path("stage").asText(), m);
      }
      run.put("stages", stages);
      Map<String, Object> model = new LinkedHashMap<>(model(s));
      Path train = status.getParent().resolve("train").resolve("summary.json");
      if (Files.exists(train)) {
        JSON.readTree(train.toFile()).path("data").path("champion_vs_oracle").fields().forEachRemaining(e -> {
          if (e.getKey().startsWith("retention")) {
            model.put("qini_fraction_of_oracle", e.getValue().path("fraction").asDouble());
            model.put("fraction_low", e.getValue().path("low").isNumber() ? e.getValue().path("low").asDouble()
                : null);
            model.put("fraction_high", e.getValue().path("high").isNumber() ? e.getValue().path("high").asDouble()
                : null);
          }
        });
      }
      run.put("model", model);
    }
    return run;
  }

  /** The champion's held-out Qini on the primary outcome and, on generated data, its fraction of the oracle's. */
  private static Map<String, Object> model(JsonNode status) {
    for (JsonNode st : status.path("stages")) {
      if (!"train".equals(st.path("stage").asText())) {
        continue;
      }
      JsonNode metrics = st.path("metrics");
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("champion", metrics.path("champion").asText(null));
      metrics.fieldNames().forEachRemaining(k -> {
        if (k.startsWith("test_retention")) {
          JsonNode t = metrics.path(k);
          m.put("outcome", k.substring("test_".length()));
          m.put("qini", t.path("qini").asDouble());
          m.put("qini_low", t.path("qini_low").asDouble());
          m.put("qini_high", t.path("qini_high").asDouble());
        }
      });
      return m;
    }
    return Map.of();
  }

  /** Per stage and overall, the median over runs of every figure. */
  @SuppressWarnings("unchecked")
  static Map<String, Object> medians(List<Map<String, Object>> runs) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("seconds", median(runs.stream().map(r -> (Number) r.get("seconds")).toList()));
    out.put("rss_peak_bytes", median(runs.stream().map(r -> (Number) r.get("rss_peak_bytes")).toList()));
    Map<String, Map<String, Object>> stages = new LinkedHashMap<>();
    for (Map<String, Object> r : runs) {
      Map<String, Map<String, Object>> s = (Map<String, Map<String, Object>>) r.getOrDefault("stages", Map.of());
      s.keySet().forEach(k -> stages.putIfAbsent(k, new LinkedHashMap<>()));
    }
    double withoutTrain = 0;
    for (Map.Entry<String, Map<String, Object>> e : stages.entrySet()) {
      for (String field : List.of("seconds", "rows_read", "rows_written", "spark_jobs", "heap_peak_bytes",
          "rss_peak_bytes")) {
        List<Number> values = new ArrayList<>();
        for (Map<String, Object> r : runs) {
          Map<String, Map<String, Object>> s = (Map<String, Map<String, Object>>) r.getOrDefault("stages", Map.of());
          Map<String, Object> st = s.get(e.getKey());
          if (st != null) {
            values.add((Number) st.get(field));
          }
        }
        e.getValue().put(field, median(values));
      }
      Number sec = (Number) e.getValue().get("seconds");
      Number rows = (Number) e.getValue().get("rows_read");
      e.getValue().put("rows_read_per_second", sec == null || rows == null || sec.doubleValue() <= 0 ? null
          : rows.doubleValue() / sec.doubleValue());
      if (!e.getKey().equals("train") && sec != null) {
        withoutTrain += sec.doubleValue();
      }
    }
    out.put("stages_seconds_without_train", withoutTrain);
    out.put("stages", stages);
    for (String k : List.of("qini", "qini_low", "qini_high", "qini_fraction_of_oracle", "fraction_low",
        "fraction_high")) {
      List<Number> v = new ArrayList<>();
      for (Map<String, Object> r : runs) {
        v.add((Number) ((Map<String, Object>) r.getOrDefault("model", Map.of())).get(k));
      }
      out.put("champion_" + k, median(v));
    }
    return out;
  }

  static Double median(List<Number> values) {
    double[] v = values.stream().filter(x -> x != null).mapToDouble(Number::doubleValue).sorted().toArray();
    if (v.length == 0) {
      return null;
    }
    return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  }

  /** The medians as a text table, one block per scale. */
  @SuppressWarnings("unchecked")
  static String table(Map<String, Object> doc) {
    StringBuilder b = new StringBuilder();
    Map<String, Object> m = (Map<String, Object>) doc.get("machine");
    b.append(String.format(Locale.ROOT, "machine: %s cores, %s MiB memory, %s, Spark %s, Leeway %s%n",
        m.get("cores"),
        mib(m.get("memory_bytes")), m.get("java"), m.get("spark"), m.get("leeway")));
    Map<String, Object> scales = (Map<String, Object>) doc.get("scales");
    for (Map.Entry<String, Object> e : scales.entrySet()) {
      Map<String, Object> s = (Map<String, Object>) e.getValue();
      Map<String, Object> med = (Map<String, Object>) s.get("median");
      int n = ((List<?>) s.get("runs")).size();
      b.append(String.format(Locale.ROOT, "%nscale %s (%,d customers), medians of %d run(s)%n", e.getKey(),
          (Long) s.get("customers"), n));
      b.append(String.format(Locale.ROOT, "%-9s %9s %13s %13s %12s %8s %11s %11s%n", "stage", "wall s", "rows read",
          "rows written", "rows/s", "jobs", "heap MiB", "RSS MiB"));
      Map<String, Map<String, Object>> stages = (Map<String, Map<String, Object>>) med.get("stages");
      for (Map.Entry<String, Map<String, Object>> st : stages.entrySet()) {
        Map<String, Object> v = st.getValue();
        b.append(String.format(Locale.ROOT, "%-9s %9.1f %,13.0f %,13.0f %,12.0f %,8.0f %11s %11s%n", st.getKey(),
            num(v.get("seconds")), num(v.get("rows_read")), num(v.get("rows_written")),
            num(v.get("rows_read_per_second")), num(v.get("spark_jobs")), mib(v.get("heap_peak_bytes")),
            mib(v.get("rss_peak_bytes"))));
      }
      b.append(String.format(Locale.ROOT, "nightly   %9.1f s wall (process, start-up included); stages without train "
              + "%.1f s; peak RSS %s MiB%n", num(med.get("seconds")), num(med.get("stages_seconds_without_train")),
          mib(med.get("rss_peak_bytes"))));
      if (med.get("champion_qini") != null) {
        b.append(String.format(Locale.ROOT, "model     champion held-out Qini %.4f %s; fraction of the oracle's %s%n",
            num(med.get("champion_qini")), interval(med.get("champion_qini_low"), med.get("champion_qini_high")),
            med.get("champion_qini_fraction_of_oracle") == null ? "n/a"
                : String.format(Locale.ROOT, "%.3f %s", num(med.get("champion_qini_fraction_of_oracle")),
                    interval(med.get("champion_fraction_low"), med.get("champion_fraction_high")))));
      }
    }
    return b.toString();
  }

  private static String interval(Object low, Object high) {
    return low == null || high == null ? "" : String.format(Locale.ROOT, "[%.4f, %.4f]", num(low), num(high));
  }

  private static double num(Object o) {
    return o == null ? Double.NaN : ((Number) o).doubleValue();
  }

  private static String mib(Object bytes) {
    return bytes == null ? "n/a" : String.format(Locale.ROOT, "%,d", ((Number) bytes).longValue() >> 20);
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }

  /** A Leeway command in a child JVM started like this one, its output to a log, its peak RSS watched. */
  static final class Child {
    final Process process;
    final Path log;
    volatile Long rssPeak;

    private Child(Process p, Path log) {
      this.process = p;
      this.log = log;
    }

    static Child start(List<String> leewayArgs, Path log) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java")
          .toString()));
      cmd.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(Leeway.class.getName());
      cmd.addAll(leewayArgs);
      Files.createDirectories(log.toAbsolutePath().getParent());
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
      return new Child(p, log);
    }

    /** Waits for the child, reading its peak resident memory (VmHWM) every half second. */
    int waitFor() throws InterruptedException {
      Path status = Path.of("/proc", String.valueOf(process.pid()), "status");
      while (process.isAlive()) {
        Long peak = RunMonitor.procBytes(status, "VmHWM");
        if (peak != null) {
          rssPeak = peak;
        }
        Thread.sleep(500);
      }
      return process.waitFor();
    }
  }
}
