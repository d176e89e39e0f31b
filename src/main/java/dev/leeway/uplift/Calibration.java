package dev.leeway.uplift;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;

import dev.leeway.causal.EffectsSummary;
import dev.leeway.outcomes.OutcomeCols;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Does the model's predicted effect agree with the measured one? Per policy, the mean predicted retention uplift
 * of its granted matured requests against that policy's doubly robust ATT (retention at the same horizon, from the
 * effects stage of the same run). When the mean lies outside the ATT's 95% interval, scoring adds a per-policy
 * shift (ATT minus the mean) to the predicted uplift, which keeps the model's ranking within the policy and makes
 * its average over granted requests agree with the measured effect; the scores say so.
 *
 * <p>The two figures are for slightly different populations: the ATT covers the granted requests in overlap (the
 * effects summary gives the share), the mean covers all granted matured requests of the policy.
 */
public final class Calibration {
  private Calibration() {}

  /** One policy's comparison. {@code att}, {@code low}, {@code high} are null when the policy has no estimate. */
  public record PolicyCalibration(String policy, long grantedRequests, double meanPredicted, Double att, Double low,
      Double high, Double shareOfGrantsCovered, boolean applied, double shift, String verdict) {
    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("policy", policy);
      m.put("granted_requests", grantedRequests);
      m.put("mean_predicted_uplift", meanPredicted);
      m.put("dr_att", att);
      m.put("dr_att_low", low);
      m.put("dr_att_high", high);
      m.put("share_of_grants_covered", shareOfGrantsCovered);
      m.put("applied", applied);
      m.put("shift", shift);
      m.put("verdict", verdict);
      return m;
    }
  }

  /**
   * @param requestEffects per matured request: policy, treated and {@link UpliftTraining#UPLIFT_RETENTION}
   * @param effects the effects stage's summary of the same run (null: no comparison possible)
   */
  public static List<PolicyCalibration> compare(Dataset<Row> requestEffects, EffectsSummary effects,
      String primaryOutcome) {
    List<PolicyCalibration> out = new ArrayList<>();
    for (Row r : requestEffects.filter(col(OutcomeCols.TREATED).equalTo(lit(1)))
        .groupBy(col("policy")).agg(count(lit(1)), avg(col(UpliftTraining.UPLIFT_RETENTION))).orderBy("policy")
        .collectAsList()) {
      String policy = r.getString(0);
      double mean = r.getDouble(2);
      EffectsSummary.PolicyEffects p = effects == null ? null : effects.policies().stream()
          .filter(x -> x.policy().equals(policy)).findFirst().orElse(null);
      EffectsSummary.EffectFigures f = p == null ? null : p.primary(primaryOutcome);
      EffectsSummary.Figure dr = f == null || f.tooSmall() ? null : f.doublyRobust();
      if (dr == null) {
        out.add(new PolicyCalibration(policy, r.getLong(1), mean, null, null, null, null, false, 0.0,
            "no measured effect to compare with"));
        continue;
      }
      boolean outside = mean < dr.low() || mean > dr.high();
      out.add(new PolicyCalibration(policy, r.getLong(1), mean, dr.estimate(), dr.low(), dr.high(),
          p.shareOfGrantsCovered(), outside, outside ? dr.estimate() - mean : 0.0,
          outside ? "disagrees: predicted uplift shifted to the measured effect" : "agrees within the interval"));
    }
    return out;
  }

  /** As stored in model metadata and the train summary. */
  public static List<Map<String, Object>> toMaps(List<PolicyCalibration> rows) {
    return rows.stream().map(PolicyCalibration::toMap).toList();
  }
}
