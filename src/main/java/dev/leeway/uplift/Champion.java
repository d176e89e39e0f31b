package dev.leeway.uplift;

import java.util.List;
import org.apache.spark.sql.Row;

/**
 * Picks the champion learner: the highest Qini on the validation part for the primary outcome over all policies.
 * Only validation rows are read, so the test part, on which the champion's figures are reported, plays no part in
 * choosing it (choosing and reporting on the same rows would flatter the winner).
 */
public final class Champion {
  private Champion() {}

  /**
   * @param metrics metric rows with split, outcome, policy, ranking and qini
   * @param candidates the learners that may win (not the baselines)
   */
  public static String pick(List<Row> metrics, List<String> candidates, String primaryOutcome) {
    String best = null;
    double bestQini = Double.NEGATIVE_INFINITY;
    for (String name : candidates) {
      double q = Double.NEGATIVE_INFINITY;
      for (Row r : metrics) {
        if (CustomerSplit.VALIDATION.equals(r.getAs("split")) && primaryOutcome.equals(r.getAs("outcome"))
            && UpliftTraining.ALL.equals(r.getAs("policy")) && name.equals(r.getAs("ranking"))
            && r.getAs("qini") != null) {
          q = ((Number) r.getAs("qini")).doubleValue();
        }
      }
      if (best == null || q > bestQini) {
        best = name;
        bestQini = q;
      }
    }
    return best;
  }
}
