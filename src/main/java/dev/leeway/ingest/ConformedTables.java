package dev.leeway.io;

import dev.leeway.contract.Contracts;
import java.io.IOException;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The five conformed tables of one run date, as ingest published them. */
public record ConformedTables(
    Dataset<Row> customers, Dataset<Row> clvSnapshots, Dataset<Row> exceptions, Dataset<Row> activity,
    Dataset<Row> referrals) {

  /** Reads runs/&lt;date&gt;/ingest/conformed; fails naming the folder and the command to run when it is missing. */
  public static ConformedTables read(SparkSession spark, RunLayout layout) throws IOException {
    Path conformed = new Path(layout.stageDir("ingest"), "conformed");
    if (!Files.of(conformed, spark.sparkContext().hadoopConfiguration()).exists(conformed)) {
      throw new InputError("Cannot read conformed inputs: " + conformed + " does not exist; run `leeway ingest` "
          + "(or `leeway nightly`) for this run date first");
    }
    return new ConformedTables(
        spark.read().parquet(new Path(conformed, Contracts.CUSTOMERS.name()).toString()),
        spark.read().parquet(new Path(conformed, Contracts.CLV_SNAPSHOTS.name()).toString()),
        spark.read().parquet(new Path(conformed, Contracts.EXCEPTIONS.name()).toString()),
        spark.read().parquet(new Path(conformed, Contracts.ACTIVITY.name()).toString()),
        spark.read().parquet(new Path(conformed, Contracts.REFERRALS.name()).toString()));
  }
}
