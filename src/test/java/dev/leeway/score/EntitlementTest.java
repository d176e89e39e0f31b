package dev.leeway.score;

import static org.apache.spark.sql.functions.col;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.leeway.support.TestSpark;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The entitlement cost of a grant, worked by hand on two customers. */
class EntitlementTest {
  private static final StructType SCHEMA = new StructType()
      .add("customer_id", DataTypes.StringType).add("policy", DataTypes.StringType)
      .add(ScoreCols.CLV, DataTypes.DoubleType).add(ScoreCols.REFERRAL_VALUE, DataTypes.DoubleType)
      .add(ScoreCols.EXPECTED_COST, DataTypes.DoubleType).add(ScoreCols.EXPECTED_REQUESTS, DataTypes.DoubleType)
      .add(ScoreCols.UPLIFT_RETENTION, DataTypes.DoubleType).add(ScoreCols.UPLIFT_REFERRALS, DataTypes.DoubleType)
      .add(Scoring.NEXT_RETENTION, DataTypes.DoubleType).add(Scoring.NEXT_REFERRALS, DataTypes.DoubleType);

  @Test
  void theChanceOfAskingAgainTimesWhatTheNextRequestLoses() {
    double rate = 1.0 / 365; // once a year: asks again within 365 days with chance 1 - 1/e
    List<Row> rows = List.of(
        // P1: worth 0.1 x 1000 - 20 = 80 now, 0.035 x 1000 - 20 = 15 after a grant: loses 65.
        RowFactory.create("a", "P1", 1000.0, 100.0, 20.0, rate, 0.1, 0.0, 0.035, 0.0),
        // P2: worth 0.05 x 1000 + 0.1 x 100 - 40 = 20 now, -30 after (counted as 0: it would not be granted).
        RowFactory.create("a", "P2", 1000.0, 100.0, 40.0, rate / 2, 0.05, 0.1, 0.01, 0.0),
        // P3: not worth it either way, and no cost history: nothing to lose.
        RowFactory.create("a", "P3", 1000.0, 100.0, null, rate, 0.5, 0.0, 0.1, 0.0),
        // P4: behind a hard line (never granted), so a grant today takes nothing from it.
        RowFactory.create("a", "P4", 1000.0, 100.0, 20.0, rate, 0.1, 0.0, 0.0, 0.0),
        // Another customer for whom a grant makes the next one worth more: a negative cost.
        RowFactory.create("b", "P1", 1000.0, 100.0, 20.0, rate, 0.05, 0.0, 0.06, 0.0),
        // One grant from the sporadic cap: after a grant today, the next request is held and loses all of its 80.
        RowFactory.create("c", "P1", 1000.0, 100.0, 20.0, rate, 0.1, 0.0, 0.035, 0.0));
    Map<String, Double> cost = new HashMap<>();
    for (Row r : Scoring.withEntitlement(TestSpark.session().createDataFrame(rows, SCHEMA), 365,
        col("policy").notEqual("P4"), col("customer_id").equalTo("c")).collectAsList()) {
      cost.put(r.getAs("customer_id") + "/" + r.getAs("policy"), r.getAs(ScoreCols.ENTITLEMENT_COST));
    }
    double expectedA = (1 - Math.exp(-1)) * 65 + (1 - Math.exp(-0.5)) * 20;
    for (String p : List.of("P1", "P2", "P3", "P4")) {
      assertEquals(expectedA, cost.get("a/" + p), 1e-9, "the same for every policy the customer may ask for");
    }
    assertEquals(-(1 - Math.exp(-1)) * 10, cost.get("b/P1"), 1e-9);
    assertEquals((1 - Math.exp(-1)) * 80, cost.get("c/P1"), 1e-9);
  }
}
