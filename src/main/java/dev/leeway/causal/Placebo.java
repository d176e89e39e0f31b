package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.xxhash64;

import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * The refutation check: treatment permuted within each policy (same number of grants, assigned at random), so any
 * effect the estimator finds on it is an artefact. The permutation is a deterministic function of ids and seed.
 */
public final class Placebo {
  private Placebo() {}

  /** Adds {@code outCol}: the treatment of another request of the same policy. */
  public static Dataset<Row> shuffleWithinPolicy(Dataset<Row> data, String idCol, String treatmentCol, String outCol,
      long seed) {
    Dataset<Row> ranked = data.withColumn("__rank", row_number().over(
        Window.partitionBy(col("policy")).orderBy(xxhash64(col(idCol), lit(seed)), col(idCol))));
    Dataset<Row> donors = data.select(col("policy").as("__donor_policy"), col(treatmentCol).as(outCol),
        row_number().over(Window.partitionBy(col("policy")).orderBy(col(idCol))).as("__donor_rank"));
    return ranked.join(donors, ranked.col("policy").equalTo(donors.col("__donor_policy"))
            .and(ranked.col("__rank").equalTo(donors.col("__donor_rank"))))
        .drop("__rank", "__donor_policy", "__donor_rank");
  }
}
