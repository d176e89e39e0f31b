package dev.leeway.generate;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.leeway.io.Files;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.util.LongAccumulator;

/**
 * Writes generated raw inputs (the five tables as CSV folders), per-request truth (Parquet) and
 * ground_truth.json with the true ATT and the naive difference per policy, per policy and segment, and overall.
 * Each customer's story is a pure function of (seed, customer), so the output is the same for the same seed.
 */
public final class GeneratorJob {
  /** What was generated and where. */
  public record Result(String outDir, Map<String, Long> rows, String groundTruth) {}

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  public Result run(SparkSession spark, GeneratorSpec spec, String outDir) throws IOException {
    Map<String, Long> rows = new LinkedHashMap<>();
    rows.put("customers", writeCsv(spark, spec, outDir, "customers", TableRows.CUSTOMERS, TableRows::customers));
    rows.put("clv_snapshots", writeCsv(spark, spec, outDir, "clv_snapshots", TableRows.CLV, TableRows::clvSnapshots));
    rows.put("exceptions", writeCsv(spark, spec, outDir, "exceptions", TableRows.EXCEPTIONS, TableRows::exceptions));
    rows.put("activity", writeCsv(spark, spec, outDir, "activity", TableRows.ACTIVITY, TableRows::activity));
    rows.put("referrals", writeCsv(spark, spec, outDir, "referrals", TableRows.REFERRALS, TableRows::referrals));

    String truthDir = new Path(new Path(outDir, "truth"), "requests").toString();
    stories(spark, spec, TruthRows.schema(), TruthRows::rows, spark.sparkContext().longAccumulator("truth"))
        .write().mode(SaveMode.Overwrite).parquet(truthDir);
    tidy(spark, new Path(truthDir), ".parquet");
    Dataset<Row> truth = spark.read().parquet(truthDir);
    Map<String, Object> doc = groundTruth(spec, truth, rows);
    Path gt = new Path(outDir, "ground_truth.json");
    FileSystem fs = Files.of(gt, spark.sparkContext().hadoopConfiguration());
    try (OutputStream out = fs.create(gt, true)) {
      out.write(JSON.writeValueAsString(doc).getBytes(StandardCharsets.UTF_8));
    }
    return new Result(outDir, rows, gt.toString());
  }

  /** Rows of one kind for every base customer (and the customers its referrals became). */
  interface StoryRows extends java.io.Serializable {
    List<Row> of(CustomerStory story);
  }

  private static Dataset<Row> stories(SparkSession spark, GeneratorSpec spec, StructType schema, StoryRows rowsOf,
      LongAccumulator counter) {
    FlatMapFunction<Long, Row> f = id -> {
      List<Row> rows = rowsOf.of(CustomerStory.base(spec, id));
      counter.add(rows.size());
      return rows.iterator();
    };
    return spark.range(0, spec.customers(), 1, spec.partitions()).flatMap(f, Encoders.row(schema));
  }

  private long writeCsv(SparkSession spark, GeneratorSpec spec, String outDir, String table, String[] columns,
      StoryRows rowsOf) throws IOException {
    LongAccumulator counter = spark.sparkContext().longAccumulator("generated " + table);
    String path = new Path(outDir, table).toString();
    stories(spark, spec, TableRows.schema(columns), rowsOf, counter)
        .write().mode(SaveMode.Overwrite)
        .option("header", "true")
        .option("quote", "\"")
        .option("escape", "\"")
        .option("ignoreLeadingWhiteSpace", "false")
        .option("ignoreTrailingWhiteSpace", "false")
        .csv(path);
    tidy(spark, new Path(path), ".csv");
    return counter.value();
  }

  /** Gives part files stable names (part-00000.csv, ...) and removes checksum and marker files. */
  private static void tidy(SparkSession spark, Path dir, String extension) throws IOException {
    FileSystem fs = Files.of(dir, spark.sparkContext().hadoopConfiguration());
    List<Path> parts = new ArrayList<>();
    for (FileStatus s : fs.listStatus(dir)) {
      String n = s.getPath().getName();
      if (n.startsWith("part-")) {
        parts.add(s.getPath());
      } else if (n.startsWith(".") || n.startsWith("_")) {
        fs.delete(s.getPath(), false);
      }
    }
    parts.sort((a, b) -> a.getName().compareTo(b.getName()));
    for (int i = 0; i < parts.size(); i++) {
      Path target = new Path(dir, String.format("part-%05d%s", i, extension));
      if (!parts.get(i).equals(target) && !fs.rename(parts.get(i), target)) {
        throw new IOException("Cannot rename " + parts.get(i) + " to " + target);
      }
    }
  }

