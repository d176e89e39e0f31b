package dev.leeway.quality;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.leeway.tables.Catalog;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The {@code gate_results} table: every gate measurement of every attempt, appended whether the gates passed or not
 * (a failed run's measurements are the interesting ones), partitioned by run date, so a trend can be plotted.
 */
public final class GateLog {
  public static final String TABLE = "gate_results";

  static final StructType SCHEMA = new StructType()
      .add("attempt", DataTypes.IntegerType, false)
      .add("stage", DataTypes.StringType, false)
      .add("check", DataTypes.StringType, false)
      .add("table_name", DataTypes.StringType, false)
      .add("measured", DataTypes.DoubleType, true)
      .add("threshold", DataTypes.DoubleType, true)
      .add("severity", DataTypes.StringType, false)
      .add("outcome", DataTypes.StringType, false)
      .add("detail", DataTypes.StringType, true)
      .add("measured_at", DataTypes.TimestampType, false);

  private final SparkSession spark;
  private final Catalog catalog;

  public GateLog(SparkSession spark, Catalog catalog) {
    this.spark = spark;
    this.catalog = catalog;
  }

  /** Appends one attempt's results (a few dozen rows) to the table, creating it on first use. */
  public void append(LocalDate runDate, int attempt, String stage, List<GateResult> results) {
    Timestamp now = Timestamp.from(Instant.now());
    List<Row> rows = new ArrayList<>();
    for (GateResult r : results) {
      rows.add(RowFactory.create(attempt, stage, r.check(), r.table(), r.measured(), r.threshold(), r.severity(),
          r.outcome(), r.detail(), now));
    }
    Dataset<Row> d = spark.createDataFrame(rows, SCHEMA)
        .withColumn(Catalog.RUN_DATE, lit(java.sql.Date.valueOf(runDate)));
    String name = catalog.table(TABLE);
    if (!catalog.exists(TABLE)) {
      try {
        d.limit(0).writeTo(name).using("iceberg").partitionedBy(col(Catalog.RUN_DATE))
            .tableProperty("format-version", "2").create();
      } catch (org.apache.spark.sql.catalyst.analysis.TableAlreadyExistsException e) {
        // Created by a concurrent run of another date.
      }
    }
    try {
      d.writeTo(name).append();
    } catch (org.apache.spark.sql.catalyst.analysis.NoSuchTableException e) {
      throw new IllegalStateException("Table " + name + " vanished while gate results were written", e);
    }
  }

  /** The detail of the latest measurement of {@code check} on {@code table} before {@code runDate}, if any. */
  public Optional<String> previousDetail(LocalDate runDate, String check, String table) {
    if (!catalog.exists(TABLE)) {
      return Optional.empty();
    }
    List<Row> r = spark.table(catalog.table(TABLE))
        .where(col(Catalog.RUN_DATE).lt(lit(java.sql.Date.valueOf(runDate)))
            .and(col("check").equalTo(check)).and(col("table_name").equalTo(table)))
        .orderBy(col(Catalog.RUN_DATE).desc(), col("attempt").desc(), col("measured_at").desc())
        .select("detail").limit(1).collectAsList();
    return r.isEmpty() ? Optional.empty() : Optional.ofNullable(r.get(0).getString(0));
  }
}
