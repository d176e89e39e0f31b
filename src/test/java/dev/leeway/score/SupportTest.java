package dev.leeway.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.config.LeewayConfig;
import dev.leeway.support.TestSpark;
import java.io.File;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * A customer far outside the range of the requests the model learned from is flagged, naming the features, and is
 * not flexed on the extrapolation unless configured; a customer inside, or with a missing value, is not flagged.
 */
class SupportTest {
  private static final Map<String, double[]> SUPPORT = new LinkedHashMap<>();

  static {
    SUPPORT.put("tenure_days", new double[] {30, 3000});
    SUPPORT.put("clv", new double[] {0, 20_000});
  }

  private static Dataset<Row> rows() {
    StructType s = new StructType().add("customer_id", DataTypes.StringType).add("policy", DataTypes.StringType)
        .add("tenure_days", DataTypes.IntegerType).add("clv", DataTypes.DoubleType)
        .add(ScoreCols.TEAM, DataTypes.StringType).add(ScoreCols.RISK_FLAG, DataTypes.IntegerType)
        .add(ScoreCols.PAST_GRANTS, DataTypes.LongType).add(ScoreCols.UPLIFT_RETENTION, DataTypes.DoubleType)
        .add(ScoreCols.UPLIFT_REFERRALS, DataTypes.DoubleType).add(ScoreCols.REFERRAL_VALUE, DataTypes.DoubleType)
        .add(ScoreCols.EXPECTED_COST, DataTypes.DoubleType);
    return TestSpark.session().createDataFrame(List.of(
        RowFactory.create("typical", "P", 400, 5_000.0, "T", 0, 0L, 0.05, 0.0, 100.0, 20.0),
        // Ten times the longest tenure and a lifetime value no requester had.
        RowFactory.create("far", "P", 30_000, 2_000_000.0, "T", 0, 0L, 0.05, 0.0, 100.0, 20.0),
        RowFactory.create("new", "P", 3, 5_000.0, "T", 0, 0L, 0.05, 0.0, 100.0, 20.0),
        RowFactory.create("missing", "P", null, null, "T", 0, 0L, 0.05, 0.0, 100.0, 20.0)), s);
  }

  private static Map<String, Row> recommend(boolean flexOutside) {
    // No share ceiling: four rows are not a policy's requests.
    LeewayConfig c = LeewayConfig.load(new File("conf/local.conf"), Map.of("leeway.score.flex_floor", "10",
        "leeway.score.flex_outside_support", String.valueOf(flexOutside),
        "leeway.score.sporadic_cap.max_share_flexed", "{ default = -1 }"));
    Dataset<Row> scored = rows()
        .withColumn(ScoreCols.EXPECTED_REQUESTS, org.apache.spark.sql.functions.lit(0.001))
        .withColumn(ScoreCols.OUTSIDE_SUPPORT, Scoring.outsideSupport(SUPPORT));
    Map<String, Row> out = new LinkedHashMap<>();
    for (Row r : new Recommender(c.score()).apply(scored).collectAsList()) {
      out.put(r.getAs("customer_id"), r);
    }
    return out;
  }

  private static List<String> list(Row r, String col) {
    return r.getList(r.fieldIndex(col));
  }

  @Test
  void aCustomerFarOutsideTheTrainingSupportIsFlaggedAndNotFlexed() {
    Map<String, Row> out = recommend(false);
    assertEquals(List.of("tenure_days", "clv"), list(out.get("far"), ScoreCols.OUTSIDE_SUPPORT));
    assertEquals(List.of("tenure_days"), list(out.get("new"), ScoreCols.OUTSIDE_SUPPORT));
    assertEquals(List.of(), list(out.get("typical"), ScoreCols.OUTSIDE_SUPPORT));
    assertEquals(List.of(), list(out.get("missing"), ScoreCols.OUTSIDE_SUPPORT), "a missing value is not outside");

    assertEquals(Recommender.FLEX, out.get("typical").getAs(ScoreCols.RECOMMENDATION));
    assertEquals(Recommender.HOLD_LINE, out.get("far").getAs(ScoreCols.RECOMMENDATION));
    assertTrue(list(out.get("far"), ScoreCols.REASON_CODES).contains(Recommender.OUTSIDE_SUPPORT),
        list(out.get("far"), ScoreCols.REASON_CODES).toString());
  }

  @Test
  void flexingOnAnExtrapolationCanBeAllowedAndTheFlagStays() {
    Map<String, Row> out = recommend(true);
    assertEquals(Recommender.FLEX, out.get("new").getAs(ScoreCols.RECOMMENDATION));
    assertEquals(List.of("tenure_days"), list(out.get("new"), ScoreCols.OUTSIDE_SUPPORT));
  }
}
