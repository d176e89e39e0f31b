package dev.leeway.uplift;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.max;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.try_divide;
import static org.apache.spark.sql.functions.when;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.StructType;

/**
 * Uplift ranking metrics as the project pins them (scikit-uplift's definitions): the Qini curve
 * Q(k) = y_t(k) - y_c(k) n_t(k) / n_c(k), the uplift (gain) curve U(k) = (y_t/n_t - y_c/n_c)(n_t + n_c), the Qini
 * coefficient and AUUC (area between the curve and the random line over the same area for the perfect ranking),
 * and uplift@p (treated minus control response rate in the top p, both arms ranked together).
 *
 * <p>Everything is computed in Spark, in one ordered pass per ranking ({@link CurveScan}): the units of each key
 * are sorted once and their running sums give every curve point, area and depth; the perfect rankings' units are
 * summed per score first, since only the ends of their tie groups are points. The driver receives one count per
 * key, nothing that grows with the rows. Ties in the score are handled as scikit-uplift 0.5.1 handles them: a curve has
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
    return evaluate(scored, keys, tieBreak, UnaryOperator.identity());
  }

  /**
   * As {@link #evaluate(Dataset, List, List)}, with {@code store} applied to the ordered pass's output (metrics and
   * curve points of every key, far fewer rows than units) so that the metrics and the curves read it once.
   */
  public static Output evaluate(Dataset<Row> scored, List<String> keys, List<String> tieBreak,
      UnaryOperator<Dataset<Row>> store) {
    Column[] keyCols = keyColumns(keys);
    // Units per key (one small row per key): they fix the depth of uplift@p before the ordered pass.
    Map<List<Object>, Long> units = new HashMap<>();
    for (Row r : scored.groupBy(keyCols).count().collectAsList()) {
      List<Object> key = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        key.add(r.get(i));
      }
      units.put(key, r.getLong(keys.size()));
    }
    Column w = List.of(scored.columns()).contains(W) ? col(W).cast("double") : lit(1.0);
    List<String> cols = new ArrayList<>(keys);
    cols.addAll(CurveScan.INPUT);
    Column[] input = cols.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new);

    // The model's ranking, one row per unit, with the tie-break that orders units of equal score.
    List<Column> model = new ArrayList<>(List.of(keyCols));
    model.addAll(List.of(lit(CurveScan.MODEL).as("__curve"), col(SCORE).cast("double").as(SCORE)));
    Column[] unitSums = armSums(lit(1L), w);
    for (int i = 0; i < unitSums.length; i++) {
      model.add(unitSums[i].as(SUM_NAMES.get(i)));
    }
    tieBreak.forEach(c -> model.add(col(c).as("__tb_" + c)));
    Dataset<Row> modelRows = scored.select(model.toArray(Column[]::new));

    // The perfect rankings score a unit by its arm and outcome alone, and only the ends of their tie groups are
    // curve points: their units are summed per arm and outcome, then per score (a few rows per key).
    Dataset<Row> byArmAndOutcome = scored.groupBy(concat(keyCols, col(T), col(Y)))
        .agg(count(lit(1)).as("__units"), sum(w).as("__w"));
    Dataset<Row> perfect = perfectSums(perfectQiniRanking(byArmAndOutcome), keyCols, CurveScan.PERFECT_QINI)
        .unionByName(perfectSums(perfectUpliftRanking(byArmAndOutcome, keys, col("__units")), keyCols,
            CurveScan.PERFECT_UPLIFT));
    for (String c : tieBreak) {
      perfect = perfect.withColumn("__tb_" + c, lit(null).cast(modelRows.schema().apply("__tb_" + c).dataType()));
    }

    List<Column> order = new ArrayList<>(List.of(keyCols));
    order.add(col("__curve"));
    order.add(col(SCORE).desc());
    tieBreak.forEach(c -> order.add(col("__tb_" + c).asc()));
    List<Column> partition = new ArrayList<>(List.of(keyCols));
    partition.add(col("__curve"));
    StructType keySchema = modelRows.select(keyCols).schema();
    Dataset<Row> scan = store.apply(modelRows.unionByName(perfect)
        .repartition(partition.toArray(Column[]::new))
        .sortWithinPartitions(order.toArray(Column[]::new))
        .select(input)
        .mapPartitions(new CurveScan(keys.size(), units), Encoders.row(CurveScan.schema(keySchema))));

    Dataset<Row> summary = scan.filter(col("__kind").equalTo(CurveScan.SUMMARY));
    Column isModel = col("__curve").equalTo(CurveScan.MODEL);
    List<Column> agg = new ArrayList<>(List.of(
        max(when(isModel, col("treated"))).as("treated"),
        max(when(isModel, col("area_q"))).as("area_q"), max(when(isModel, col("area_u"))).as("area_u"),
        max(when(isModel, col("baseline_q"))).as("baseline_q"),
        max(when(isModel, col("baseline_u"))).as("baseline_u"),
        max(when(col("__curve").equalTo(CurveScan.PERFECT_QINI), col("area_q"))).as("perfect_area_q"),
        max(when(col("__curve").equalTo(CurveScan.PERFECT_UPLIFT), col("area_u"))).as("perfect_area_u")));
    for (double p : DEPTHS) {
      agg.add(max(when(isModel, col(upliftAt(p)))).as(upliftAt(p)));
    }
    Dataset<Row> metrics = summary.groupBy(concat(keyCols, col("n")))
        .agg(agg.get(0), agg.subList(1, agg.size()).toArray(Column[]::new))
        // Null when the perfect ranking does no better than random (a cell without responders, say).
        .withColumn(QINI, try_divide(col("area_q").minus(col("baseline_q")),
            col("perfect_area_q").minus(col("baseline_q"))))
        .withColumn(AUUC, try_divide(col("area_u").minus(col("baseline_u")),
            col("perfect_area_u").minus(col("baseline_u"))));
    List<String> out = new ArrayList<>(keys);
    out.addAll(List.of("n", "treated", QINI, AUUC));
    for (double p : DEPTHS) {
      out.add(upliftAt(p));
    }
    Dataset<Row> curves = scan.filter(col("__kind").equalTo(CurveScan.POINT))
        .select(concat(keyCols, col("x").as("depth"), col("x").divide(col("n")).as("fraction"), col("q").as("qini"),
            col("u").as("uplift_gain"), col("rate_diff")));
    return new Output(metrics.select(out.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new)),
        curves);
  }

  /**
   * Per row standing for {@code units} units of total weight {@code w}: the units, the treated ones, and the treated
   * and control weight and weighted outcome, in {@link #SUM_NAMES} order.
   */
  private static Column[] armSums(Column units, Column w) {
    Column treated = col(T).gt(0.5);
    Column yw = w.multiply(col(Y).cast("double"));
    return new Column[] {units, when(treated, units).otherwise(0L), when(treated, w).otherwise(0.0),
        when(treated, 0.0).otherwise(w), when(treated, yw).otherwise(0.0), when(treated, 0.0).otherwise(yw)};
  }

  /** The names {@link CurveScan#INPUT} gives the sums of {@link #armSums}: its columns after the curve and score. */
  private static final List<String> SUM_NAMES = CurveScan.INPUT.subList(2, CurveScan.INPUT.size());

  /** A perfect ranking's rows (units summed per arm and outcome) summed per (key, score), as CurveScan reads them. */
  private static Dataset<Row> perfectSums(Dataset<Row> ranked, Column[] keyCols, int curve) {
    Column[] sums = armSums(col("__units"), col("__w"));
    List<Column> totals = new ArrayList<>();
    for (int i = 0; i < sums.length; i++) {
      totals.add(sum(sums[i]).as(SUM_NAMES.get(i)));
    }
    return ranked.groupBy(concat(keyCols, col(SCORE).cast("double").as(SCORE)))
        .agg(totals.get(0), totals.subList(1, totals.size()).toArray(Column[]::new))
        .withColumn("__curve", lit(curve));
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
    return perfectUpliftRanking(scored, keys, lit(1L));
  }

  /** As {@link #perfectUpliftRanking(Dataset, List)} for rows that each stand for {@code units} units. */
  static Dataset<Row> perfectUpliftRanking(Dataset<Row> scored, List<String> keys, Column units) {
    WindowSpec whole = Window.partitionBy(keyColumns(keys));
    Column responded = col(Y).gt(0).cast("int");
    Column t = when(col(T).gt(0.5), 1).otherwise(0);
    Column controlResponders = sum(when(t.equalTo(0), responded.multiply(units)).otherwise(0)).over(whole);
    Column treatedNonResponders = sum(when(t.equalTo(1), lit(1).minus(responded).multiply(units)).otherwise(0))
        .over(whole);
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
}
