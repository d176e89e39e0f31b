package dev.leeway.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The placebo keeps each policy's number of grants and is a deterministic permutation. */
class PlaceboTest {
  @Test
  void placeboPermutesTreatmentWithinPolicyDeterministically() {
    StructType s = new StructType().add("exception_id", DataTypes.StringType).add("policy", DataTypes.StringType)
        .add("t", DataTypes.DoubleType);
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      rows.add(RowFactory.create("X" + i, i < 120 ? "P1" : "P2", i % 4 == 0 ? 1.0 : 0.0));
    }
    Dataset<Row> d = TestSpark.session().createDataFrame(rows, s);
    Dataset<Row> shuffled = Placebo.shuffleWithinPolicy(d, "exception_id", "t", "pt", 3).cache();
    assertEquals(200, shuffled.count(), "every row once");
    for (String p : List.of("P1", "P2")) {
      assertEquals(d.filter("policy = '" + p + "' and t = 1").count(),
          shuffled.filter("policy = '" + p + "' and pt = 1").count(), p + " keeps its number of grants");
    }
    long moved = shuffled.filter("t != pt").count();
    assertNotEquals(0L, moved, "the treatment moved");
    List<Row> again = Placebo.shuffleWithinPolicy(d, "exception_id", "t", "pt", 3).orderBy("exception_id")
        .select("pt").collectAsList();
    assertEquals(shuffled.orderBy("exception_id").select("pt").collectAsList(), again, "same seed, same permutation");
  }
}
