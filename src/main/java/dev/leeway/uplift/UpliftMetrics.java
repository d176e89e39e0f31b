package dev.leeway.uplift;

import static org.apache.spark.sql.functions.ceil;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.lead;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.try_divide;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;

/**
 * Uplift ranking metrics as the project pins them (scikit-uplift's definitions): the Qini curve
 * Q(k) = y_t(k) - y_c(k) n_t(k) / n_c(k), the uplift (gain) curve U(k) = (y_t/n_t - y_c/n_c)(n_t + n_c), the Qini
 * coefficient and AUUC (area between the curve and the random line over the same area for the perfect ranking),
 * and uplift@p (treated minus control response rate in the top p, both arms ranked together).
 *
 * <p>Everything is computed in Spark: curves are cumulative sums over a window per curve, so nothing that grows
 * with the data reaches the driver. Ties in the score are handled as scikit-uplift 0.5.1 handles them: a curve has
 * a point only where the sorted score changes ({@code qini_curve}, {@code uplift_curve}), so the areas and stored
 * curve points do not depend on the order of tied units; uplift@p takes the first {@code int(n p)} units
 * ({@code uplift_at_k(strategy='overall')}), breaking ties by the tie-break columns (customer id, then request id),
 * and is null when that top holds no unit of one arm (scikit-uplift's mean of an empty slice) or no unit at all.
 *
 * <p>For a count outcome the curves, the Qini coefficient and uplift@p apply the same formulas to the counts; the
 * perfect uplift ranking (defined by scikit-uplift for a 0/1 outcome only) is built from "responded" = y &gt; 0.
 */
public final class UpliftMetrics {
  /** Columns of the input: one row per held-out request and ranking. */
  public static final String SCORE = "score";
  public static final String T = "t";
  public static final String Y = "y";
  /**
   * Optional weight column: 1 for a randomised experiment (the pinned definitions exactly); on observational data
   * the inverse propensity of the row's arm, so that granted and denied rows compared within the top k stand for
   * the same customers.
   */
  public static final String W = "w";

  /** Metric columns of the output. */
  public static final String QINI = "qini";
  public static final String AUUC = "auuc";

  /** Depths reported as uplift@p, ascending. */
  public static final double[] DEPTHS = {0.1, 0.2, 0.3};
  /** Stored curve points per curve (plus the origin). */
  public static final int CURVE_POINTS = 100;

  private UpliftMetrics() {}

  /** The column holding uplift at depth {@code p} (a fraction): uplift_at_10 for 0.1. */
  public static String upliftAt(double p) {
    return "uplift_at_" + Math.round(p * 100);
  }

  /** Metrics per key (n, treated, qini, auuc, uplift_at_10/20/30) and curve points per key. */
  public record Output(Dataset<Row> metrics, Dataset<Row> curves) {}

