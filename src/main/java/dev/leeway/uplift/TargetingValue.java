package dev.leeway.uplift;

import static org.apache.spark.sql.functions.avg;
import static org.apache.spark.sql.functions.broadcast;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.leeway.causal.Interval;
import dev.leeway.causal.PolicyValue;
import dev.leeway.config.LeewayConfig;
import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import dev.leeway.features.ModelFeatures;
import dev.leeway.outcomes.OutcomeCols;
import dev.leeway.score.Recommender;
import dev.leeway.score.ScoreCols;
import dev.leeway.score.Scoring;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * "What if staff had followed Leeway?": the doubly robust value in money ({@link PolicyValue}) of targeting rules
 * on the test part's requests, which the model that makes the recommendation was not trained on:
 *
 * <ul>
 *   <li>{@code leeway}: the recommendation under today's guardrails ({@link Recommender#firm}: hard lines, the
 *       customer's past grants against the sporadic cap, support, and the floor; FLEX only), from the champion
 *       fitted on the train part;
 *   <li>{@code staff}: what staff actually did; {@code flex_nobody}; {@code flex_everybody};
 *   <li>{@code truth_optimal} on generated data: flex exactly when the true effect is worth more than the cost.
 * </ul>
 *
 * A request's money outcome is valued as the ROI report values a grant: retained at the ROI horizon x lifetime
 * value at the request, plus the referred customers' value in the ROI's referral window; a flex costs the policy's
 * mean cost of a grant. Daily budgets are not applied (they depend on a day's other requests).
 */
public final class TargetingValue {
  public static final String LEEWAY = "leeway";
  public static final String TRUTH_OPTIMAL = "truth_optimal";
  private static final String MONEY = "__money";

  private TargetingValue() {}

  /**
   * @param heldOut the test part's requests with both feature vectors and the train-fitted champion's
   *     {@link UpliftTraining#UPLIFT_RETENTION} and {@link UpliftTraining#UPLIFT_REFERRALS}
   * @param requests the whole requests table (prices: cost per grant and value per converted referral)
   * @param truth the generator's truth, or null
   */
  public static PolicyValue.Result evaluate(LeewayConfig config, Dataset<Row> heldOut, Dataset<Row> requests,
      Map<String, double[]> support, Dataset<Row> truth) {
    int h = config.effects().roiHorizonDays();
    int w = config.effects().roiReferralWindowDays();
    Dataset<Row> prices = requests.filter(col(Cols.DECISION).equalTo(Cols.GRANTED)).groupBy(col(Cols.POLICY))
        .agg(avg(col(Cols.COST)).as(ScoreCols.EXPECTED_COST))
        .join(Scoring.referralValues(requests, w), Cols.POLICY, "full_outer");
    Dataset<Row> d = heldOut.join(broadcast(prices), Cols.POLICY, "left")
        .withColumn(ScoreCols.REFERRAL_VALUE, coalesce(col(ScoreCols.REFERRAL_VALUE),
            lit(config.outcomes().referredCustomerDefaultValue())))
        .withColumn(MONEY, col(OutcomeCols.retained(h)).cast("double").multiply(coalesce(col(FeatureCols.CLV),
            lit(0.0))).plus(coalesce(col(OutcomeCols.referredValueAfter(w)).cast("double"), lit(0.0))))
        .withColumn(ScoreCols.CLV, col(FeatureCols.CLV))
        .withColumn(ScoreCols.PAST_GRANTS, col(FeatureCols.priorGrants(config.features().priorExceptionsDays())))
        .withColumn(ScoreCols.UPLIFT_RETENTION, col(UpliftTraining.UPLIFT_RETENTION))
        .withColumn(ScoreCols.UPLIFT_REFERRALS, col(UpliftTraining.UPLIFT_REFERRALS))
        .withColumn(ScoreCols.OUTSIDE_SUPPORT, Scoring.outsideSupport(support));
    d = new Recommender(config.score()).firm(d)
        .withColumn(LEEWAY, col(ScoreCols.RECOMMENDATION).equalTo(Recommender.FLEX).cast("double"));
    List<String> rules = new ArrayList<>(List.of(LEEWAY));
    String tauRet = "tau_retention_" + h;
    String tauRef = "tau_referrals_" + w;
    if (truth != null && List.of(truth.columns()).containsAll(List.of(tauRet, tauRef))) {
      Column net = col(tauRet).multiply(coalesce(col(FeatureCols.CLV), lit(0.0)))
          .plus(col(tauRef).multiply(col(ScoreCols.REFERRAL_VALUE))).minus(col(ScoreCols.EXPECTED_COST));
      d = d.join(truth.select(Cols.EXCEPTION_ID, tauRet, tauRef), Cols.EXCEPTION_ID, "left")
          .withColumn(TRUTH_OPTIMAL, when(net.gt(0), 1.0).otherwise(0.0));
      rules.add(TRUTH_OPTIMAL);
    }
    d = d.drop(ModelFeatures.VECTOR).withColumnRenamed(UpliftTraining.NUISANCE_VECTOR, ModelFeatures.VECTOR);
    return new PolicyValue(config.effects(), new ModelFeatures(config.features(), true))
        .setTreatmentCol(OutcomeCols.TREATED).setOutcomeCol(MONEY).setCostCol(ScoreCols.EXPECTED_COST)
        .setRuleCols(rules).evaluate(d);
  }

  /** The result as stored in the train summary and read by the report. */
  public static Map<String, Object> toMap(PolicyValue.Result r) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("population", "the test part's matured requests (customers the model was not trained on), in overlap");
    out.put("baseline", r.baseline());
    PolicyValue.Coverage c = r.coverage();
    out.put("requests", c.requests());
    out.put("requests_evaluated", c.evaluated());
    out.put("share_evaluated", c.shareEvaluated());
    out.put("customers", c.customers());
    List<Map<String, Object>> rules = new ArrayList<>();
    for (PolicyValue.RuleValue v : r.rules()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("rule", v.rule());
      m.put("requests", v.requests());
      m.put("share_flexed", v.shareFlexed());
      put(m, "value_per_request", v.valuePerRequest());
      put(m, "total_value", v.totalValue());
      put(m, "difference_per_request", v.differencePerRequest());
      put(m, "difference_total", v.differenceTotal());
      rules.add(m);
    }
    out.put("rules", rules);
    // Every rule against flexing nobody: does targeting add anything at all?
    Map<String, Object> vsNobody = new LinkedHashMap<>();
    for (PolicyValue.RuleValue v : r.rules()) {
      if (!v.rule().equals(PolicyValue.NOBODY)) {
        PolicyValue.Difference d = r.compare(v.rule(), PolicyValue.NOBODY);
        Map<String, Object> m = new LinkedHashMap<>();
        put(m, "per_request", d.perRequest());
        put(m, "total", d.total());
        vsNobody.put(v.rule(), m);
      }
    }
    out.put("differences_from_flex_nobody", vsNobody);
    return out;
  }

  private static void put(Map<String, Object> m, String name, Interval i) {
    if (i == null) {
      m.put(name, null);
      return;
    }
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("value", i.value());
    v.put("low", i.low());
    v.put("high", i.high());
    v.put("p_value", i.pValue());
    m.put(name, v);
  }
}
