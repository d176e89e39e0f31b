package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;

import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Covariate balance on the rows each estimate uses: per cell (policy, policy x segment, policy x team) and per
 * maturity horizon, the standardised mean difference SMD = (mean_T - mean_C) / sd_T of every feature (numeric
 * features, and a 0/1 column per kept level of each categorical one), before weighting and after ATT weighting
 * (controls weighted e/(1-e)). The denominator sd_T is the granted arm's standard deviation before weighting, the
 * same before and after, so the two are comparable. A feature constant among the granted has SMD 0 when the means
 * agree to a relative tolerance, and otherwise uses both arms' standard deviation.
 */
public final class Balance {
  /** One feature's balance in one cell, on the rows mature at {@code days}. */
  public record FeatureBalance(String level, String policy, String segment, String team, int days, String feature,
      long treated, long control, double meanTreated, double meanControl, double meanControlWeighted,
      double smdBefore, double smdAfter) implements Serializable {}

  /** Row sums per cell: t, c, w c, then per feature t x, t x^2, c x, c x^2, w c x. */
  private static final int HEAD = 3;
  private static final int PER_FEATURE = 5;

  private final List<String> numeric;
  private final Map<String, List<String>> levels;
  private final double relativeTolerance;

  /** {@code levels}: the kept levels of each categorical feature (anything else counts as {@code OTHER}). */
  public Balance(List<String> numeric, Map<String, List<String>> levels, double relativeTolerance) {
    this.numeric = List.copyOf(numeric);
    this.levels = new TreeMap<>(levels);
    this.relativeTolerance = relativeTolerance;
  }

  /** The feature names, in the order of the sums. */
  public List<String> featureNames() {
    List<String> out = new ArrayList<>(numeric);
    levels.forEach((c, vs) -> {
      vs.forEach(v -> out.add(c + "=" + v));
      out.add(c + "=" + FeatureCols.OTHER);
    });
    return out;
  }

  /**
   * Balance of every feature per cell and maturity horizon. {@code rows}: the rows estimates use (inside the
   * overlap), with treatment, clipped propensity, the features, and {@code matureAt}: the days of each horizon and the
   * column that is null when a row is immature at it (ascending days).
   */
  public List<FeatureBalance> compute(Dataset<Row> rows, String treatmentCol, String eCol, List<Level> levelsToCut,
      List<Map.Entry<Integer, String>> matureAt) {
    List<Column> cols = new ArrayList<>(List.of(col(Cols.POLICY), col(FeatureCols.SEGMENT), col(Cols.TEAM),
        col(treatmentCol).cast("double"), col(eCol)));
    numeric.forEach(n -> cols.add(col(n).cast("double")));
    List<String> categorical = new ArrayList<>(levels.keySet());
    categorical.forEach(c -> cols.add(col(c)));
    matureAt.forEach(m -> cols.add(col(m.getValue()).isNotNull()));
    List<String> names = featureNames();
    int width = HEAD + PER_FEATURE * names.size();
    int nNumeric = numeric.size();
    Map<String, List<String>> kept = levels;
    int horizons = matureAt.size();
    JavaPairRDD<String, double[]> sums = rows.select(cols.toArray(Column[]::new)).javaRDD().flatMapToPair(r -> {
      double t = r.getDouble(3);
      double e = r.getDouble(4);
      double w = e / (1 - e);
      double[] x = new double[names.size()];
      for (int i = 0; i < nNumeric; i++) {
        x[i] = r.isNullAt(5 + i) ? 0.0 : r.getDouble(5 + i);
      }
      int slot = nNumeric;
      for (int k = 0; k < categorical.size(); k++) {
        List<String> vs = kept.get(categorical.get(k));
        Object raw = r.get(5 + nNumeric + k);
        int at = raw == null ? -1 : vs.indexOf(raw.toString());
        x[slot + (at < 0 ? vs.size() : at)] = 1.0;
        slot += vs.size() + 1;
      }
      // The longest horizon the row is mature at: sums are cumulated over horizons on the driver.
      int mature = -1;
      for (int h = 0; h < horizons; h++) {
        if (r.getBoolean(5 + nNumeric + categorical.size() + h)) {
          mature = h;
        }
      }
      double[] v = new double[width];
      double c = 1 - t;
      v[0] = t;
      v[1] = c;
      v[2] = w * c;
      for (int i = 0; i < x.length; i++) {
        int b = HEAD + PER_FEATURE * i;
        double xi = x[i];
        v[b] = t * xi;
        v[b + 1] = t * xi * xi;
        v[b + 2] = c * xi;
        v[b + 3] = c * xi * xi;
        v[b + 4] = w * c * xi;
      }
      List<Tuple2<String, double[]>> out = new ArrayList<>();
      for (Level l : levelsToCut) {
        out.add(new Tuple2<>(String.join("|", l.label(), l.policyKey(r.getString(0)), l.segmentKey(r.getString(1)),
            l.teamKey(r.getString(2)), Integer.toString(mature)), v));
      }
      return out.iterator();
    }).reduceByKey((a, b) -> {
      double[] s = a.clone();
      for (int i = 0; i < s.length; i++) {
        s[i] += b[i];
      }
      return s;
    });
    // One entry per cell and horizon: bounded by the business's cells, not by rows.
    Map<String, double[]> byCell = new TreeMap<>();
    for (Tuple2<String, double[]> e : sums.collect()) {
      String key = e._1();
      int cut = key.lastIndexOf('|');
      int mature = Integer.parseInt(key.substring(cut + 1));
      String cell = key.substring(0, cut);
      for (int h = 0; h <= mature; h++) {
        double[] acc = byCell.computeIfAbsent(cell + "|" + h, k -> new double[width]);
        for (int i = 0; i < width; i++) {
          acc[i] += e._2()[i];
        }
      }
    }
    List<FeatureBalance> out = new ArrayList<>();
    byCell.forEach((key, s) -> {
      String[] k = key.split("\\|", -1);
      int days = matureAt.get(Integer.parseInt(k[4])).getKey();
      out.addAll(read(k[0], k[1], k[2], k[3], days, s, names));
    });
    return out;
  }

