package dev.leeway.causal;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;

import dev.leeway.config.LeewayConfig;
import dev.leeway.generate.GeneratorJob;
import dev.leeway.generate.GeneratorSpec;
import dev.leeway.generate.WorldKind;
import dev.leeway.ingest.IngestJob;
import dev.leeway.outcomes.OutcomesJob;
import dev.leeway.run.Runner;
import dev.leeway.tables.Catalog;
import dev.leeway.tables.Published;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * Bias, RMSE and 95%-interval coverage of the naive difference, IPW and the doubly robust ATT against planted
 * truth: for each world and seed, generate data (no dirt), run ingest, outcomes and effects, and compare each
 * policy's estimates of one outcome with the mean true effect over the very grants the estimate is for (granted,
 * matured, inside the overlap, not excluded for interference).
 */
public final class EffectsBenchmark {
  /** The three estimators compared. */
  public static final List<String> ESTIMATORS = List.of("naive", "ipw", "doubly_robust");

  /** One policy's estimates in one data set. */
  public record Trial(String world, long seed, String policy, double truth, Map<String, double[]> estimates,
      String sensitivity, Boolean negativeControlFlagged) {}

  /** Bias, RMSE and coverage of one estimator for one world and policy (or "ALL" policies) over the seeds. */
  public record Row(String world, String policy, String estimator, int trials, double meanTruth, double bias,
      double rmse, double coverage, double meanWidth) {}

  /** Everything measured. */
  public record Result(int customers, String outcome, double hiddenConfounding, List<Trial> trials, List<Row> rows,
      Map<String, Map<String, Integer>> sensitivityVerdicts, Map<String, Integer> negativeControlFlags,
      double seconds) {}

  private final LeewayConfig base;
  private final Function<Map<String, String>, LeewayConfig> withOverrides;
  private final int customers;
  private final String outcome;
  private final double hiddenConfounding;

  /**
   * @param withOverrides loads the configuration with extra {@code key=value} overrides (the paths of each data set)
   * @param outcome an estimated outcome, e.g. retention_365d (its truth column is tau_retention_365)
   */
  public EffectsBenchmark(LeewayConfig base, Function<Map<String, String>, LeewayConfig> withOverrides, int customers,
      String outcome, double hiddenConfounding) {
    this.base = base;
    this.withOverrides = withOverrides;
    this.customers = customers;
    this.outcome = outcome;
    this.hiddenConfounding = hiddenConfounding;
  }

  static String truthColumn(String outcome) {
    return "tau_" + outcome.replaceAll("_(\\d+)d$", "_$1");
  }

  public Result run(SparkSession spark, List<WorldKind> worlds, List<Long> seeds, Path work) throws IOException {
    long started = System.nanoTime();
    List<Trial> trials = new ArrayList<>();
    for (WorldKind world : worlds) {
      for (long seed : seeds) {
        trials.addAll(trial(spark, world, seed, work.resolve(world.name().toLowerCase(java.util.Locale.ROOT))
            .resolve("seed-" + seed)));
      }
    }
    List<Row> rows = new ArrayList<>();
    Map<String, Map<String, Integer>> verdicts = new TreeMap<>();
    Map<String, Integer> ncFlags = new TreeMap<>();
    for (WorldKind world : worlds) {
      String w = world.name().toLowerCase(java.util.Locale.ROOT);
      List<Trial> ofWorld = trials.stream().filter(t -> t.world().equals(w)).toList();
      List<String> policies = new ArrayList<>(ofWorld.stream().map(Trial::policy).distinct().sorted().toList());
      policies.add("ALL");
      for (String p : policies) {
        List<Trial> ts = ofWorld.stream().filter(t -> p.equals("ALL") || t.policy().equals(p)).toList();
        for (String e : ESTIMATORS) {
          rows.add(summarise(w, p, e, ts));
        }
      }
      for (Trial t : ofWorld) {
        verdicts.computeIfAbsent(w, k -> new TreeMap<>()).merge(t.sensitivity(), 1, Integer::sum);
        if (Boolean.TRUE.equals(t.negativeControlFlagged())) {
          ncFlags.merge(w, 1, Integer::sum);
        } else {
          ncFlags.putIfAbsent(w, 0);
        }
      }
    }
    return new Result(customers, outcome, hiddenConfounding, trials, rows, verdicts, ncFlags,
        (System.nanoTime() - started) / 1e9);
  }

