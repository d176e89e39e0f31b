package dev.leeway.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.config.ConfigError;
import dev.leeway.config.LeewayConfig;
import dev.leeway.io.InputError;
import dev.leeway.uplift.HillstromBenchmark;
import java.io.File;
import java.io.PrintWriter;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code leeway benchmark-uplift}: the uplift learners on a public randomised experiment. */
@Command(name = "benchmark-uplift", mixinStandardHelpOptions = true,
    description = "Runs the uplift learners on a public randomised experiment and prints the ATE per arm and each "
        + "learner's Qini, AUUC and uplift@30%% on a seeded 50/50 split. Hillstrom: Womens E-Mail vs No E-Mail, "
        + "outcome visit.")
final class BenchmarkUpliftCommand implements Callable<Integer> {
  @ParentCommand
  LeewayCommand parent;

  @Spec
  CommandSpec spec;

  @Option(names = "--dataset", required = true, paramLabel = "NAME", description = "The data set: hillstrom.")
  String dataset;

  @Option(names = "--path", defaultValue = "../shared/datasets/hillstrom/hillstrom.csv", paramLabel = "FILE",
      description = "The data set's CSV file (default: ${DEFAULT-VALUE}).")
  String path;

  @Option(names = "--seed", defaultValue = "2026", paramLabel = "S",
      description = "Seed of the 50/50 split and the learners (default: ${DEFAULT-VALUE}).")
  long seed;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the results as JSON to this file.")
  File json;

  @Option(names = "--conf", paramLabel = "FILE", description = "Configuration file (learner and Spark settings).")
  File conf;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!dataset.equals("hillstrom")) {
      err.println("leeway: unknown data set '" + dataset + "'; known: hillstrom");
      return ExitCodes.USAGE;
    }
    if (!new File(path).isFile()) {
      err.println("leeway: " + path + " is not a file; pass --path to the Hillstrom CSV");
      return ExitCodes.BAD_INPUT;
    }
    LeewayConfig config;
    try {
      config = LeewayConfig.load(conf != null ? conf : new File(parent.sessions.defaultConf()), Map.of());
    } catch (ConfigError e) {
      err.println("leeway: " + e.getMessage());
      return ExitCodes.USAGE;
    }
    SparkSession spark = parent.sessions.open(config);
    try {
      long started = System.nanoTime();
      HillstromBenchmark.Result r = new HillstromBenchmark(config, seed).run(spark, path);
      out.printf("Hillstrom: %,d rows; arms %s%n", r.rows(), r.arms());
      out.printf("%-16s %12s %12s %12s%n", "arm vs No E-Mail", "visit rate", "visit ATE", "conversion ATE");
      r.ate().forEach((arm, a) -> out.printf("%-16s %11.2f%% %+12.6f %+12.6f%n", arm, 100 * a.get("visit_rate"),
          a.get("visit"), a.get("conversion")));
      out.printf("%nWomens E-Mail vs No E-Mail, outcome visit: train %,d rows, test %,d rows (seed %d)%n",
          r.trainRows(), r.testRows(), seed);
      out.printf("%-22s %8s %8s %10s %10s   %-30s%n", "ranking", "qini", "auuc", "uplift@10", "uplift@20",
          "uplift@30 [95% interval]");
      for (Map<String, Object> m : r.learners()) {
        out.printf("%-22s %8.4f %8.4f %10.4f %10.4f   %.4f [%.4f, %.4f]%n", m.get("ranking"), m.get("qini"),
            m.get("auuc"), m.get("uplift_at_10"), m.get("uplift_at_20"), m.get("uplift_at_30"),
            m.get("uplift_at_30_low"), m.get("uplift_at_30_high"));
      }
      out.printf("Intervals: a bootstrap over customers (%d replicates) around each estimate.%n",
          config.train().bootstrapReplicates());
      out.printf("Published reference (scikit-uplift, class transformation, depth-2 GBT): uplift@30 = 0.0661%n");
      out.printf("Done in %.1f s%n", (System.nanoTime() - started) / 1e9);
      if (json != null) {
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json, r);
      }
      return ExitCodes.OK;
    } catch (InputError e) {
      err.println("leeway: " + e.getMessage());
      return ExitCodes.BAD_INPUT;
    } finally {
      parent.sessions.close(spark);
    }
  }
}
