package dev.leeway.score;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.leeway.uplift.learners.VectorScorer;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reasons from the model's answers to one counterfactual per feature, on a model whose answers are known. */
class ExplainerTest {
  private static final List<Explainer.Group> GROUPS = List.of(
      new Explainer.Group("tenure_days", new int[] {0}, null),
      new Explainer.Group("spend_90d", new int[] {1}, null),
      new Explainer.Group("events_30d", new int[] {2}, null),
      new Explainer.Group("segment", new int[] {3, 4}, new String[] {"SMB", "ENTERPRISE"}));
  private static final double[] REFERENCE = {1, 1, 1, 1, 0};

  /** A linear model: each feature's effect is its weight times its distance from the reference. */
  private static Explainer explainer(double spendWeight, int count) {
    VectorScorer.ArrayScorer linear = x -> 2 * x[0] + spendWeight * x[1] + 0.5 * x[2] + 0.2 * x[3] + 0.7 * x[4];
    return new Explainer(GROUPS, REFERENCE, VectorScorer.ofArrays(linear), count, 30);
  }

  @Test
  void theLargestChangesUpOrDownAreTheReasonsAndOnlyTheyArePutInWords() {
    double[] x = {3, 2, 1, 0, 1};
    Explainer e = explainer(-3, 2);
    double base = 2 * 3 - 3 * 2 + 0.5 + 0.7;
    List<Explainer.Reason> r = e.reasons(x, base);
    assertEquals(2, r.size(), "two reasons asked for; events_30d is at the reference and segment moves less");
    assertEquals(new Explainer.Reason("tenure_days", "raises", 4.0,
        ReasonText.describe("tenure_days", 3, 1, null, 30)), r.get(0));
    assertEquals(new Explainer.Reason("spend_90d", "lowers", -3.0,
        ReasonText.describe("spend_90d", 2, 1, null, 30)), r.get(1));

    List<Explainer.Reason> all = explainer(-3, 10).reasons(x, base);
    assertEquals(List.of("tenure_days", "spend_90d", "segment"), all.stream().map(Explainer.Reason::feature).toList(),
        "a feature at the reference value is no reason");
    assertEquals(0.5, all.get(2).effect(), 1e-12);
    assertEquals(ReasonText.describe("segment", 0, 0, "ENTERPRISE", 30), all.get(2).text());
  }

  @Test
  void equalChangesAreOrderedByFeatureName() {
    double[] x = {3, 3, 1, 1, 0};
    List<Explainer.Reason> r = explainer(-2, 2).reasons(x, 2 * 3 - 2 * 3 + 0.5 + 0.2);
    assertEquals(List.of("spend_90d", "tenure_days"), r.stream().map(Explainer.Reason::feature).toList());
    assertEquals(List.of(-4.0, 4.0), r.stream().map(Explainer.Reason::effect).toList());
  }
}
