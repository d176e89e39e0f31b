package dev.leeway.uplift;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.monotonically_increasing_id;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.leeway.causal.CrossFit;
import dev.leeway.config.LeewayConfig;
import dev.leeway.config.LeewayConfig.TrainSettings;
import dev.leeway.features.ModelFeatures;
import dev.leeway.uplift.learners.LearnerContext;
import dev.leeway.uplift.learners.Learners;
import dev.leeway.uplift.learners.UpliftEstimator;
import dev.leeway.uplift.learners.UpliftModel;
import dev.leeway.io.InputError;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The public benchmark on the Hillstrom e-mail experiment: the ATE of each e-mail arm against no e-mail on visit and
 * conversion, and the uplift learners' Qini, AUUC and uplift@30% on a seeded 50/50 split of Womens E-Mail vs No
 * E-Mail with outcome visit, beside the random ranking and the response model.
 */
public final class HillstromBenchmark {
  public static final String CONTROL = "No E-Mail";
  public static final String WOMENS = "Womens E-Mail";
  public static final String MENS = "Mens E-Mail";
  static final List<String> NUMERIC = List.of("recency", "history", "mens", "womens", "newbie");
  static final List<String> CATEGORICAL = List.of("history_segment", "zip_code", "channel");
  static final List<String> REQUIRED = List.of("recency", "history_segment", "history", "mens", "womens",
      "zip_code", "newbie", "channel", "segment", "visit", "conversion", "spend");

  /** The ATEs and the learners' held-out metrics. */
  public record Result(long rows, Map<String, Long> arms, Map<String, Map<String, Double>> ate,
      List<Map<String, Object>> learners, long trainRows, long testRows) {}

  private final LeewayConfig config;
  private final long seed;

  public HillstromBenchmark(LeewayConfig config, long seed) {
    this.config = config;
    this.seed = seed;
  }

  /** Runs every learner and the response baseline. */
  public Result run(SparkSession spark, String csvPath) {
    return run(spark, csvPath, Learners.names(config.train().learnerClasses()));
  }

  /** Runs the named learners (and always the random ranking). */
  public Result run(SparkSession spark, String csvPath, List<String> names) {
    Dataset<Row> raw = spark.read().option("header", "true").option("mode", "FAILFAST").option("inferSchema", "true")
        .csv(csvPath);
    List<String> missing = new ArrayList<>(REQUIRED);
    missing.removeAll(List.of(raw.columns()));
    if (!missing.isEmpty()) {
      throw new InputError(csvPath + ": missing column(s) " + missing + "; expected the Hillstrom columns "
          + REQUIRED);
    }
    // One partition in file order, so the row number (and with it the split) is the same on every run.
    Dataset<Row> d = raw.coalesce(1).withColumn("__row", monotonically_increasing_id())
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      long rows = d.count();
      Map<String, Long> arms = new LinkedHashMap<>();
      Map<String, Double> visit = new LinkedHashMap<>();
      Map<String, Double> conversion = new LinkedHashMap<>();
      for (Row r : d.groupBy("segment").agg(count(lit(1)), avg("visit"), avg("conversion")).orderBy("segment")
          .collectAsList()) {
        arms.put(r.getString(0), r.getLong(1));
        visit.put(r.getString(0), r.getDouble(2));
        conversion.put(r.getString(0), r.getDouble(3));
      }
      for (String arm : List.of(CONTROL, WOMENS, MENS)) {
        if (!arms.containsKey(arm)) {
          throw new InputError(csvPath + ": column segment has no '" + arm + "' rows; found " + arms.keySet());
        }
      }
      Map<String, Map<String, Double>> ate = new LinkedHashMap<>();
      for (String arm : List.of(WOMENS, MENS)) {
        ate.put(arm, Map.of("visit", visit.get(arm) - visit.get(CONTROL), "conversion",
            conversion.get(arm) - conversion.get(CONTROL), "visit_rate", visit.get(arm)));
      }

      Dataset<Row> womens = d.filter(col("segment").isin(WOMENS, CONTROL))
          .withColumn(UpliftEstimator.T, when(col("segment").equalTo(WOMENS), 1.0).otherwise(0.0))
          .withColumn(UpliftEstimator.Y, col("visit").cast("double"))
          .withColumn("unit_id", col("__row").cast("string"))
          .withColumn("__train", pmod(xxhash64(col("__row"), lit(seed)), lit(2)).equalTo(0));
      ModelFeatures features = new ModelFeatures(NUMERIC, CATEGORICAL, config.features().maxCategoryLevels());
      Dataset<Row> prepared = features.prepare(womens);
      PipelineModel encoding = features.fit(prepared.filter(col("__train")));
      Dataset<Row> vectors = CrossFit.assignFolds(ModelFeatures.transform(encoding, prepared), "unit_id",
          config.effects().folds(), seed).persist(StorageLevel.MEMORY_AND_DISK());
      try {
        Dataset<Row> train = vectors.filter(col("__train"));
        Dataset<Row> test = vectors.filter(col("__train").equalTo(false));
        TrainSettings s = config.train();
        Dataset<Row> all = null;
        for (String name : names) {
          UpliftModel m = Learners.create(name, s.learnerClasses(), new LearnerContext(s, config.effects(), features,
              null)).setPredictionCol(UpliftMetrics.SCORE).fit(train);
          Dataset<Row> scored = m.transform(test).select(col("unit_id"), col(UpliftMetrics.SCORE),
                  col(UpliftEstimator.T).as(UpliftMetrics.T), col(UpliftEstimator.Y).as(UpliftMetrics.Y))
              .withColumn("ranking", lit(name));
          all = all == null ? scored : all.unionByName(scored);
        }
        Dataset<Row> random = test.select(col("unit_id"), pmod(xxhash64(col("unit_id"), lit(seed)), lit(1_000_003))
                .cast("double").as(UpliftMetrics.SCORE), col(UpliftEstimator.T).as(UpliftMetrics.T),
            col(UpliftEstimator.Y).as(UpliftMetrics.Y)).withColumn("ranking", lit(UpliftTraining.RANDOM));
        all = all == null ? random : all.unionByName(random);
        Dataset<Row> ranked = all.persist(StorageLevel.MEMORY_AND_DISK());
        List<Map<String, Object>> learners = new ArrayList<>();
        try {
          UpliftBootstrap.Result boot = UpliftBootstrap.run(ranked, List.of("ranking"), List.of("unit_id"),
              new UpliftBootstrap.Settings("unit_id", "ranking", s.bootstrapReplicates(), seed));
          Dataset<Row> metrics = boot.withIntervals(UpliftMetrics.evaluate(ranked, List.of("ranking"),
              List.of("unit_id")).metrics());
          for (Row r : metrics.orderBy("ranking").collectAsList()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ranking", r.getAs("ranking"));
            for (String f : List.of("n", "qini", "auuc", "uplift_at_10", "uplift_at_20", "uplift_at_30")) {
              m.put(f, r.getAs(f));
              for (String bound : List.of("_low", "_high")) {
                if (List.of(r.schema().fieldNames()).contains(f + bound)) {
                  m.put(f + bound, r.getAs(f + bound));
                }
              }
            }
            learners.add(m);
          }
        } finally {
          ranked.unpersist();
        }
        return new Result(rows, arms, ate, learners, train.count(), test.count());
      } finally {
        vectors.unpersist();
      }
    } finally {
      d.unpersist();
    }
  }
}
