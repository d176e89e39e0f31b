package dev.leeway.causal;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pow;
import static org.apache.spark.sql.functions.struct;

import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Aggregates scored rows into {@link AttMoments} per cell and outcome, in two Spark aggregations: the rows of each
 * customer first (their outcome windows overlap, so they are one cluster), then the customers of each cell. Only
 * matured rows count; the caller passes the rows the estimates are for (inside the overlap).
 */
public final class CellMoments {
  public static final String OUTCOME = "outcome";
  private static final String CUSTOMER = "__customer";
  private static final String[] V = {"v_t", "v_c", "v_ty", "v_cy", "v_cw", "v_cwy", "v_a"};

  private CellMoments() {}

  /**
   * One row per cell and outcome with the moments' sums. {@code rows} hold the customer, the treatment (0/1), the
   * clipped propensity {@code eCol}, each outcome's column (null when immature) with its mu_0 and mu_1, and the cell
   * key columns (policy, segment, team).
   */
  public static Dataset<Row> aggregate(Dataset<Row> rows, String treatmentCol, String eCol,
      List<EffectOutcome> outcomes, List<Level> levels) {
    List<Column> perOutcome = new ArrayList<>();
    for (EffectOutcome o : outcomes) {
      perOutcome.add(struct(lit(o.name()).as(OUTCOME), col(o.column()).cast("double").as("y"),
          col(o.mu(0)).as("mu0"), col(o.mu(1)).as("mu1")));
    }
    Dataset<Row> longForm = rows
        .select(col(Cols.POLICY), col(FeatureCols.SEGMENT), col(Cols.TEAM), col(Cols.CUSTOMER_ID).as(CUSTOMER),
            col(treatmentCol).cast("double").as("t"), col(eCol).as("e"),
            explode(array(perOutcome.toArray(Column[]::new))).as("o"))
        .select(col(Cols.POLICY), col(FeatureCols.SEGMENT), col(Cols.TEAM), col(CUSTOMER), col("t"), col("e"),
            col("o." + OUTCOME).as(OUTCOME), col("o.y").as("y"), col("o.mu0").as("mu0"), col("o.mu1").as("mu1"))
        .filter(col("y").isNotNull());
    Column t = col("t");
    Column c = lit(1.0).minus(t);
    Column y = col("y");
    Column e = col("e");
    Column w = e.divide(lit(1.0).minus(e));
    Column r0 = y.minus(col("mu0"));
    Column[] v = {t, c, t.multiply(y), c.multiply(y), c.multiply(w), c.multiply(w).multiply(y),
        t.multiply(r0).minus(c.multiply(w).multiply(r0))};
    Column sigma = pow(y.minus(t.multiply(col("mu1")).plus(c.multiply(col("mu0")))), 2);
    Column nu = t.multiply(lit(1.0).plus(e)).divide(lit(1.0).minus(e)).minus(c.multiply(w).multiply(w));

    List<String> keys = new ArrayList<>(Level.KEY_NAMES);
    keys.add(OUTCOME);
    return ClusteredSums.aggregate(Level.expand(longForm, levels), keys, col(CUSTOMER), List.of(V), List.of(v),
        List.of("sigma", "nu"), List.of(sigma, nu));
  }

  /** Reads one collected row of {@link #aggregate} back into its moments. */
  public static AttMoments read(Row r) {
    double[][] sm = ClusteredSums.read(r, List.of(V));
    return new AttMoments(((Number) r.getAs("rows")).longValue(), ((Number) r.getAs("clusters")).longValue(),
        sm[0], sm[1], ClusteredSums.number(r, "sigma"), ClusteredSums.number(r, "nu"));
  }
}
