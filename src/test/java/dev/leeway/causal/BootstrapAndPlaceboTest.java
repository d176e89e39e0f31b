package dev.leeway.causal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import scala.Tuple2;

/** The Poisson bootstrap does not depend on partitioning; the placebo keeps each policy's number of grants. */
class BootstrapAndPlaceboTest {
  private static Dataset<PoissonBootstrap.Input> inputs(int partitions) {
    List<PoissonBootstrap.Input> rows = new ArrayList<>();
    for (int i = 0; i < 300; i++) {
      PoissonBootstrap.Input in = new PoissonBootstrap.Input();
      in.setKey(i % 3 == 0 ? "A" : "B");
      in.setId("X" + i);
      in.setValues(new double[] {1.0, i});
      rows.add(in);
    }
    return TestSpark.session().createDataset(rows, Encoders.bean(PoissonBootstrap.Input.class)).repartition(partitions);
  }

  private static Map<String, double[]> boot(int partitions, long seed) {
    Map<String, double[]> out = new TreeMap<>();
    for (Tuple2<String, double[]> t : inputs(partitions)
        .groupByKey((MapFunction<PoissonBootstrap.Input, String>) PoissonBootstrap.Input::getKey, Encoders.STRING())
        .agg(new PoissonBootstrap(50, 2, seed).toColumn()).collectAsList()) {
      out.put(t._1(), t._2());
    }
    return out;
  }

  @Test
  void replicatesAreTheSameWhateverThePartitioning() {
    Map<String, double[]> one = boot(1, 7);
    Map<String, double[]> many = boot(7, 7);
    assertArrayEquals(one.get("A"), many.get("A"), 1e-9, "cell A");
    assertArrayEquals(one.get("B"), many.get("B"), 1e-9, "cell B");
    assertEquals(100.0, one.get("A")[0], 1e-12, "slot 0 holds the plain sums: 100 rows in A");
    assertNotEquals(one.get("A")[2], one.get("A")[4], "replicates differ from each other");
    assertNotEquals(one.get("A")[2], boot(1, 8).get("A")[2], "another seed draws other weights");
  }

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
