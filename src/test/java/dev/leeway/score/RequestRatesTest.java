package dev.leeway.score;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Customers' rates of asking differ (gamma, squared coefficient of variation 2); each is observed for a year (some
 * for less, having signed up later) and asks again in the next year. The fitted spread is the planted one, and the
 * shrunk rate predicts next year's requests better than the policy's rate alone or the customer's own count alone.
 */
class RequestRatesTest {
  private static final StructType SCHEMA = new StructType().add("policy", DataTypes.StringType)
      .add("n", DataTypes.LongType).add("e", DataTypes.DoubleType).add("next", DataTypes.LongType);

  private static long poisson(Random rng, double mean) {
    double l = Math.exp(-mean);
    double p = rng.nextDouble();
    long k = 0;
    while (p > l) {
      p *= rng.nextDouble();
      k++;
    }
    return k;
  }

  @Test
  void recoversTheSpreadAndPredictsTheNextYearBetter() {
    Random rng = new Random(7);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      double z = rng.nextGaussian();
      double lambda = 0.002 * z * z; // gamma, shape 1/2, mean 0.002 a day: spread (1 / shape) = 2
      double exposure = rng.nextDouble() < 0.8 ? 365 : 30 + rng.nextInt(336);
      rows.add(RowFactory.create("P1", poisson(rng, lambda * exposure), exposure, poisson(rng, lambda * 365)));
      // A policy whose customers all ask alike: no spread.
      rows.add(RowFactory.create("P2", poisson(rng, 0.001 * exposure), exposure, poisson(rng, 0.001 * 365)));
    }
    Dataset<Row> d = TestSpark.session().createDataFrame(rows, SCHEMA);
    List<RequestRates.Params> params = RequestRates.fit(d, "n", "e");
    RequestRates.Params p1 = params.get(0);
    RequestRates.Params p2 = params.get(1);
    assertEquals(0.002, p1.rate(), 0.0001);
    assertEquals(2.0, p1.spread(), 0.3, "planted spread 2");
    assertEquals(0.001, p2.rate(), 0.0001);
    assertTrue(p2.spread() < 0.2, "no spread planted: " + p2.spread());

    Row mse = d.filter(col("policy").equalTo("P1"))
        .withColumn("shrunk", RequestRates.expected(params, col("policy"), col("n"), col("e")).multiply(365))
        .withColumn("flat", org.apache.spark.sql.functions.lit(p1.rate() * 365))
        .withColumn("own", col("n").divide(col("e")).multiply(365))
        .selectExpr("avg(pow(shrunk - next, 2))", "avg(pow(flat - next, 2))", "avg(pow(own - next, 2))",
            "avg(shrunk)", "avg(next)")
        .first();
    assertTrue(mse.getDouble(0) < mse.getDouble(1), "shrunk " + mse.getDouble(0) + " vs flat " + mse.getDouble(1));
    assertTrue(mse.getDouble(0) < mse.getDouble(2), "shrunk " + mse.getDouble(0) + " vs own " + mse.getDouble(2));
    assertEquals(mse.getDouble(4), mse.getDouble(3), 0.05 * mse.getDouble(4), "unbiased over customers");
    // A customer with no history gets less than the policy's rate; one who asked twice, more.
    assertTrue(expected(params, 0) < p1.rate() && expected(params, 2) > p1.rate());
  }

  private static double expected(List<RequestRates.Params> params, long n) {
    return TestSpark.session().createDataFrame(List.of(RowFactory.create("P1", n, 365.0, 0L)), SCHEMA)
        .select(RequestRates.expected(params, col("policy"), col("n"), col("e"))).first().getDouble(0);
  }
}
