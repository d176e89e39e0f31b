package dev.leeway.uplift;

import static org.apache.spark.sql.functions.ceil;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.first;
import static org.apache.spark.sql.functions.lag;
import static org.apache.spark.sql.functions.lead;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.min;
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
 * with the data reaches the driver. Rankings sort by score (highest first) and break ties by the tie-break columns
 * (customer id, then request id), so results are deterministic. The perfect rankings group ties as scikit-uplift
 * does (points only where the score changes).
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

  /** Depths reported as uplift@p. */
  public static final double[] DEPTHS = {0.1, 0.2, 0.3};
  /** Stored curve points per curve (plus the origin). */
  public static final int CURVE_POINTS = 100;

  private UpliftMetrics() {}

  /** Metrics per key: n, treated, qini, auuc, uplift_at_10/20/30, and the reference areas. */
  public record Output(Dataset<Row> metrics, Dataset<Row> curves) {}

  /**
   * @param scored one row per unit and ranking, with {@code keys} (e.g. split, outcome, policy, ranking),
   *     {@link #SCORE}, {@link #T} (0/1) and {@link #Y} (a 0/1 outcome or a count)
   * @param tieBreak columns ordering units with equal scores (ascending)
   */
  public static Output evaluate(Dataset<Row> scored, List<String> keys, List<String> tieBreak) {
    Column[] keyCols = keys.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
    Dataset<Row> model = points(scored, keys, tieBreak, false);
    Dataset<Row> modelArea = area(model, keys);

    // Perfect rankings: Qini's ranks treated responders first and control responders last (score y(2t - 1));
    // the uplift curve's follows scikit-uplift's perfect_uplift_curve. Both are computed per key once.
    WindowSpec whole = Window.partitionBy(keyCols);
    Column responded = col(Y).gt(0).cast("int");
    Dataset<Row> perfectQini = scored.withColumn(SCORE, col(Y).multiply(col(T).multiply(2).minus(1)));
    Column controlResponders = sum(when(col(T).equalTo(0), responded).otherwise(0)).over(whole);
    Column treatedNonResponders = sum(when(col(T).equalTo(1), lit(1).minus(responded)).otherwise(0)).over(whole);
    Dataset<Row> perfectUplift = scored.withColumn(SCORE, when(responded.equalTo(col(T)), 2).otherwise(0)
        .plus(when(controlResponders.gt(treatedNonResponders), responded).otherwise(col(T))));
    Dataset<Row> qiniPerfect = area(points(perfectQini, keys, List.of(), true), keys)
        .select(concat(keyCols, col("area_q").as("perfect_area_q")));
    Dataset<Row> upliftPerfect = area(points(perfectUplift, keys, List.of(), true), keys)
        .select(concat(keyCols, col("area_u").as("perfect_area_u")));

    List<Column> depthCols = new ArrayList<>();
    for (double p : DEPTHS) {
      String name = "uplift_at_" + Math.round(p * 100);
      // The first point at or past depth p: treated rate minus control rate there.
      depthCols.add(min(when(col("x").geq(ceil(col("n").multiply(p))), col("x"))).as("__x_" + name));
    }
    Dataset<Row> depthX = model.groupBy(keyCols).agg(depthCols.get(0), depthCols.subList(1, depthCols.size())
        .toArray(Column[]::new));
    String[] k = keys.toArray(String[]::new);
    Dataset<Row> metrics = modelArea.join(qiniPerfect, k).join(upliftPerfect, k).join(depthX, k)
        // Null when the perfect ranking does no better than random (a cell without responders, say).
        .withColumn("qini", try_divide(col("area_q").minus(col("baseline_q")),
            col("perfect_area_q").minus(col("baseline_q"))))
        .withColumn("auuc", try_divide(col("area_u").minus(col("baseline_u")),
            col("perfect_area_u").minus(col("baseline_u"))));
    for (double p : DEPTHS) {
      String name = "uplift_at_" + Math.round(p * 100);
      Dataset<Row> at = model.select(concat(keyCols, col("x").as("__x_" + name), col("rate_diff").as(name)));
      List<String> on = new ArrayList<>(keys);
      on.add("__x_" + name);
      metrics = metrics.join(at, on.toArray(String[]::new), "left")
          .drop("__x_" + name);
    }

    // Curve points: the origin and the first point in each 1/CURVE_POINTS of the depth.
    Column bucket = ceil(col("x").multiply(CURVE_POINTS).divide(col("n")));
    Column prevBucket = ceil(col("x").minus(1).multiply(CURVE_POINTS).divide(col("n")));
    Dataset<Row> curves = model.filter(bucket.notEqual(prevBucket))
        .select(concat(keyCols, col("x").as("depth"), col("x").divide(col("n")).as("fraction"), col("q").as("qini"),
            col("u").as("uplift_gain"), col("rate_diff")));
    return new Output(metrics.drop("area_q", "area_u", "baseline_q", "baseline_u", "perfect_area_q",
        "perfect_area_u"), curves);
  }

  private static Column[] concat(Column[] keys, Column... more) {
    Column[] out = new Column[keys.length + more.length];
    System.arraycopy(keys, 0, out, 0, keys.length);
    System.arraycopy(more, 0, out, keys.length, more.length);
    return out;
  }

  /**
   * Cumulative curve points per key, ordered by score (desc) and the tie-break; with {@code groupTies} only the
   * last unit of each run of equal scores is a point.
   */
  static Dataset<Row> points(Dataset<Row> scored, List<String> keys, List<String> tieBreak, boolean groupTies) {
    Column[] keyCols = keys.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
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
        .withColumn("n", count(lit(1)).over(whole));
    if (groupTies) {
      d = d.withColumn("__next", lead(col(SCORE), 1).over(ordered))
          .filter(col("__next").isNull().or(col("__next").notEqual(col(SCORE)))).drop("__next");
    }
    Column nc = col("nc");
    Column rt = when(col("nt").gt(0), col("yt").divide(col("nt"))).otherwise(0.0);
    Column rc = when(nc.gt(0), col("yc").divide(nc)).otherwise(0.0);
    return d.withColumn("q", col("yt").minus(when(nc.gt(0), col("yc").multiply(col("nt")).divide(nc)).otherwise(0.0)))
        .withColumn("rate_diff", rt.minus(rc))
        .withColumn("u", rt.minus(rc).multiply(col("x")))
        .select(concat(keyCols, col("x"), col("n"), col("treated_rows"), col("q"), col("u"), col("rate_diff")));
  }

  /** Trapezoid areas under the Qini and uplift curves from the origin, and the random line's areas. */
  static Dataset<Row> area(Dataset<Row> points, List<String> keys) {
    Column[] keyCols = keys.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new);
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