  private static Row summarise(String world, String policy, String estimator, List<Trial> ts) {
    double bias = 0, sq = 0, cover = 0, width = 0, truth = 0;
    int n = 0;
    for (Trial t : ts) {
      double[] e = t.estimates().get(estimator);
      if (e == null) {
        continue;
      }
      double err = e[0] - t.truth();
      bias += err;
      sq += err * err;
      cover += e[1] <= t.truth() && t.truth() <= e[2] ? 1 : 0;
      width += e[2] - e[1];
      truth += t.truth();
      n++;
    }
    return n == 0 ? new Row(world, policy, estimator, 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN, Double.NaN)
        : new Row(world, policy, estimator, n, truth / n, bias / n, Math.sqrt(sq / n), cover / n, width / n);
  }

  private List<Trial> trial(SparkSession spark, WorldKind world, long seed, Path dir) throws IOException {
    String in = dir.resolve("in").toString();
    String out = dir.resolve("out").toString();
    new GeneratorJob().run(spark, new GeneratorSpec(customers, seed, GeneratorSpec.DEFAULT_END_DATE, 0.0,
        base.outcomes().inactivityDays(), world, hiddenConfounding), in);
    LeewayConfig cfg = withOverrides.apply(Map.of("leeway.paths.input_root", in, "leeway.paths.output_root", out));
    java.time.LocalDate runDate = GeneratorSpec.DEFAULT_END_DATE;
    // A session per output root: each has its own catalog of published tables.
    SparkSession session = spark.newSession();
    Runner.Outcome o = new Runner().run(session, cfg, runDate, "benchmark-effects",
        List.of(new IngestJob(), new OutcomesJob(), new EffectsJob()));
    if (!o.succeeded()) {
      throw new IllegalStateException("Cannot benchmark " + world + " seed " + seed + ": " + o.error(), o.failure());
    }
    String runDir = out + "/runs/" + runDate;
    String outcomeCol = EffectsEstimator.outcomes(cfg).stream().filter(x -> x.name().equals(outcome)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("Cannot benchmark: unknown outcome " + outcome)).column();
    Published published = new Published(session, Catalog.open(session, cfg), out);
    Dataset<org.apache.spark.sql.Row> used = published.read(runDate, EffectsJob.NAME, EffectsJob.table("rows"))
        .filter("in_overlap and treated = 1").select("exception_id", "policy");
    Dataset<org.apache.spark.sql.Row> mature = published.read(runDate, OutcomesJob.NAME, OutcomesJob.REQUESTS)
        .filter(col(outcomeCol).isNotNull()).select("exception_id");
    Map<String, Double> truth = new TreeMap<>();
    for (org.apache.spark.sql.Row r : spark.read().parquet(in + "/truth/requests")
        .select(col("exception_id"), col(truthColumn(outcome)).as("tau")).join(used, "exception_id")
        .join(mature, "exception_id").groupBy("policy").agg(avg("tau")).collectAsList()) {
      truth.put(r.getString(0), r.getDouble(1));
    }
    EffectsSummary s;
    try (var stream = java.nio.file.Files.newInputStream(Path.of(runDir, "effects", "summary.json"))) {
      s = EffectsSummary.read(stream);
    }
    List<Trial> out2 = new ArrayList<>();
    String w = world.name().toLowerCase(java.util.Locale.ROOT);
    for (EffectsSummary.PolicyEffects p : s.policies()) {
      EffectsSummary.EffectFigures f = p.effects().get(outcome);
      if (f == null || f.tooSmall() || !truth.containsKey(p.policy())) {
        continue;
      }
      Map<String, double[]> est = new LinkedHashMap<>();
      est.put("naive", triple(f.naive()));
      est.put("ipw", triple(f.ipw()));
      est.put("doubly_robust", triple(f.doublyRobust()));
      out2.add(new Trial(w, seed, p.policy(), truth.get(p.policy()), est,
          f.sensitivity() == null ? "none" : f.sensitivity().verdict().name().toLowerCase(java.util.Locale.ROOT),
          p.negativeControl() == null ? null : p.negativeControl().flagged()));
    }
    return out2;
  }

  private static double[] triple(EffectsSummary.Figure f) {
    return f == null ? null : new double[] {f.estimate(), f.low(), f.high()};
  }
}
