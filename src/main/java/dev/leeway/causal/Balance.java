package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Covariate balance per policy: the standardised mean difference SMD = (mean_T - mean_C) / sqrt((var_T +
 * var_C) / 2) of every feature (numeric features and one 0/1 column per category level), before weighting and
 * after ATT weighting (controls weighted e/(1-e)), on the overlap population.
 */
public final class Balance {
  /** One feature's balance in one policy. */
  public record FeatureBalance(String policy, String feature, double meanTreated, double meanControl,
      double meanControlWeighted, double smdBefore, double smdAfter) implements Serializable {}

  private Balance() {}

  /** Numeric columns to check, plus a 0/1 indicator per level of each categorical column. */
  public static List<Column> features(List<String> numeric, List<String> categorical,
      java.util.Map<String, List<String>> levels) {
    List<Column> out = new ArrayList<>();
    numeric.forEach(n -> out.add(col(n).cast("double").as(n)));
    for (String c : categorical) {
      for (String v : levels.getOrDefault(c, List.of())) {
        out.add(when(col(c).equalTo(v), 1.0).otherwise(0.0).as(c + "=" + v));
      }
    }
    return out;
  }

  /** Per-policy sums of each feature by arm, weighted and not; one aggregation. */
  public static Dataset<Row> sums(Dataset<Row> rows, String treatmentCol, String eCol, List<Column> features) {
    List<Column> select = new ArrayList<>(List.of(col("policy"), col(treatmentCol).cast("double").as("__t"),
        col(eCol).divide(lit(1.0).minus(col(eCol))).as("__w")));
    List<String> names = new ArrayList<>();
    for (int i = 0; i < features.size(); i++) {
      select.add(features.get(i).as("__x" + i));
      names.add("__x" + i);
    }
    Dataset<Row> d = rows.select(select.toArray(Column[]::new));
    Column t = col("__t");
    Column c = lit(1.0).minus(t);
    Column wc = c.multiply(col("__w"));
    List<Column> aggs = new ArrayList<>(List.of(sum(t).as("nT"), sum(c).as("nC"), sum(wc).as("sw")));
    for (String x : names) {
      Column v = col(x);
      aggs.add(sum(t.multiply(v)).as(x + "_t1"));
      aggs.add(sum(t.multiply(v).multiply(v)).as(x + "_t2"));
      aggs.add(sum(c.multiply(v)).as(x + "_c1"));
      aggs.add(sum(c.multiply(v).multiply(v)).as(x + "_c2"));
      aggs.add(sum(wc.multiply(v)).as(x + "_w1"));
      aggs.add(sum(wc.multiply(v).multiply(v)).as(x + "_w2"));
    }
    return d.groupBy(col("policy")).agg(aggs.get(0), aggs.subList(1, aggs.size()).toArray(Column[]::new));
  }

  /** Balance rows from one collected row of {@link #sums}; {@code featureNames} in the order given to sums. */
  public static List<FeatureBalance> read(Row r, List<String> featureNames) {
    double nT = r.<Double>getAs("nT");
    double nC = r.<Double>getAs("nC");
    double sw = r.<Double>getAs("sw");
    List<FeatureBalance> out = new ArrayList<>();
    for (int i = 0; i < featureNames.size(); i++) {
      String x = "__x" + i;
      double mT = r.<Double>getAs(x + "_t1") / nT;
      double vT = r.<Double>getAs(x + "_t2") / nT - mT * mT;
      double mC = r.<Double>getAs(x + "_c1") / nC;
      double vC = r.<Double>getAs(x + "_c2") / nC - mC * mC;
      double mW = r.<Double>getAs(x + "_w1") / sw;
      double vW = r.<Double>getAs(x + "_w2") / sw - mW * mW;
      out.add(new FeatureBalance(r.getAs("policy"), featureNames.get(i), mT, mC, mW, smd(mT, mC, vT, vC), smd(mT, mW, vT, vW)));
    }
    return out;
  }

  /** The SMD; 0 when both arms are constant and equal, and a large value when constant but different. */
  static double smd(double meanT, double meanC, double varT, double varC) {
    double pooled = Math.sqrt(Math.max(0, (varT + varC) / 2));
    double diff = meanT - meanC;
    if (pooled < 1e-12) {
      return Math.abs(diff) < 1e-12 ? 0 : Math.signum(diff) * 1e6;
    }
    return diff / pooled;
  }
}
