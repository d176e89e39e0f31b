package dev.leeway.uplift.local;

import java.util.Arrays;
import java.util.Iterator;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;

/**
 * A task's rows of (feature vector, label) as arrays: {@code x} row-major with {@code features} values per row.
 * About 8 bytes per feature value.
 */
public record LabelledRows(double[] x, double[] y, int features) {

  /** Reads rows of (vector, double); a missing vector or label, or a vector of another size, is named by its row. */
  public static LabelledRows read(Iterator<Row> it) {
    Growing x = new Growing();
    Growing y = new Growing();
    int f = -1;
    while (it.hasNext()) {
      Row r = it.next();
      if (r.isNullAt(0) || r.isNullAt(1)) {
        throw new IllegalArgumentException("row " + y.size() + " has no " + (r.isNullAt(0) ? "features" : "label"));
      }
      Vector v = r.getAs(0);
      if (f < 0) {
        f = v.size();
      } else if (v.size() != f) {
        throw new IllegalArgumentException("row " + y.size() + " has " + v.size() + " features, not " + f);
      }
      for (int j = 0; j < f; j++) {
        x.add(v.apply(j));
      }
      y.add(r.getDouble(1));
    }
    return new LabelledRows(x.toArray(), y.toArray(), Math.max(f, 0));
  }

  /** A growable array of doubles. */
  public static final class Growing {
    private double[] a = new double[32];
    private int size;

    public void add(double v) {
      if (size == a.length) {
        a = Arrays.copyOf(a, size * 2);
      }
      a[size++] = v;
    }

    public double get(int i) {
      return a[i];
    }

    public void set(int i, double v) {
      a[i] = v;
    }

    public int size() {
      return size;
    }

    public double[] toArray() {
      return Arrays.copyOf(a, size);
    }
  }
}