  /**
   * @param scored one row per unit and ranking, with {@code keys} (e.g. split, outcome, policy, ranking),
   *     {@link #SCORE}, {@link #T} (0/1) and {@link #Y} (a 0/1 outcome or a count)
   * @param tieBreak columns ordering units with equal scores (ascending), for uplift@p
   */
  public static Output evaluate(Dataset<Row> scored, List<String> keys, List<String> tieBreak) {
    Column[] keyCols = keyColumns(keys);
    String[] k = keys.toArray(String[]::new);
    Dataset<Row> units = points(scored, keys, tieBreak);
    Dataset<Row> model = units.filter(col(TIE_END));

    Dataset<Row> qiniPerfect = area(points(perfectQiniRanking(scored), keys, List.of()).filter(col(TIE_END)), keys)
        .select(concat(keyCols, col("area_q").as("perfect_area_q")));
    Dataset<Row> upliftPerfect = area(points(perfectUpliftRanking(scored, keys), keys, List.of())
        .filter(col(TIE_END)), keys).select(concat(keyCols, col("area_u").as("perfect_area_u")));

    // uplift@p: the unit at depth int(n p) (n p in double arithmetic, as Python's int(n_samples * k)).
    List<Column> depthCols = new ArrayList<>();
    for (double p : DEPTHS) {
      depthCols.add(max(when(col("x").equalTo(floor(col("n").multiply(p))), col("top_diff"))).as(upliftAt(p)));
    }
    Dataset<Row> atDepth = units.groupBy(keyCols).agg(depthCols.get(0), depthCols.subList(1, depthCols.size())
        .toArray(Column[]::new));
    Dataset<Row> metrics = area(model, keys).join(qiniPerfect, k).join(upliftPerfect, k).join(atDepth, k)
        // Null when the perfect ranking does no better than random (a cell without responders, say).
        .withColumn(QINI, try_divide(col("area_q").minus(col("baseline_q")),
            col("perfect_area_q").minus(col("baseline_q"))))
        .withColumn(AUUC, try_divide(col("area_u").minus(col("baseline_u")),
            col("perfect_area_u").minus(col("baseline_u"))));
    List<String> order = new ArrayList<>(keys);
    order.addAll(List.of("n", "treated", QINI, AUUC));
    for (double p : DEPTHS) {
      order.add(upliftAt(p));
    }

    // Curve points: the first point (end of a tie group) in each 1/CURVE_POINTS of the depth.
    Column bucket = ceil(col("x").multiply(CURVE_POINTS).divide(col("n")));
    Column prevBucket = ceil(col("__prev_x").multiply(CURVE_POINTS).divide(col("n")));
    Dataset<Row> curves = model.withColumn("__prev_x", lag(col("x"), 1, 0L).over(Window.partitionBy(keyCols)
            .orderBy(col("x"))))
        .filter(bucket.notEqual(prevBucket))
        .select(concat(keyCols, col("x").as("depth"), col("x").divide(col("n")).as("fraction"), col("q").as("qini"),
            col("u").as("uplift_gain"), col("rate_diff")));
    return new Output(metrics.select(order.stream().map(org.apache.spark.sql.functions::col)
        .toArray(Column[]::new)), curves);
  }

  /** The perfect Qini ranking: treated responders first, control responders last (score y(2t - 1)). */
  static Dataset<Row> perfectQiniRanking(Dataset<Row> scored) {
    return scored.withColumn(SCORE, col(Y).cast("double").multiply(when(col(T).gt(0.5), 1.0).otherwise(-1.0)));
  }

  /**
   * The perfect uplift ranking, scikit-uplift's {@code perfect_uplift_curve}: score 2 [responded = t] plus
   * "responded" when control responders outnumber treated non-responders, else t (per key).
   */
  static Dataset<Row> perfectUpliftRanking(Dataset<Row> scored, List<String> keys) {
    WindowSpec whole = Window.partitionBy(keyColumns(keys));
    Column responded = col(Y).gt(0).cast("int");
    Column t = when(col(T).gt(0.5), 1).otherwise(0);
    Column controlResponders = sum(when(t.equalTo(0), responded).otherwise(0)).over(whole);
    Column treatedNonResponders = sum(when(t.equalTo(1), lit(1).minus(responded)).otherwise(0)).over(whole);
    return scored.withColumn(SCORE, when(responded.equalTo(t), 2).otherwise(0)
        .plus(when(controlResponders.gt(treatedNonResponders), responded).otherwise(t)).cast("double"));
  }

  static Column[] keyColumns(List<String> keys) {
    return keys.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
  }

  private static Column[] concat(Column[] keys, Column... more) {
    Column[] out = new Column[keys.length + more.length];
    System.arraycopy(keys, 0, out, 0, keys.length);
    System.arraycopy(more, 0, out, keys.length, more.length);
    return out;
  }

  /** True on the last unit of a run of equal scores: scikit-uplift's curves have a point only there. */
  static final String TIE_END = "tie_end";

