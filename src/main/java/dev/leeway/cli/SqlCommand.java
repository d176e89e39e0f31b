package dev.leeway.cli;

import dev.leeway.config.LeewayConfig;
import dev.leeway.tables.Catalog;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code leeway sql}: a Spark SQL query over the published tables, with the catalog configured from conf/. */
@Command(name = "sql", mixinStandardHelpOptions = true,
    description = "Runs one Spark SQL query against the published tables (catalog and namespace from "
        + "leeway.catalog: by default leeway.leeway.<table>) and prints the result, e.g. "
        + "\"SELECT policy, count(*) FROM leeway.leeway.scores WHERE run_date = date'2026-11-01' GROUP BY policy\". "
        + "Time travel: ... FROM leeway.leeway.scores VERSION AS OF 'served_20261101'.")
final class SqlCommand implements Callable<Integer> {
  @ParentCommand
  LeewayCommand parent;

  @Mixin
  ConfigOptions options;

  @Spec
  CommandSpec spec;

  @Parameters(index = "0", paramLabel = "QUERY", description = "The query.")
  String query;

  @Option(names = "--limit", paramLabel = "N", description = "Rows to print (default: 100).")
  int limit = 100;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    // A ConfigError goes to LeewayCommand's handler: one line on stderr, exit code 2.
    LeewayConfig config = options.load(parent.sessions.defaultConf());
    SparkSession spark = parent.sessions.open(config);
    try {
      Catalog.open(spark, config);
      Dataset<Row> result = spark.sql(query);
      // At most --limit rows reach the driver.
      java.util.List<Row> rows = result.limit(limit + 1).collectAsList();
      out.println(String.join("\t", result.columns()));
      for (Row r : rows.subList(0, Math.min(limit, rows.size()))) {
        java.util.List<String> cells = new java.util.ArrayList<>();
        for (int i = 0; i < r.length(); i++) {
          cells.add(String.valueOf(r.get(i)));
        }
        out.println(String.join("\t", cells));
      }
      if (rows.size() > limit) {
        out.println("(more than " + limit + " rows; showing " + limit + ": --limit N)");
      }
      out.flush();
      return ExitCodes.OK;
    } finally {
      parent.sessions.close(spark);
    }
  }
}
