package dev.leeway.uplift;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One pass over the units of each (key, curve), in ranking order, that computes what {@link UpliftMetrics} reports:
 * the trapezoid areas under the Qini and uplift curves through the ends of tie groups, the random line's areas, the
 * treated count, uplift at each depth of {@link UpliftMetrics#DEPTHS} and the stored curve points.
 *
 * <p>Input rows (sorted by key, curve, score descending and the tie-break within a partition that holds every row
 * of its keys): the key columns, the curve, the score, then per row the units it stands for ({@code m}, 1 for a
 * unit; a perfect ranking's rows are pre-summed per score, since only tie ends are curve points), how many of
 * them were treated, and their summed treated weight, control weight, treated outcome and control outcome. Only
 * the model's curve ({@link #MODEL}) has one row per unit, so only it gives uplift at a depth and curve points.
 *
 * <p>Output: one {@link #SUMMARY} row per (key, curve) and one {@link #POINT} row per stored curve point, in
 * {@link #schema}'s layout. Nothing is buffered beyond the running sums of the current (key, curve).
 */
final class CurveScan implements MapPartitionsFunction<Row, Row>, Serializable {
  static final int MODEL = 0;
  static final int PERFECT_QINI = 1;
  static final int PERFECT_UPLIFT = 2;
  static final int SUMMARY = 0;
  static final int POINT = 1;

  /** Columns of the input after the keys. */
  static final List<String> INPUT = List.of("__curve", UpliftMetrics.SCORE, "__m", "__treated", "__wt", "__wc",
      "__yt", "__yc");

  private final int nk;
  private final Map<List<Object>, Long> units;

  /** @param units the number of units per key (the key's values in order), which fixes the depths of uplift@p */
  CurveScan(int keyCount, Map<List<Object>, Long> units) {
    this.nk = keyCount;
    this.units = units;
  }

  /** The output: kind, the keys, the curve, then the summary's or the point's values (null where not its kind). */
  static StructType schema(StructType keys) {
    StructType s = new StructType().add("__kind", DataTypes.IntegerType, false);
    for (var f : keys.fields()) {
      s = s.add(f.name(), f.dataType(), true);
    }
    s = s.add("__curve", DataTypes.IntegerType, false).add("x", DataTypes.LongType, false)
        .add("n", DataTypes.LongType, false).add("treated", DataTypes.LongType, true)
        .add("area_q", DataTypes.DoubleType, true).add("area_u", DataTypes.DoubleType, true)
        .add("baseline_q", DataTypes.DoubleType, true).add("baseline_u", DataTypes.DoubleType, true);
    for (double p : UpliftMetrics.DEPTHS) {
      s = s.add(UpliftMetrics.upliftAt(p), DataTypes.DoubleType, true);
    }
    return s.add("q", DataTypes.DoubleType, true).add("u", DataTypes.DoubleType, true)
        .add("rate_diff", DataTypes.DoubleType, true);
  }

  @Override
  public Iterator<Row> call(Iterator<Row> rows) {
    return new Iterator<>() {
      private final List<Row> ready = new ArrayList<>();
      private Group group;
      private int next;

      @Override
      public boolean hasNext() {
        while (next == ready.size()) {
          ready.clear();
          next = 0;
          if (rows.hasNext()) {
            add(rows.next());
          } else if (group != null) {
            group.finish(ready);
            group = null;
          } else {
            return false;
          }
        }
        return true;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return ready.get(next++);
      }

      private void add(Row r) {
        Object[] key = new Object[nk];
        for (int i = 0; i < nk; i++) {
          key[i] = r.get(i);
        }
        int curve = r.getInt(nk);
        if (group == null || group.curve != curve || !Arrays.equals(group.key, key)) {
          if (group != null) {
            group.finish(ready);
          }
          Long n = units.get(Arrays.asList(key));
          if (n == null) {
            throw new IllegalStateException("Uplift metrics: no unit count for key " + Arrays.toString(key));
          }
          group = new Group(key, curve, n);
        }
        group.add(r.isNullAt(nk + 1) ? null : r.get(nk + 1), r.getLong(nk + 2), r.getLong(nk + 3), number(r, nk + 4),
            number(r, nk + 5), number(r, nk + 6), number(r, nk + 7), ready);
      }
    };
  }

  private static double number(Row r, int i) {
    return r.isNullAt(i) ? 0.0 : r.getDouble(i);
  }

  /** The running state of one (key, curve). */
  private final class Group {
    final Object[] key;
    final int curve;
    final long n;
    final long[] depthAt = new long[UpliftMetrics.DEPTHS.length];
    final Double[] atDepth = new Double[UpliftMetrics.DEPTHS.length];
    Object tieScore;
    boolean open;
    long x;
    long treatedRows;
    double nt;
    double nc;
    double yt;
    double yc;
    long prevX;
    double prevQ;
    double prevU;
    double areaQ;
    double areaU;

    Group(Object[] key, int curve, long n) {
      this.key = key;
      this.curve = curve;
      this.n = n;
      for (int i = 0; i < depthAt.length; i++) {
        // int(n p) in double arithmetic, as Python's int(n_samples * k).
        depthAt[i] = (long) Math.floor(n * UpliftMetrics.DEPTHS[i]);
      }
    }

    void add(Object score, long m, long treated, double wt, double wc, double ywt, double ywc, List<Row> out) {
      if (open && !Objects.equals(score, tieScore)) {
        tieEnd(out);
      }
      x += m;
      treatedRows += treated;
      nt += wt;
      nc += wc;
      yt += ywt;
      yc += ywc;
      tieScore = score;
      open = true;
      if (curve == MODEL) {
        for (int i = 0; i < depthAt.length; i++) {
          if (x == depthAt[i]) {
            atDepth[i] = nt > 0 && nc > 0 ? yt / nt - yc / nc : null;
          }
        }
      }
    }

    private double q() {
      return yt - (nc > 0 ? yc * nt / nc : 0.0);
    }

    private double rateDiff() {
      return (nt > 0 ? yt / nt : 0.0) - (nc > 0 ? yc / nc : 0.0);
    }

    /** The last unit added ends a run of equal scores: a point of the curves. */
    private void tieEnd(List<Row> out) {
      double q = q();
      double u = rateDiff() * x;
      areaQ += (x - prevX) * (q + prevQ) / 2;
      areaU += (x - prevX) * (u + prevU) / 2;
      // The first point in each 1/CURVE_POINTS of the depth is stored.
      if (curve == MODEL && bucket(x) != bucket(prevX)) {
        out.add(row(POINT, null, null, null, null, null, q, u, rateDiff()));
      }
      prevX = x;
      prevQ = q;
      prevU = u;
      open = false;
    }

    private double bucket(long depth) {
      return Math.ceil((double) (depth * UpliftMetrics.CURVE_POINTS) / n);
    }

    void finish(List<Row> out) {
      if (open) {
        tieEnd(out);
      }
      out.add(row(SUMMARY, treatedRows, areaQ, areaU, n * prevQ / 2, n * prevU / 2, null, null, null));
    }

    private Row row(int kind, Long treated, Double aq, Double au, Double bq, Double bu, Double q, Double u,
        Double rate) {
      Object[] v = new Object[1 + nk + 11 + atDepth.length];
      int i = 0;
      v[i++] = kind;
      for (Object k : key) {
        v[i++] = k;
      }
      v[i++] = curve;
      v[i++] = x;
      v[i++] = n;
      v[i++] = treated;
      v[i++] = aq;
      v[i++] = au;
      v[i++] = bq;
      v[i++] = bu;
      for (Double d : atDepth) {
        v[i++] = kind == SUMMARY ? d : null;
      }
      v[i++] = q;
      v[i++] = u;
      v[i] = rate;
      return RowFactory.create(v);
    }
  }
}
