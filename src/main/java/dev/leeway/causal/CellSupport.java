package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import java.io.Serializable;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Which population a cell's estimates are for: its requests and grants, and those left out for want of comparable
 * denied requests (propensity outside the overlap).
 */
public record CellSupport(long rows, long granted, long rowsOutsideOverlap, long grantedOutsideOverlap)
    implements Serializable {

  /** The share of the cell's grants the ATT is for (null without grants). */
  public Double shareOfGrantsCovered() {
    return granted == 0 ? null : (double) (granted - grantedOutsideOverlap) / granted;
  }

  /** Per cell: rows, grants, and both outside the overlap (any outcome, any maturity). One aggregation. */
  static Dataset<Row> aggregate(Dataset<Row> rows, String overlapCol, String treatmentCol, List<Level> levels) {
    Column outside = when(col(overlapCol), 0L).otherwise(1L);
    return Level.expand(rows.select(col(Cols.POLICY), col(FeatureCols.SEGMENT), col(Cols.TEAM), col(overlapCol),
            col(treatmentCol).cast("long").as("__t")), levels)
        .groupBy(Level.keys())
        .agg(sum(lit(1L)).as("rows"), sum(col("__t")).as("granted"), sum(outside).as("rows_outside_overlap"),
            sum(outside.multiply(col("__t"))).as("granted_outside_overlap"));
  }

  static CellSupport read(Row r) {
    return new CellSupport(r.<Long>getAs("rows"), r.<Long>getAs("granted"), r.<Long>getAs("rows_outside_overlap"),
        r.<Long>getAs("granted_outside_overlap"));
  }
}
