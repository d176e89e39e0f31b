package dev.leeway.uplift;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.xxhash64;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.expressions.Window;
import org.apache.spark.sql.expressions.WindowSpec;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Standard errors of the uplift metrics of {@link UpliftMetrics} (Qini coefficient, AUUC, uplift@10/20/30) by a
 * Poisson bootstrap over customers, for each ranking and for the difference between two rankings on the same rows.
 *
 * <p><b>The interval.</b> The caller reports a normal 95% interval: the exact estimate from
 * {@link UpliftMetrics#evaluate} plus or minus 1.96 bootstrap standard errors ({@link Result#withIntervals}). Each
 * replicate gives every customer (cluster) a Poisson(1) weight drawn from a hash of (customer, replicate, seed), so
 * all rows of a customer move together (their outcome windows overlap) and every ranking of the same rows gets the
 * same weights in a replicate: differences between rankings are paired. Replicates where a metric is undefined
 * (an empty arm, a perfect ranking no better than random) are skipped for that metric and counted in
 * {@link Spread#replicates()}.
 *
 * <p><b>What is held fixed.</b> The rankings: scores and the tie-break, so each row keeps its full-sample position
 * and only its weight changes. The bin grid: each ranking is cut once into about {@code bins} position bins (a tie
 * group lies in one bin, the bin of its last position), and a replicate's curves are evaluated at the bin ends, so
 * its areas are trapezoids over those points, a close approximation of the exact area that enters only the spread.
 * The depth of uplift@p: the first {@code int(n p)} rows of the full sample, reweighted (not the top p of each
 * replicate's weight). The perfect rankings (which units a perfect model puts first, including scikit-uplift's
 * choice for the perfect uplift curve): their areas are recomputed in every replicate, like the model's and the
 * random line's, so the coefficient's scale follows each replicate's data. The inverse-propensity weights
 * {@link UpliftMetrics#W}: they multiply the bootstrap weights and are not refitted, so the error in the propensity
 * model is not part of the spread.
 *
 * <p><b>Cost.</b> Rows are sorted once per ranking (a window) and summed per (key, bin, customer); only those sums
 * are expanded into the replicates, into per-(key, bin) buffers of 5 x B doubles (weight, treated and control
 * weight, treated and control outcome). Per key, the replicate curves are computed on an executor from at most
 * {@code bins} + 3 cells; the driver receives keys x 5 x B numbers, which do not grow with the rows.
 */
public final class UpliftBootstrap {
  /** Position bins per ranking. */
  public static final int DEFAULT_BINS = 100;
  /** The normal quantile of a two-sided 95% interval. */
  public static final double Z95 = 1.959963984540054;
  /** The metrics bootstrapped, named as the columns of {@link UpliftMetrics.Output#metrics()}. */
  public static final List<String> METRICS = metricNames();

  private static final int MODEL = 0;
  private static final int PERFECT_QINI = 1;
  private static final int PERFECT_UPLIFT = 2;
  /** Sums per cell and replicate: bootstrap weight, treated weight, control weight, treated y, control y. */
  private static final int SUMS = 5;

  private UpliftBootstrap() {}

  /**
   * @param cluster the column whose rows share a bootstrap weight (customer id)
   * @param ranking the key column naming the ranking (its values are compared in {@link Result#difference})
   * @param replicates bootstrap replicates B (at least 2; a few hundred give a stable standard error)
   * @param seed the seed of the bootstrap weights
   * @param bins position bins per ranking
   */
  public record Settings(String cluster, String ranking, int replicates, long seed, int bins) {
    public Settings {
      if (replicates < 2) {
        throw new IllegalArgumentException("Cannot bootstrap uplift metrics: replicates must be at least 2 ("
            + replicates + ")");
      }
      if (bins < 1) {
        throw new IllegalArgumentException("Cannot bootstrap uplift metrics: bins must be at least 1 (" + bins + ")");
      }
    }

    public Settings(String cluster, String ranking, int replicates, long seed) {
      this(cluster, ranking, replicates, seed, DEFAULT_BINS);
    }
  }

  /** A bootstrap standard error and the number of replicates it used (those where the metric is defined). */
  public record Spread(double se, int replicates) {
    /** The normal 95% interval around {@code estimate}. */
    public double[] interval(double estimate) {
      return new double[] {estimate - Z95 * se, estimate + Z95 * se};
    }
  }

  /**
   * Runs the bootstrap.
   *
   * @param scored the input of {@link UpliftMetrics#evaluate}: one row per unit and ranking with {@code keys},
   *     {@link UpliftMetrics#SCORE}, {@link UpliftMetrics#T}, {@link UpliftMetrics#Y} and optionally
   *     {@link UpliftMetrics#W}, plus the cluster column
   * @param keys the key columns, as for {@link UpliftMetrics#evaluate}, including the ranking column
   * @param tieBreak the tie-break columns, as for {@link UpliftMetrics#evaluate}
   */
  public static Result run(Dataset<Row> scored, List<String> keys, List<String> tieBreak, Settings settings) {
    List<String> columns = List.of(scored.columns());
    List<String> needed = new ArrayList<>(keys);
    needed.addAll(tieBreak);
    needed.addAll(List.of(settings.cluster(), UpliftMetrics.SCORE, UpliftMetrics.T, UpliftMetrics.Y));
    for (String c : needed) {
      if (!columns.contains(c)) {
        throw new IllegalArgumentException("Cannot bootstrap uplift metrics: the scored rows have no column " + c
            + " (columns: " + columns + ")");
      }
    }
    if (!keys.contains(settings.ranking())) {
      throw new IllegalArgumentException("Cannot bootstrap uplift metrics: the ranking column " + settings.ranking()
          + " is not one of the keys " + keys);
    }
    int b = settings.replicates();
    long seed = settings.seed();
    Map<List<Object>, double[][]> values = cellSums(scored, keys, tieBreak, settings)
        .mapToPair(e -> new Tuple2<>(e._1().key, new Tuple2<>(e._1(), e._2())))
        .groupByKey()
        .mapValues(cells -> replicateMetrics(cells, b))
        .collectAsMap();
    return new Result(keys, keys.indexOf(settings.ranking()), b, seed, new HashMap<>(values));
  }

  /** Per (key, curve, bin, depth flag): the replicates' weighted sums, SUMS blocks of B doubles. */
  private static org.apache.spark.api.java.JavaPairRDD<Cell, double[]> cellSums(Dataset<Row> scored,
      List<String> keys, List<String> tieBreak, Settings settings) {
    Set<String> keep = new LinkedHashSet<>(keys);
    keep.addAll(tieBreak);
    keep.addAll(List.of(UpliftMetrics.SCORE, UpliftMetrics.T, UpliftMetrics.Y));
    boolean weighted = List.of(scored.columns()).contains(UpliftMetrics.W);
    if (weighted) {
      keep.add(UpliftMetrics.W);
    }
    List<Column> select = new ArrayList<>(keep.stream().map(org.apache.spark.sql.functions::col).toList());
    select.add(xxhash64(col(settings.cluster())).as("__cluster"));
    Dataset<Row> base = scored.select(select.toArray(Column[]::new));
    // The model's ranking and the two perfect rankings (as UpliftMetrics builds them), each binned by position.
    Dataset<Row> curves = base.withColumn("__curve", lit(MODEL))
        .unionByName(UpliftMetrics.perfectQiniRanking(base).withColumn("__curve", lit(PERFECT_QINI)))
        .unionByName(UpliftMetrics.perfectUpliftRanking(base, keys).withColumn("__curve", lit(PERFECT_UPLIFT)));

    List<Column> part = new ArrayList<>(keys.stream().map(org.apache.spark.sql.functions::col).toList());
    part.add(col("__curve"));
    Column[] partition = part.toArray(Column[]::new);
    List<Column> order = new ArrayList<>();
    order.add(col(UpliftMetrics.SCORE).desc());
    tieBreak.forEach(c -> order.add(col(c).asc()));
    // Ordered by score alone, the default frame (range, current row with its peers) counts a tie group whole.
    WindowSpec byScore = Window.partitionBy(partition).orderBy(col(UpliftMetrics.SCORE).desc());
    WindowSpec byUnit = Window.partitionBy(partition).orderBy(order.toArray(Column[]::new));
    int bins = settings.bins();
    Column n = col("__n");
    // Depth flag: how many of the depths' tops (the first int(n p) units, tie-broken) hold the unit.
    Column depth = lit(0);
    for (double p : UpliftMetrics.DEPTHS) {
      depth = depth.plus(when(col("__pos").leq(floor(n.multiply(p))), 1).otherwise(0));
    }
    Column w = weighted ? col(UpliftMetrics.W).cast("double") : lit(1.0);
    Column treated = col(UpliftMetrics.T).gt(0.5);
    Column y = col(UpliftMetrics.Y).cast("double");
    Dataset<Row> sums = curves
        .withColumn("__n", count(lit(1)).over(Window.partitionBy(partition)))
        .withColumn("__end", count(lit(1)).over(byScore))
        .withColumn("__pos", row_number().over(byUnit))
        .withColumn("__bin", floor(col("__end").multiply(bins).plus(n).minus(1).divide(n)).cast("int"))
        .withColumn("__depth", when(col("__curve").equalTo(MODEL), depth).otherwise(0))
        .groupBy(concat(partition, col("__bin"), col("__depth"), col("__cluster")))
        .agg(count(lit(1)).cast("double").as("m"),
            sum(when(treated, w).otherwise(0.0)).as("nt"), sum(when(treated, 0.0).otherwise(w)).as("nc"),
            sum(when(treated, w.multiply(y)).otherwise(0.0)).as("yt"),
            sum(when(treated, 0.0).otherwise(w.multiply(y))).as("yc"));
    int nk = keys.size();
    int b = settings.replicates();
    long seed = settings.seed();
    return sums.javaRDD().mapToPair(r -> {
      List<Object> key = new ArrayList<>(nk);
      for (int i = 0; i < nk; i++) {
        key.add(r.get(i));
      }
      Cell cell = new Cell(key, r.getInt(nk), r.getInt(nk + 1), r.getInt(nk + 2));
      double[] s = {r.getDouble(nk + 4), r.getDouble(nk + 5), r.getDouble(nk + 6), r.getDouble(nk + 7),
          r.getDouble(nk + 8)};
      return new Tuple2<>(cell, new Tuple2<>(r.getLong(nk + 3), s));
    }).aggregateByKey(new double[SUMS * b], (buf, c) -> addWeighted(buf, c._1(), c._2(), b, seed),
        UpliftBootstrap::addInto);
  }

  private static double[] addWeighted(double[] buf, long cluster, double[] s, int b, long seed) {
    long state = Poisson.state(cluster, seed);
    for (int r = 0; r < b; r++) {
      int v = Poisson.draw(state, r);
      if (v != 0) {
        for (int j = 0; j < SUMS; j++) {
          buf[j * b + r] += v * s[j];
        }
      }
    }
    return buf;
  }

  private static double[] addInto(double[] a, double[] other) {
    for (int i = 0; i < a.length; i++) {
      a[i] += other[i];
    }
    return a;
  }

  /** Every replicate's metrics (in {@link #METRICS} order) for one key, from its cells. */
  static double[][] replicateMetrics(Iterable<Tuple2<Cell, double[]>> cells, int b) {
    List<TreeMap<Integer, double[]>> byBin = List.of(new TreeMap<>(), new TreeMap<>(), new TreeMap<>());
    double[][] tops = new double[UpliftMetrics.DEPTHS.length][SUMS * b];
    for (Tuple2<Cell, double[]> c : cells) {
      byBin.get(c._1().curve).merge(c._1().bin, c._2().clone(), UpliftBootstrap::addInto);
      for (int i = 0; i < tops.length; i++) {
        // Depths ascend, so the top of depth i holds the units in at least (number of depths - i) tops.
        if (c._1().curve == MODEL && c._1().depth >= tops.length - i) {
          addInto(tops[i], c._2());
        }
      }
    }
    double[][] out = new double[METRICS.size()][b];
    for (int r = 0; r < b; r++) {
      double[] model = areas(byBin.get(MODEL), r, b);
      double perfectQ = areas(byBin.get(PERFECT_QINI), r, b)[0];
      double perfectU = areas(byBin.get(PERFECT_UPLIFT), r, b)[1];
      out[0][r] = ratio(model[0] - model[2], perfectQ - model[2]);
      out[1][r] = ratio(model[1] - model[3], perfectU - model[3]);
      for (int i = 0; i < tops.length; i++) {
        double[] t = tops[i];
        double nt = t[b + r];
        double nc = t[2 * b + r];
        out[2 + i][r] = nt > 0 && nc > 0 ? t[3 * b + r] / nt - t[4 * b + r] / nc : Double.NaN;
      }
    }
    return out;
  }

  private static double ratio(double num, double den) {
    return den == 0 ? Double.NaN : num / den;
  }

  /**
   * One replicate's trapezoid areas under the Qini and uplift curves through the bin ends, from the origin, and
   * the random line's areas: {area_q, area_u, baseline_q, baseline_u}.
   */
  private static double[] areas(TreeMap<Integer, double[]> bins, int r, int b) {
    double x = 0;
    double nt = 0;
    double nc = 0;
    double yt = 0;
    double yc = 0;
    double prevX = 0;
    double prevQ = 0;
    double prevU = 0;
    double areaQ = 0;
    double areaU = 0;
    for (double[] s : bins.values()) {
      x += s[r];
      nt += s[b + r];
      nc += s[2 * b + r];
      yt += s[3 * b + r];
      yc += s[4 * b + r];
      double q = yt - (nc > 0 ? yc * nt / nc : 0.0);
      double u = ((nt > 0 ? yt / nt : 0.0) - (nc > 0 ? yc / nc : 0.0)) * x;
      areaQ += (x - prevX) * (q + prevQ) / 2;
      areaU += (x - prevX) * (u + prevU) / 2;
      prevX = x;
      prevQ = q;
      prevU = u;
    }
    return new double[] {areaQ, areaU, prevX * prevQ / 2, prevX * prevU / 2};
  }

  /** The key of a cell: the metric key (with the ranking), the curve, the position bin and the depth flag. */
  static final class Cell implements Serializable {
    private static final long serialVersionUID = 1L;
    final List<Object> key;
    final int curve;
    final int bin;
    final int depth;

    Cell(List<Object> key, int curve, int bin, int depth) {
      this.key = key;
      this.curve = curve;
      this.bin = bin;
      this.depth = depth;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Cell c && c.curve == curve && c.bin == bin && c.depth == depth && c.key.equals(key);
    }

    @Override
    public int hashCode() {
      return Objects.hash(key, curve, bin, depth);
    }
  }

  /**
   * Poisson(1) weights as a pure function of (cluster hash, replicate, seed): a SplitMix64 stream per cluster
   * and seed, one uniform per replicate, inverted through Poisson(1)'s distribution function.
   */
  static final class Poisson {
    private static final long GAMMA = 0x9E3779B97F4A7C15L;
    private static final double[] CDF = cdf();

    private Poisson() {}

    static long state(long cluster, long seed) {
      return mix(cluster ^ mix(seed * GAMMA + 0x632BE59BD9B4E019L));
    }

    static int draw(long state, int replicate) {
      double u = (mix(state + (replicate + 1L) * GAMMA) >>> 11) * 0x1.0p-53;
      int k = 0;
      while (u >= CDF[k]) {
        k++;
      }
      return k;
    }

    private static long mix(long z) {
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      return z ^ (z >>> 31);
    }

    private static double[] cdf() {
      double[] c = new double[25];
      double p = Math.exp(-1);
      double acc = 0;
      for (int k = 0; k < c.length; k++) {
        acc += p;
        c[k] = acc;
        p /= k + 1;
      }
      c[c.length - 1] = Double.POSITIVE_INFINITY;
      return c;
    }
  }

  private static List<String> metricNames() {
    List<String> m = new ArrayList<>(List.of(UpliftMetrics.QINI, UpliftMetrics.AUUC));
    for (double p : UpliftMetrics.DEPTHS) {
      m.add(UpliftMetrics.upliftAt(p));
    }
    return List.copyOf(m);
  }

  private static Column[] concat(Column[] first, Column... more) {
    Column[] out = Arrays.copyOf(first, first.length + more.length);
    System.arraycopy(more, 0, out, first.length, more.length);
    return out;
  }

  /** The replicates' metrics per key and ranking, collected on the driver (keys x metrics x B numbers). */
  public static final class Result {
    private final List<String> keys;
    private final int rankingIndex;
    private final int replicates;
    private final long seed;
    private final Map<List<Object>, double[][]> values;

    private Result(List<String> keys, int rankingIndex, int replicates, long seed,
        Map<List<Object>, double[][]> values) {
      this.keys = List.copyOf(keys);
      this.rankingIndex = rankingIndex;
      this.replicates = replicates;
      this.seed = seed;
      this.values = values;
    }

    public int replicates() {
      return replicates;
    }

    public long seed() {
      return seed;
    }

    /** The keys bootstrapped (key column to value, the ranking included). */
    public List<Map<String, Object>> bootstrappedKeys() {
      List<Map<String, Object>> out = new ArrayList<>();
      for (List<Object> k : values.keySet()) {
        Map<String, Object> m = new java.util.LinkedHashMap<>();
        for (int i = 0; i < keys.size(); i++) {
          m.put(keys.get(i), k.get(i));
        }
        out.add(m);
      }
      return out;
    }

    /** Every replicate's value of {@code metric} (NaN where undefined), for a key (without the ranking). */
    public double[] replicates(Map<String, ?> key, String ranking, String metric) {
      return values(key, ranking)[metricIndex(metric)].clone();
    }

    /**
     * The bootstrap standard error of {@code metric} for a key: key column to value (as Spark returns it: a String,
     * an Integer, ...) for every key column but the ranking.
     */
    public Spread se(Map<String, ?> key, String ranking, String metric) {
      return spread(values(key, ranking)[metricIndex(metric)], null);
    }

    /**
     * The bootstrap standard error of metric(a) - metric(b) on the same key, paired by replicate (replicates where
     * either is undefined are skipped). The interval is the difference of the exact estimates +- 1.96 SE.
     */
    public Spread difference(Map<String, ?> key, String a, String b, String metric) {
      int m = metricIndex(metric);
      return spread(values(key, a)[m], values(key, b)[m]);
    }

    /**
     * Adds {@code <metric>_se}, {@code <metric>_low} and {@code <metric>_high} (the normal 95% interval around
     * the exact estimate) for each of {@link #METRICS} to the metrics of {@link UpliftMetrics#evaluate}; null for
     * keys that were not bootstrapped or where fewer than 2 replicates define the metric.
     */
    public Dataset<Row> withIntervals(Dataset<Row> metrics) {
      StructType schema = new StructType();
      for (int i = 0; i < keys.size(); i++) {
        StructField f = metrics.schema().apply(keys.get(i));
        schema = schema.add("__bk" + i, f.dataType(), true);
      }
      for (String m : METRICS) {
        schema = schema.add(m + "_se", DataTypes.DoubleType, true);
      }
      List<Row> rows = new ArrayList<>();
      for (Map.Entry<List<Object>, double[][]> e : values.entrySet()) {
        List<Object> r = new ArrayList<>(e.getKey());
        for (double[] v : e.getValue()) {
          Spread s = spread(v, null);
          r.add(s.replicates() < 2 ? null : s.se());
        }
        rows.add(RowFactory.create(r.toArray()));
      }
      Dataset<Row> se = metrics.sparkSession().createDataFrame(rows, schema);
      Column on = lit(true);
      for (int i = 0; i < keys.size(); i++) {
        on = on.and(metrics.col(keys.get(i)).eqNullSafe(se.col("__bk" + i)));
      }
      Dataset<Row> out = metrics.join(org.apache.spark.sql.functions.broadcast(se), on, "left");
      for (int i = 0; i < keys.size(); i++) {
        out = out.drop(se.col("__bk" + i));
      }
      for (String m : METRICS) {
        Column half = col(m + "_se").multiply(Z95);
        out = out.withColumn(m + "_low", col(m).minus(half)).withColumn(m + "_high", col(m).plus(half));
      }
      return out;
    }

    private double[][] values(Map<String, ?> key, String ranking) {
      List<Object> k = new ArrayList<>(keys.size());
      for (int i = 0; i < keys.size(); i++) {
        if (i == rankingIndex) {
          k.add(ranking);
        } else if (!key.containsKey(keys.get(i))) {
          throw new IllegalArgumentException("Cannot look up bootstrap replicates: the key has no " + keys.get(i)
              + " (key columns: " + keys + ")");
        } else {
          k.add(key.get(keys.get(i)));
        }
      }
      double[][] v = values.get(k);
      if (v == null) {
        throw new IllegalArgumentException("Cannot look up bootstrap replicates: no rows were bootstrapped for "
            + k + " (key columns: " + keys + ")");
      }
      return v;
    }

    private static int metricIndex(String metric) {
      int i = METRICS.indexOf(metric);
      if (i < 0) {
        throw new IllegalArgumentException("Cannot look up bootstrap replicates: unknown metric " + metric
            + " (one of " + METRICS + ")");
      }
      return i;
    }

    /** The sample standard deviation over replicates where the value (or both values) is defined. */
    private static Spread spread(double[] a, double[] b) {
      int used = 0;
      double mean = 0;
      double m2 = 0;
      for (int r = 0; r < a.length; r++) {
        double v = b == null ? a[r] : a[r] - b[r];
        if (Double.isNaN(v)) {
          continue;
        }
        used++;
        double delta = v - mean;
        mean += delta / used;
        m2 += delta * (v - mean);
      }
      return new Spread(used < 2 ? Double.NaN : Math.sqrt(m2 / (used - 1)), used);
    }
  }
}
