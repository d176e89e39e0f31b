package dev.leeway.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.TestSpark;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * Balance uses one denominator (the granted arm's standard deviation before weighting) before and after weighting,
 * and a feature constant in both arms is balanced, whatever floating-point noise its sums carry.
 */
class BalanceTest {
  @Test
  void smdUsesTheGrantedArmsStandardDeviation() {
    assertEquals(0.5 / Math.sqrt(0.25), Balance.smd(1.0, 0.5, 0.25, 0.3, 1e-6), 1e-12, "difference over sd_T");
    assertEquals(0.0, Balance.smd(1234.5678, 1234.5678 + 1e-10, 1e-20, 1e-20, 1e-6), 0,
        "constant in both arms up to noise: balanced");
    assertEquals(1.0 / Math.sqrt(0.25), Balance.smd(1.0, 0.0, 0.0, 0.25, 1e-6), 1e-12,
        "constant among the granted but not the denied: both arms' sd");
  }

  @Test
  void aConstantFeatureIsBalancedOnSparkSumsAndWeightingKeepsTheDenominator() {
    StructType s = new StructType().add("policy", DataTypes.StringType).add("segment", DataTypes.StringType)
        .add("team", DataTypes.StringType).add("t", DataTypes.DoubleType).add("e", DataTypes.DoubleType)
        .add("clv", DataTypes.DoubleType).add("tenure", DataTypes.DoubleType).add("region", DataTypes.StringType)
        .add("y", DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      double t = i % 2;
      double tenure = t == 1 ? 5 + (i % 7) : 2 + (i % 5);
      double e = t == 1 ? 0.7 : 0.3 + 0.05 * (i % 5);
      // A CLV column the export fills with one value; 0.1 is not exact in binary, so its sums carry noise.
      rows.add(RowFactory.create("P", "CONSUMER", "T1", t, e, 1234.1, tenure, i % 3 == 0 ? "NORTH" : "SOUTH",
          i % 4 < 2 ? 1.0 : null));
    }
    List<Balance.FeatureBalance> out = new Balance(List.of("clv", "tenure"), Map.of("region", List.of("NORTH")),
        1e-6).compute(TestSpark.session().createDataFrame(rows, s), "t", "e", List.of(Level.POLICY),
        List.of(new AbstractMap.SimpleEntry<>(90, "y")));
    Balance.FeatureBalance clv = out.stream().filter(b -> b.feature().equals("clv") && b.days() == 90).findFirst()
        .orElseThrow();
    assertEquals(0.0, clv.smdBefore(), 0, "constant CLV before weighting");
    assertEquals(0.0, clv.smdAfter(), 0, "constant CLV after weighting");
    Balance.FeatureBalance tenure = out.stream().filter(b -> b.feature().equals("tenure")).findFirst().orElseThrow();
    assertTrue(Math.abs(tenure.smdBefore()) > 1, "tenure differs between arms: " + tenure);
    double sdT = Math.sqrt(tenure.smdBefore() == 0 ? 1 : (tenure.meanTreated() - tenure.meanControl())
        / tenure.smdBefore());
    assertEquals((tenure.meanTreated() - tenure.meanControlWeighted()) / (sdT * sdT), tenure.smdAfter(), 1e-9,
        "after weighting, the same denominator: " + tenure);
    assertEquals(100, tenure.treated(), "the granted rows mature at 90 days: half of them");
    assertFalse(out.stream().anyMatch(b -> b.feature().equals("region=OTHER") && b.treated() != 100),
        "levels beyond the kept ones count as OTHER");
  }
}
