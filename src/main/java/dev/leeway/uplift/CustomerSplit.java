package dev.leeway.uplift;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.unix_seconds;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import dev.leeway.contract.Cols;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The three-way split of customers into train, validation and test. A customer's requests all land in one part
 * (they share outcome windows and the customer's own tendencies), so no part learns about a customer another part
 * is judged on.
 *
 * <p>When request times vary, customers are ordered by the time of their latest request: the newest go to test,
 * the next to validation, the rest to train, which is how the model will be used (trained on the past, applied to
 * customers asking now). When times do not vary enough for that (one daily extract, a single campaign: every
 * part must hold at least {@code minArmRows} granted and denied requests), customers are split at random (a hash of
 * the id and the seed) and the split says so.
 */
public final class CustomerSplit {
  public static final String PART = "__part";
  public static final String TRAIN = "train";
  public static final String VALIDATION = "validation";
  public static final String TEST = "test";
  public static final String BY_TIME = "time";
  public static final String AT_RANDOM = "random";

  /** How customers were split, the warning when time could not be used, and requests per part and arm. */
  public record Split(Dataset<Row> customers, String how, String warning, Map<String, long[]> arms) {
    /** Adds {@link #PART} to rows of these customers; customers not in the split are placed at random. */
    public Dataset<Row> assign(Dataset<Row> rows, double validationFraction, double testFraction, long seed) {
      return rows.join(customers, rows.col(Cols.CUSTOMER_ID).equalTo(customers.col("__split_customer")), "left")
          .withColumn(PART, coalesce(col(PART + "_c"), random(validationFraction, testFraction, seed)))
          .drop("__split_customer", PART + "_c");
    }

    /** Whether every part has at least {@code min} granted and denied requests. */
    public boolean enough(long min) {
      for (String p : new String[] {TRAIN, VALIDATION, TEST}) {
        long[] a = arms.getOrDefault(p, new long[2]);
        if (a[0] < min || a[1] < min) {
          return false;
        }
      }
      return true;
    }

    public String describeArms() {
      StringBuilder b = new StringBuilder();
      for (String p : new String[] {TRAIN, VALIDATION, TEST}) {
        long[] a = arms.getOrDefault(p, new long[2]);
        b.append(b.length() == 0 ? "" : ", ").append(p).append(": ").append(a[1]).append(" granted and ")
            .append(a[0]).append(" denied");
      }
      return b.toString();
    }
  }

  private CustomerSplit() {}

  /**
   * Splits the customers of {@code rows} (one per matured request, with customer id, requested_at and the 0/1
   * treatment {@code treatmentCol}).
   */
  public static Split of(Dataset<Row> rows, String treatmentCol, double validationFraction, double testFraction,
      long seed, long minArmRows) {
    Dataset<Row> latest = rows.groupBy(col(Cols.CUSTOMER_ID))
        .agg(max(unix_seconds(col(Cols.REQUESTED_AT))).cast("double").as("__latest"));
    // The quantile sketch depends on the order it sees values in: a fixed order makes the split repeatable.
    double[] q = latest.sort(Cols.CUSTOMER_ID).stat().approxQuantile("__latest",
        new double[] {1 - validationFraction - testFraction, 1 - testFraction}, 0.0005);
    if (q.length == 2 && q[0] < q[1]) {
      Dataset<Row> byTime = latest.select(col(Cols.CUSTOMER_ID).as("__split_customer"),
          when(col("__latest").geq(q[1]), TEST).when(col("__latest").geq(q[0]), VALIDATION).otherwise(TRAIN)
              .as(PART + "_c"));
      Split s = new Split(byTime, BY_TIME, null, arms(rows, byTime, treatmentCol));
      if (s.enough(minArmRows)) {
        return s;
      }
    }
    Dataset<Row> random = latest.select(col(Cols.CUSTOMER_ID).as("__split_customer"),
        random(validationFraction, testFraction, seed).as(PART + "_c"));
    return new Split(random, AT_RANDOM, "request times do not vary enough to order customers by time (every part "
        + "needs at least " + minArmRows + " granted and denied matured requests); customers were split at random "
        + "into train, validation and test, so the test figures are not those of a later period",
        arms(rows, random, treatmentCol));
  }

  private static Column random(double validationFraction, double testFraction, long seed) {
    Column u = pmod(xxhash64(col(Cols.CUSTOMER_ID), lit(seed)), lit(1_000_000)).divide(1_000_000.0);
    return when(u.lt(testFraction), TEST).when(u.lt(testFraction + validationFraction), VALIDATION).otherwise(TRAIN);
  }

  private static Map<String, long[]> arms(Dataset<Row> rows, Dataset<Row> customers, String treatmentCol) {
    Map<String, long[]> out = new LinkedHashMap<>();
    for (Row r : rows.join(customers, rows.col(Cols.CUSTOMER_ID).equalTo(customers.col("__split_customer")))
        .groupBy(col(PART + "_c"), col(treatmentCol).gt(0.5).as("__t")).count().collectAsList()) {
      out.computeIfAbsent(r.getString(0), k -> new long[2])[r.getBoolean(1) ? 1 : 0] = r.getLong(2);
    }
    return out;
  }
}