  private List<FeatureBalance> read(String level, String policy, String segment, String team, int days, double[] s,
      List<String> names) {
    double nT = s[0];
    double nC = s[1];
    double sw = s[2];
    List<FeatureBalance> out = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      int b = HEAD + PER_FEATURE * i;
      double mT = nT > 0 ? s[b] / nT : Double.NaN;
      double vT = nT > 0 ? s[b + 1] / nT - mT * mT : Double.NaN;
      double mC = nC > 0 ? s[b + 2] / nC : Double.NaN;
      double mW = sw > 0 ? s[b + 4] / sw : Double.NaN;
      double n = nT + nC;
      double mAll = (s[b] + s[b + 2]) / n;
      double vAll = (s[b + 1] + s[b + 3]) / n - mAll * mAll;
      out.add(new FeatureBalance(level, policy, segment, team, days, names.get(i), Math.round(nT), Math.round(nC),
          mT, mC, mW, smd(mT, mC, vT, vAll, relativeTolerance), smd(mT, mW, vT, vAll, relativeTolerance)));
    }
    return out;
  }

  /**
   * (meanT - meanC) / sdT; when the granted arm is constant (its variance is floating-point noise), 0 if the means
   * agree to {@code relativeTolerance}, else the difference over both arms' standard deviation.
   */
  static double smd(double meanT, double meanC, double varT, double varAll, double relativeTolerance) {
    if (Double.isNaN(meanT) || Double.isNaN(meanC)) {
      return Double.NaN;
    }
    double scale = Math.max(Math.abs(meanT), Math.abs(meanC));
    double noise = relativeTolerance * Math.max(scale, Double.MIN_NORMAL);
    double diff = meanT - meanC;
    if (varT > noise * noise) {
      return diff / Math.sqrt(varT);
    }
    if (Math.abs(diff) <= noise) {
      return 0.0;
    }
    return varAll > noise * noise ? diff / Math.sqrt(varAll) : Math.signum(diff) * Double.POSITIVE_INFINITY;
  }
}
