package dev.leeway.uplift.learners;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Variations of one feature vector asked of a model together: for each group of slots (a feature's slots), the
 * vector with those slots set to a reference vector's values, the others kept. Reasons ask one per feature and row;
 * a model that knows its structure answers them without scoring each copy in full ({@link VectorScorer#variants}).
 */
public final class Variations implements Serializable {
  private final int[][] groups;
  private final double[] reference;
  private final int[] groupOf;

  /** {@code groups}: each group's slots, no slot in two groups; {@code reference}: a whole vector. */
  public Variations(int[][] groups, double[] reference) {
    this.groups = Arrays.stream(groups).map(int[]::clone).toArray(int[][]::new);
    this.reference = reference.clone();
    this.groupOf = new int[reference.length];
    Arrays.fill(groupOf, -1);
    for (int g = 0; g < groups.length; g++) {
      for (int s : groups[g]) {
        if (groupOf[s] >= 0) {
          throw new IllegalArgumentException("slot " + s + " is in groups " + groupOf[s] + " and " + g);
        }
        groupOf[s] = g;
      }
    }
  }

  /** The number of groups. */
  public int size() {
    return groups.length;
  }

  /** The group a slot belongs to, or -1 (a slot past the reference, such as a treatment appended to it, too). */
  public int groupOf(int slot) {
    return slot < groupOf.length ? groupOf[slot] : -1;
  }

  /** The value a slot takes in its group's variation. */
  public double reference(int slot) {
    return reference[slot];
  }

  /** {@code x} with group {@code g}'s slots set to the reference's values (a copy). */
  public double[] apply(double[] x, int g) {
    double[] y = x.clone();
    for (int s : groups[g]) {
      y[s] = reference[s];
    }
    return y;
  }

  /** True when {@code x} already holds the reference's values in all of group {@code g}'s slots. */
  public boolean same(double[] x, int g) {
    for (int s : groups[g]) {
      if (x[s] != reference[s]) {
        return false;
      }
    }
    return true;
  }

  /** Each variation scored in full: what any model can do. */
  public double[] byCopies(double[] x, VectorScorer.ArrayScorer s) {
    double[] out = new double[groups.length];
    for (int g = 0; g < groups.length; g++) {
      out[g] = s.score(apply(x, g));
    }
    return out;
  }
}