  private static Map<String, Object> groundTruth(GeneratorSpec spec, Dataset<Row> truth, Map<String, Long> rows) {
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("seed", spec.seed());
    doc.put("base_customers", spec.customers());
    doc.put("end_date", spec.endDate().toString());
    doc.put("dirty_rate", spec.dirtyRate());
    doc.put("world", spec.world().label());
    doc.put("rows_written", rows);
    doc.put("definitions", World.ordered(
        "att", "mean over granted requests whose window ended by end_date of the true effect tau: the expected "
            + "outcome if granted minus if denied, the customer's later decisions within 365 days made again (same "
            + "random draws) on what staff would then have seen, with the entitlement that follows: the total "
            + "effect of the decision, which a comparison of granted and denied requests measures",
        "naive_difference", "mean realised outcome of granted minus denied requests, same maturity filter",
        "retention", "no CHURN event in (requested_at, requested_at + H days] and at least one other event in the "
            + "last min(H, inactivity_days) days of that window",
        "referrals", "converted referrals made in (requested_at, requested_at + W days]",
        "maturity", "a window is mature when requested_at + H days <= end_date + 1 day (midnight after end_date)",
        "inactivity_days", spec.inactivityDays()));
    doc.put("planted", World.describe(spec.world()));
    doc.put("hidden_confounding", hiddenConfounding(spec.hiddenConfounding()));
    doc.put("zero_effect_policy", World.ZERO_EFFECT_POLICY);
    doc.put("overall", summarise(truth.groupBy(lit("all").as("k"))).get("all"));
    doc.put("policies", summarise(truth.groupBy(col("policy").as("k"))));
    doc.put("policy_segments", summarise(truth.groupBy(
        org.apache.spark.sql.functions.concat_ws("|", col("policy"), col("segment")).as("k"))));
    return doc;
  }

  /** The hidden confounder's strength, how it acts, and which way it biases estimates that cannot see it. */
  private static Map<String, Object> hiddenConfounding(double s) {
    return World.ordered(
        "strength", s,
        "confounder", "U ~ N(0, 1) per customer, recorded in truth/requests as hidden_u and in no input table",
        "mechanism", World.ordered(
            "grant_log_odds", "+ strength*U (staff flex for customers who are visibly unhappy and about to leave)",
            "log_churn_hazard", "+ " + World.HIDDEN_HAZARD + "*strength*U (the CRM does not record it)",
            "log_activity_rate", "- " + World.HIDDEN_ACTIVITY
                + "*strength*U (unhappy customers were already less active, which past activity partly reveals)"),
        "direction", s == 0
            ? "none: every confounder is observable, so adjusting for the pipeline's features can recover the ATT"
            : "granted requests come from customers more likely to churn and less active anyway, so estimates that "
                + "adjust only for observed features understate the retention effects (toward zero, below zero for "
                + World.ZERO_EFFECT_POLICY + "); referral effects are understated too, but weakly, since U reaches "
                + "referrals only through churn. tau stays the effect for each customer, U included");
  }

  /** Per group: requests, grants, and for each outcome the true ATT and the naive difference on mature rows. */
  private static Map<String, Object> summarise(org.apache.spark.sql.RelationalGroupedDataset grouped) {
    List<Column> aggs = new ArrayList<>();
    aggs.add(count(lit(1)).as("requests"));
    aggs.add(sum(when(col("granted"), 1).otherwise(0)).as("granted"));
    List<String> outcomes = new ArrayList<>();
    for (int h : TruthRows.HORIZONS) {
      outcomes.add("retention_" + h);
    }
    for (int w : TruthRows.REFERRAL_WINDOWS) {
      outcomes.add("referrals_" + w);
    }
    for (String o : outcomes) {
      Column mature = col("y_" + o).isNotNull();
      Column treated = mature.and(col("granted"));
      Column control = mature.and(not(col("granted")));
      aggs.add(avg(when(treated, col("tau_" + o))).as(o + "_att"));
      aggs.add(avg(when(treated, col("y_" + o))).as(o + "_treated_mean"));
      aggs.add(avg(when(control, col("y_" + o))).as(o + "_control_mean"));
      aggs.add(sum(when(treated, 1).otherwise(0)).as(o + "_treated"));
      aggs.add(sum(when(control, 1).otherwise(0)).as(o + "_control"));
    }
    Dataset<Row> summary = grouped.agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new));
    Map<String, Object> out = new java.util.TreeMap<>();
    for (Row r : summary.collectAsList()) {
      Map<String, Object> g = new LinkedHashMap<>();
      g.put("requests", r.getAs("requests"));
      g.put("granted", r.getAs("granted"));
      for (String o : outcomes) {
        Map<String, Object> m = new LinkedHashMap<>();
        Double treatedMean = r.getAs(o + "_treated_mean");
        Double controlMean = r.getAs(o + "_control_mean");
        m.put("true_att", r.getAs(o + "_att"));
        m.put("naive_difference", treatedMean == null || controlMean == null ? null : treatedMean - controlMean);
        m.put("treated_mean", treatedMean);
        m.put("control_mean", controlMean);
        m.put("mature_granted", r.getAs(o + "_treated"));
        m.put("mature_denied", r.getAs(o + "_control"));
        g.put(o, m);
      }
      out.put(r.getString(0), g);
    }
    return out;
  }
}