  /**
   * Cumulative curve values at every unit per key, ordered by score (desc) and the tie-break; {@link #TIE_END}
   * marks the units that are curve points ({@code x} is the depth, {@code top_diff} the treated minus control
   * rate over the first x units, null when an arm is empty there).
   */
  static Dataset<Row> points(Dataset<Row> scored, List<String> keys, List<String> tieBreak) {
    Column[] keyCols = keyColumns(keys);
    List<Column> order = new ArrayList<>();
    order.add(col(SCORE).desc());
    tieBreak.forEach(c -> order.add(col(c).asc()));
    WindowSpec ordered = Window.partitionBy(keyCols).orderBy(order.toArray(Column[]::new));
    WindowSpec running = ordered.rowsBetween(Window.unboundedPreceding(), Window.currentRow());
    WindowSpec whole = Window.partitionBy(keyCols);
    Column w = List.of(scored.columns()).contains(W) ? col(W).cast("double") : lit(1.0);
    Dataset<Row> d = scored
        .withColumn("t01", when(col(T).gt(0.5), 1L).otherwise(0L))
        .withColumn("w_t", when(col(T).gt(0.5), w).otherwise(0.0))
        .withColumn("w_c", when(col(T).gt(0.5), 0.0).otherwise(w))
        .withColumn("y_d", col(Y).cast("double"))
        .withColumn("x", count(lit(1)).over(running))
        .withColumn("treated_rows", sum("t01").over(running))
        .withColumn("nt", sum("w_t").over(running))
        .withColumn("nc", sum("w_c").over(running))
        .withColumn("yt", sum(col("y_d").multiply(col("w_t"))).over(running))
        .withColumn("yc", sum(col("y_d").multiply(col("w_c"))).over(running))
        .withColumn("n", count(lit(1)).over(whole))
        .withColumn("__next", lead(col(SCORE), 1).over(ordered));
    Column nc = col("nc");
    Column rt = when(col("nt").gt(0), col("yt").divide(col("nt"))).otherwise(0.0);
    Column rc = when(nc.gt(0), col("yc").divide(nc)).otherwise(0.0);
    return d.withColumn("q", col("yt").minus(when(nc.gt(0), col("yc").multiply(col("nt")).divide(nc)).otherwise(0.0)))
        .withColumn("rate_diff", rt.minus(rc))
        .withColumn("u", rt.minus(rc).multiply(col("x")))
        .withColumn("top_diff", when(col("nt").gt(0).and(nc.gt(0)), rt.minus(rc)))
        .withColumn(TIE_END, col("__next").isNull().or(col("__next").notEqual(col(SCORE))))
        .select(concat(keyCols, col("x"), col("n"), col("treated_rows"), col("q"), col("u"), col("rate_diff"),
            col("top_diff"), col(TIE_END)));
  }

  /** Trapezoid areas under the Qini and uplift curves from the origin, and the random line's areas. */
  static Dataset<Row> area(Dataset<Row> points, List<String> keys) {
    Column[] keyCols = keyColumns(keys);
    WindowSpec ordered = Window.partitionBy(keyCols).orderBy(col("x"));
    Column prevX = lag(col("x"), 1, 0L).over(ordered);
    Column prevQ = lag(col("q"), 1, 0.0).over(ordered);
    Column prevU = lag(col("u"), 1, 0.0).over(ordered);
    Dataset<Row> d = points.withColumn("__dx", col("x").minus(prevX))
        .withColumn("__tq", col("__dx").multiply(col("q").plus(prevQ)).divide(2))
        .withColumn("__tu", col("__dx").multiply(col("u").plus(prevU)).divide(2))
        .withColumn("__last", col("x").equalTo(col("n")));
    return d.groupBy(keyCols).agg(
        first("n").as("n"),
        max(when(col("__last"), col("treated_rows"))).as("treated"),
        sum("__tq").as("area_q"), sum("__tu").as("area_u"),
        max(when(col("__last"), col("n").multiply(col("q")).divide(2))).as("baseline_q"),
        max(when(col("__last"), col("n").multiply(col("u")).divide(2))).as("baseline_u"));
  }
}
