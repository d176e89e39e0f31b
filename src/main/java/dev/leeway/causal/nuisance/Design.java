package dev.leeway.causal.nuisance;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.functions;
import org.apache.spark.ml.linalg.SparseVector;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * How a request enters the penalised nuisance models: the design vector z = (1, model features, hinge terms
 * max(0, x - knot) at quantile knots of the continuous features on their log scale), so linear and logistic models
 * can bend; and the policy group whose own deviation from the pooled model applies (the most requested policies get
 * one; the rest share the pooled model).
 */
public final class Design implements Serializable {
  private static final long serialVersionUID = 1L;

  private final int base;
  private final int[] hingeSlots;
  private final double[] knots;
  private final Map<String, Integer> groups;

  Design(int base, int[] hingeSlots, double[] knots, Map<String, Integer> groups) {
    if (hingeSlots.length != knots.length) {
      throw new IllegalArgumentException("one knot per hinge slot");
    }
    this.base = base;
    this.hingeSlots = hingeSlots.clone();
    this.knots = knots.clone();
    this.groups = Map.copyOf(groups);
  }

  /**
   * Chooses knots and groups from {@code data}: {@code knotsPerSlot} quantile knots for each slot in
   * {@code continuousSlots} of {@code vectorCol} (distinct, strictly inside the observed range), and a group for each
   * of the {@code maxGroups} policies with the most rows. One Spark job for the quantiles, one for the policies.
   */
  public static Design fit(Dataset<Row> data, String vectorCol, String policyCol, int[] continuousSlots,
      int knotsPerSlot, int maxGroups) {
    Row first = data.select(col(vectorCol)).first();
    int base = first == null ? 0 : ((Vector) first.get(0)).size();
    List<Integer> slots = new ArrayList<>();
    List<Double> knots = new ArrayList<>();
    if (knotsPerSlot > 0 && continuousSlots.length > 0 && first != null) {
      String[] names = new String[continuousSlots.length];
      List<Column> cols = new ArrayList<>();
      Column array = functions.vector_to_array(col(vectorCol), "float64");
      for (int i = 0; i < continuousSlots.length; i++) {
        names[i] = "__slot" + i;
        cols.add(array.getItem(continuousSlots[i]).as(names[i]));
      }
      double[] probs = new double[knotsPerSlot + 2];
      for (int q = 0; q < probs.length; q++) {
        probs[q] = (double) q / (knotsPerSlot + 1);
      }
      double[][] quantiles = data.select(cols.toArray(Column[]::new)).stat().approxQuantile(names, probs, 0.001);
      for (int i = 0; i < continuousSlots.length; i++) {
        double[] q = quantiles[i];
        if (q.length == 0) {
          continue;
        }
        double min = q[0];
        double max = q[q.length - 1];
        double last = Double.NEGATIVE_INFINITY;
        for (int k = 1; k < q.length - 1; k++) {
          if (q[k] > min && q[k] < max && q[k] > last) {
            slots.add(continuousSlots[i]);
            knots.add(q[k]);
            last = q[k];
          }
        }
      }
    }
    Map<String, Integer> groups = new LinkedHashMap<>();
    if (maxGroups > 0) {
      // The number of policies is set by the business, and only maxGroups rows come back.
      for (Row r : data.groupBy(col(policyCol)).agg(count(lit(1)).as("n")).filter(col(policyCol).isNotNull())
          .orderBy(col("n").desc(), col(policyCol)).limit(maxGroups).collectAsList()) {
        groups.put(r.getString(0), groups.size());
      }
    }
    return new Design(base, slots.stream().mapToInt(Integer::intValue).toArray(),
        knots.stream().mapToDouble(Double::doubleValue).toArray(), groups);
  }

  /** Length of z. */
  public int dim() {
    return 1 + base + knots.length;
  }

  /** Number of groups with their own deviation; rows of other policies use index {@code groups()} ("rest"). */
  public int groups() {
    return groups.size();
  }

  public int group(String policy) {
    Integer g = policy == null ? null : groups.get(policy);
    return g == null ? groups.size() : g;
  }

  /** The policies with their own deviation, by group index. */
  public List<String> groupNames() {
    String[] out = new String[groups.size()];
    groups.forEach((p, g) -> out[g] = p);
    return List.of(out);
  }

  public int hingeTerms() {
    return knots.length;
  }

  /** A buffer of the right size for {@link #expand}. */
  public Sparse buffer() {
    return new Sparse(new int[dim()], new double[dim()]);
  }

  /** The nonzero entries of a design vector, indices ascending; {@code nnz} of the arrays are used. */
  public static final class Sparse {
    final int[] idx;
    final double[] val;
    int nnz;

    Sparse(int[] idx, double[] val) {
      this.idx = idx;
      this.val = val;
    }

    double dot(double[] coef) {
      double s = 0;
      for (int u = 0; u < nnz; u++) {
        s += coef[idx[u]] * val[u];
      }
      return s;
    }
  }

  /** Fills {@code out} with the nonzero entries of z for the feature vector x. */
  public Sparse expand(Vector x, Sparse out) {
    int n = 0;
    out.idx[n] = 0;
    out.val[n++] = 1.0;
    if (x instanceof SparseVector sv) {
      int[] xi = sv.indices();
      double[] xv = sv.values();
      for (int u = 0; u < xi.length; u++) {
        if (xv[u] != 0 && xi[u] < base) {
          out.idx[n] = xi[u] + 1;
          out.val[n++] = xv[u];
        }
      }
    } else {
      double[] xv = x.toArray();
      for (int i = 0; i < Math.min(base, xv.length); i++) {
        if (xv[i] != 0) {
          out.idx[n] = i + 1;
          out.val[n++] = xv[i];
        }
      }
    }
    for (int h = 0; h < knots.length; h++) {
      double v = x.apply(hingeSlots[h]) - knots[h];
      if (v > 0) {
        out.idx[n] = 1 + base + h;
        out.val[n++] = v;
      }
    }
    out.nnz = n;
    return out;
  }
}
