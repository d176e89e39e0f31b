package dev.leeway.score;

import dev.leeway.uplift.learners.Variations;
import dev.leeway.uplift.learners.VectorScorer;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import org.apache.spark.ml.attribute.Attribute;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.sql.types.StructField;

/**
 * Reason codes from the model itself: for each input feature, how much the customer's predicted uplift changes
 * when that feature alone is set to a typical customer's value (the feature's slots in the model's vector are
 * replaced by the reference vector's). The features with the largest changes, up or down, are the reasons. This
 * asks the fitted model a counterfactual question per feature; no list of "good" features is assumed.
 */
public final class Explainer implements Serializable {
  /** One reason: the feature, whether it raised or lowered the uplift, by how much, and in plain words. */
  public record Reason(String feature, String direction, double effect, String text) implements Serializable {}

  /** A feature's slots in the vector; labels name each slot's category (categorical features), else null. */
  record Group(String feature, int[] slots, String[] labels) implements Serializable {}

  private static final double NEGLIGIBLE = 1e-9;

  private final Group[] groups;
  private final double[] reference;
  private final Variations variations;
  private final VectorScorer scorer;
  private final int count;
  private final int noHistoryDays;

  Explainer(List<Group> groups, double[] reference, VectorScorer scorer, int count, int noHistoryDays) {
    this.groups = groups.toArray(Group[]::new);
    this.reference = reference.clone();
    this.variations = new Variations(groups.stream().map(Group::slots).toArray(int[][]::new), reference);
    this.scorer = scorer;
    this.count = count;
    this.noHistoryDays = noHistoryDays;
  }

  /**
   * The slots of each feature in the assembled vector, read from the vector column's ML attributes: numeric
   * feature f fills {@code __m_f} (and {@code __m_log_f}), categorical feature c the one-hot slots
   * {@code __o_c_<category>}.
   */
  static List<Group> groups(StructField vectorField, List<String> numeric, List<String> categorical) {
    Attribute[] attrs = AttributeGroup.fromStructField(vectorField).attributes().get();
    List<Group> out = new ArrayList<>();
    for (String f : numeric) {
      List<Integer> slots = new ArrayList<>();
      for (int i = 0; i < attrs.length; i++) {
        String n = attrs[i].name().get();
        if (n.equals("__m_" + f) || n.equals("__m_log_" + f)) {
          slots.add(i);
        }
      }
      // The raw value's slot first: it is what the reason text quotes.
      slots.sort(Comparator.comparing(i -> attrs[i].name().get().startsWith("__m_log_")));
      out.add(new Group(f, slots.stream().mapToInt(Integer::intValue).toArray(), null));
    }
    for (String c : categorical) {
      String prefix = "__o_" + c + "_";
      List<Integer> slots = new ArrayList<>();
      for (int i = 0; i < attrs.length; i++) {
        String n = attrs[i].name().get();
        // A longer categorical name sharing this prefix (c = "region", other = "region_group") is not c's.
        boolean other = categorical.stream().anyMatch(o -> o.length() > c.length() && n.startsWith("__o_" + o + "_"));
        if (n.startsWith(prefix) && !other) {
          slots.add(i);
        }
      }
      String[] labels = slots.stream().map(i -> attrs[i].name().get().substring(prefix.length())).toArray(String[]::new);
      out.add(new Group(c, slots.stream().mapToInt(Integer::intValue).toArray(), labels));
    }
    for (Group g : out) {
      if (g.slots().length == 0) {
        throw new IllegalStateException("Feature " + g.feature() + " has no slot in the model's feature vector");
      }
    }
    return out;
  }

  /**
   * The top reasons for the predicted uplift {@code base} of the vector {@code x} (largest |effect| first; ties by feature
   * name). {@code base} is the caller's own prediction of {@code x}, so it is not computed twice.
   */
  public List<Reason> reasons(double[] x, double base) {
    List<Integer> moved = new ArrayList<>();
    // All features' variations at once: a model that knows its trees answers them without scoring each in full.
    double[] varied = scorer.variants(x, variations);
    for (int i = 0; i < groups.length; i++) {
      if (!variations.same(x, i) && Math.abs(base - varied[i]) > NEGLIGIBLE) {
        moved.add(i);
      }
    }
    moved.sort(Comparator.comparingDouble((Integer i) -> -Math.abs(base - varied[i]))
        .thenComparing(i -> groups[i].feature()));
    // Only the reasons kept are put in words: the text costs more than the model's answers.
    List<Reason> out = new ArrayList<>();
    for (int i : moved.subList(0, Math.min(count, moved.size()))) {
      double effect = base - varied[i];
      out.add(new Reason(groups[i].feature(), effect > 0 ? "raises" : "lowers", effect, text(groups[i], x)));
    }
    return List.copyOf(out);
  }

  private String text(Group g, double[] x) {
    if (g.labels() != null) {
      String label = "(a category new to the model)";
      for (int i = 0; i < g.slots().length; i++) {
        if (x[g.slots()[i]] != 0) {
          label = g.labels()[i];
        }
      }
      return ReasonText.describe(g.feature(), 0, 0, label, noHistoryDays);
    }
    int raw = g.slots()[0];
    return ReasonText.describe(g.feature(), x[raw], reference[raw], null, noHistoryDays);
  }

  @Override
  public String toString() {
    return "Explainer" + Arrays.stream(groups).map(Group::feature).toList();
  }
}
