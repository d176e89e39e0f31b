package dev.leeway.causal;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Aggregates scored rows into {@link AttSums} per cell and outcome: one Spark aggregation over the rows in long
 * form (a row per request, outcome and level). Only the mature rows inside the overlap region count.
 */
public final class CellStats {
  public static final String OUTCOME = "outcome";
  static final String[] SUM_COLUMNS = {"n", "nT", "sumTY", "sumTY2", "nC", "sumCY", "sumCY2", "sumCw", "sumCwY",
      "sumCw2", "sumCw2Y", "sumCw2Y2", "sumE", "sumEpsi", "sumE2psi", "sumE2psi2", "sumE2"};

  private CellStats() {}

  /**
   * {@code rows} hold the treatment (0/1), the clipped propensity {@code eCol}, an overlap flag, each outcome's
   * column and its mu_0 and mu_1 predictions, and the cell key columns (policy, segment, team).
   */
  public static Dataset<Row> sums(Dataset<Row> rows, String treatmentCol, String eCol, String overlapCol,
      List<EffectOutcome> outcomes, List<Level> levels) {
    List<Column> perOutcome = new ArrayList<>();
    for (EffectOutcome o : outcomes) {
      perOutcome.add(struct(lit(o.name()).as(OUTCOME), col(o.column()).cast("double").as("y"),
          col(o.mu(0)).as("mu0"), col(o.mu(1)).as("mu1")));
    }
    Dataset<Row> longForm = rows.filter(col(overlapCol))
        .select(col("policy"), col("segment"), col("team"), col(treatmentCol).cast("double").as("t"),
            col(eCol).as("e"), explode(array(perOutcome.toArray(Column[]::new))).as("o"))
        .select(col("policy"), col("segment"), col("team"), col("t"), col("e"), col("o." + OUTCOME).as(OUTCOME),
            col("o.y").as("y"), col("o.mu0").as("mu0"), col("o.mu1").as("mu1"))
        .filter(col("y").isNotNull());
    Column t = col("t");
    Column c = lit(1.0).minus(t);
    Column y = col("y");
    Column e = col("e");
    Column w = e.divide(lit(1.0).minus(e));
    Column psi = Psi.of(t, y, e, col("mu0"), col("mu1"));
    Dataset<Row> terms = Level.expand(longForm, levels)
        .withColumn("w", w).withColumn("psi", psi);
    Column wc = c.multiply(col("w"));
    Column[] aggs = {
        sum(lit(1.0)), sum(t), sum(t.multiply(y)), sum(t.multiply(y).multiply(y)),
        sum(c), sum(c.multiply(y)), sum(c.multiply(y).multiply(y)),
        sum(wc), sum(wc.multiply(y)), sum(wc.multiply(col("w"))), sum(wc.multiply(col("w")).multiply(y)),
        sum(wc.multiply(col("w")).multiply(y).multiply(y)),
        sum(e), sum(e.multiply(col("psi"))), sum(e.multiply(e).multiply(col("psi"))),
        sum(e.multiply(e).multiply(col("psi")).multiply(col("psi"))), sum(e.multiply(e))};
    for (int i = 0; i < aggs.length; i++) {
      aggs[i] = aggs[i].as(SUM_COLUMNS[i]);
    }
    List<Column> group = new ArrayList<>(List.of(Level.keys()));
    group.add(col(OUTCOME));
    return terms.groupBy(group.toArray(Column[]::new)).agg(aggs[0], java.util.Arrays.copyOfRange(aggs, 1, aggs.length));
  }

  /** Rows of a cell and rows outside the overlap region (any outcome, any maturity). */
  public static Dataset<Row> support(Dataset<Row> rows, String overlapCol, String treatmentCol, List<Level> levels) {
    return Level.expand(rows.select(col("policy"), col("segment"), col("team"), col(overlapCol), col(treatmentCol)),
            levels)
        .groupBy(Level.keys())
        .agg(sum(lit(1L)).as("rows"), sum(when(col(overlapCol), 0L).otherwise(1L)).as("rows_outside_overlap"),
            sum(col(treatmentCol).cast("long")).as("granted"));
  }

  /** Reads one collected row of {@link #sums} back into its statistics. */
  public static AttSums read(Row r) {
    double[] v = new double[SUM_COLUMNS.length];
    for (int i = 0; i < v.length; i++) {
      v[i] = ((Number) r.getAs(SUM_COLUMNS[i])).doubleValue();
    }
    return new AttSums(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8], v[9], v[10], v[11], v[12], v[13],
        v[14], v[15], v[16]);
  }
}
