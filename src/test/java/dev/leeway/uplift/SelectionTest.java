package dev.leeway.uplift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.TestSpark;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Honest model selection: the champion is picked on validation rows only, whatever the test rows say; customers
 * are split whole, by time when times vary and at random (with a warning) when every request shares one timestamp.
 */
class SelectionTest {
  private static final StructType METRICS = new StructType().add("split", DataTypes.StringType)
      .add("outcome", DataTypes.StringType).add("policy", DataTypes.StringType).add("ranking", DataTypes.StringType)
      .add("qini", DataTypes.DoubleType);

  private static Row m(String split, String policy, String ranking, Double qini) {
    return new org.apache.spark.sql.catalyst.expressions.GenericRowWithSchema(
        new Object[] {split, "retention_365d", policy, ranking, qini}, METRICS);
  }

  @Test
  void theChampionIsNeverChosenOnTestRows() {
    List<Row> rows = List.of(
        m("validation", "ALL", "t_learner", 0.02), m("validation", "ALL", "x_learner", 0.05),
        m("validation", "ALL", "dr_learner", null),
        // Test rows (and a per-policy row) that would pick another learner.
        m("test", "ALL", "t_learner", 0.40), m("test", "ALL", "dr_learner", 0.90),
        m("validation", "P1", "t_learner", 0.80));
    assertEquals("x_learner", Champion.pick(rows, List.of("t_learner", "x_learner", "dr_learner"),
        "retention_365d"));
    // A learner with test figures but none on validation cannot win.
    assertEquals("t_learner", Champion.pick(rows, List.of("dr_learner", "t_learner"), "retention_365d"));
  }

  private static Dataset<Row> requests(boolean oneTimestamp) {
    StructType s = new StructType().add("customer_id", DataTypes.StringType)
        .add("requested_at", DataTypes.TimestampType).add("__t", DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>();
    long day = 86_400_000L;
    for (int c = 0; c < 600; c++) {
      for (int k = 0; k < 1 + c % 3; k++) {
        long at = oneTimestamp ? 1_700_000_000_000L : 1_700_000_000_000L + (c * 7L + k) * day;
        rows.add(RowFactory.create("C" + c, new Timestamp(at), (double) ((c + k) % 2)));
      }
    }
    return TestSpark.session().createDataFrame(rows, s);
  }

  @Test
  void customersAreSplitWholeAndByTimeWhenTimesVary() {
    Dataset<Row> rows = requests(false);
    CustomerSplit.Split split = CustomerSplit.of(rows, "__t", 0.2, 0.2, 7, 30);
    assertEquals(CustomerSplit.BY_TIME, split.how());
    assertNull(split.warning());
    Dataset<Row> parted = split.assign(rows, 0.2, 0.2, 7);
    assertEquals(rows.count(), parted.count(), "every request keeps one row");
    assertEquals(0, parted.groupBy("customer_id").agg(org.apache.spark.sql.functions.countDistinct(
        CustomerSplit.PART).as("parts")).filter("parts > 1").count(), "a customer's requests share one part");
    // The test part holds the newest customers: its earliest latest-request is after train's latest.
    Row bounds = parted.groupBy(CustomerSplit.PART).agg(org.apache.spark.sql.functions.max("requested_at"))
        .filter("__part = 'train'").first();
    Row testMin = parted.filter("__part = 'test'").groupBy("customer_id")
        .agg(org.apache.spark.sql.functions.max("requested_at").as("latest"))
        .agg(org.apache.spark.sql.functions.min("latest")).first();
    assertTrue(((Timestamp) testMin.get(0)).after((Timestamp) bounds.get(1)), bounds + " / " + testMin);
  }

  @Test
  void aSingleTimestampSplitsAtRandomByCustomerWithAWarning() {
    Dataset<Row> rows = requests(true);
    CustomerSplit.Split split = CustomerSplit.of(rows, "__t", 0.2, 0.2, 7, 30);
    assertEquals(CustomerSplit.AT_RANDOM, split.how());
    assertTrue(split.warning().contains("split at random"), split.warning());
    assertTrue(split.enough(30), "every part has both arms: " + split.describeArms());
    Dataset<Row> parted = split.assign(rows, 0.2, 0.2, 7);
    double testShare = parted.filter("__part = 'test'").select("customer_id").distinct().count() / 600.0;
    assertEquals(0.2, testShare, 0.06, "about a fifth of customers are held out for test");
  }
}
