package dev.leeway.causal;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Per-cell sums of per-row values, clustered: values are first summed per cluster (a customer: their requests'
 * outcome windows overlap), then per cell, where each named value v gets {@code s_v} = sum over clusters and each
 * pair gets {@code m_v_w} = sum over clusters of v_c w_c. Cluster-robust variances of ratio estimators are quadratic
 * forms in these. Cells also get {@code rows} and {@code clusters} counts. Two aggregations, nothing collected.
 */
final class ClusteredSums {
  private ClusteredSums() {}

  /**
   * @param rows one row per unit, holding the {@code keys} columns, {@code cluster} and the value columns
   * @param values named per-row values whose cross-products are needed
   * @param plain named per-row values that are only summed
   */
  static Dataset<Row> aggregate(Dataset<Row> rows, List<String> keys, Column cluster, List<String> valueNames,
      List<Column> values, List<String> plainNames, List<Column> plain) {
    List<Column> clusterGroup = new ArrayList<>(keys.stream().map(org.apache.spark.sql.functions::col).toList());
    clusterGroup.add(cluster.as("__cluster"));
    List<Column> clusterAggs = new ArrayList<>();
    for (int i = 0; i < values.size(); i++) {
      clusterAggs.add(sum(values.get(i)).as(valueNames.get(i)));
    }
    for (int i = 0; i < plain.size(); i++) {
      clusterAggs.add(sum(plain.get(i)).as(plainNames.get(i)));
    }
    Dataset<Row> clusters = rows.groupBy(clusterGroup.toArray(Column[]::new))
        .agg(count(lit(1)).as("__n"), clusterAggs.toArray(Column[]::new));

    List<Column> cellAggs = new ArrayList<>();
    cellAggs.add(count(lit(1)).as("clusters"));
    for (String v : valueNames) {
      cellAggs.add(sum(col(v)).as("s_" + v));
    }
    for (int i = 0; i < valueNames.size(); i++) {
      for (int j = i; j < valueNames.size(); j++) {
        cellAggs.add(sum(col(valueNames.get(i)).multiply(col(valueNames.get(j))))
            .as("m_" + valueNames.get(i) + "_" + valueNames.get(j)));
      }
    }
    for (String p : plainNames) {
      cellAggs.add(sum(col(p)).as(p));
    }
    return clusters.groupBy(keys.stream().map(org.apache.spark.sql.functions::col).toArray(Column[]::new))
        .agg(sum(col("__n")).as("rows"), cellAggs.toArray(Column[]::new));
  }

  /** The sums s and the symmetric cross-product matrix m (row-major) of the named values from a collected row. */
  static double[][] read(Row r, List<String> valueNames) {
    int w = valueNames.size();
    double[] s = new double[w];
    double[] m = new double[w * w];
    for (int i = 0; i < w; i++) {
      s[i] = number(r, "s_" + valueNames.get(i));
      for (int j = i; j < w; j++) {
        double x = number(r, "m_" + valueNames.get(i) + "_" + valueNames.get(j));
        m[i * w + j] = x;
        m[j * w + i] = x;
      }
    }
    return new double[][] {s, m};
  }

  static double number(Row r, String name) {
    Object o = r.getAs(name);
    return o == null ? 0.0 : ((Number) o).doubleValue();
  }

  /** sqrt(G/(G-1) l' m l) for G clusters. */
  static double clusterSe(double[] l, double[] m, long clusters) {
    if (clusters < 2) {
      return Double.NaN;
    }
    int w = l.length;
    double q = 0;
    for (int i = 0; i < w; i++) {
      if (l[i] != 0) {
        for (int j = 0; j < w; j++) {
          q += l[i] * m[i * w + j] * l[j];
        }
      }
    }
    return Math.sqrt(Math.max(0, q) * clusters / (clusters - 1.0));
  }
}
