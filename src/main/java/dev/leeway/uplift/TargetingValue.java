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
import org.apache.spark.sql.functions;

/**
 * "What if staff had followed Leeway?": the doubly robust value in money ({@link PolicyValue}) of targeting rules
 * on the test part's requests, which the model that makes the recommendation was not trained on:
 *
 * <ul>
 *   <li>{@code leeway}: the recommendation as scores make it ({@link Recommender#apply}: hard lines, the
 *       customer's past grants against the sporadic cap, support, the floor, and the thresholds of the sporadic
 *       ceilings and daily budgets on expected requests; FLEX only), from the champion fitted on the train part;
 *   <li>{@code leeway_unconstrained}: the same without the ceilings and budgets ({@link Recommender#firm});
 *   <li>{@code staff}: what staff actually did; {@code flex_nobody}; {@code flex_everybody};
 *   <li>{@code truth_optimal} on generated data: flex exactly when the true effect is worth more than the cost.
 * </ul>
 *
 * A request's money outcome is valued as the ROI report values a grant: retained at the ROI horizon x lifetime
 * value at the request, plus the referred customers' value in the ROI's referral window; a flex costs the policy's
 * mean cost of a grant. The entitlement cost of scores is not subtracted here (it needs the model's view of each
 * customer's next requests, which past requests do not have).
 */
public final class TargetingValue {
  public static final String LEEWAY = "leeway";
  public static final String LEEWAY_UNCONSTRAINED = "leeway_unconstrained";
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
    Recommender recommender = new Recommender(config.score());
    d = recommender.firm(d)
        .withColumn(LEEWAY_UNCONSTRAINED, col(ScoreCols.RECOMMENDATION).equalTo(Recommender.FLEX).cast("double"));
    Rates rates = rates(heldOut, requests);
    d = recommender.constrain(d.withColumn(ScoreCols.EXPECTED_REQUESTS, rates.population()), rates.customer())
        .withColumn(LEEWAY, col(ScoreCols.RECOMMENDATION).equalTo(Recommender.FLEX).cast("double"));
    List<String> rules = new ArrayList<>(List.of(LEEWAY, LEEWAY_UNCONSTRAINED));
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

  /** How many requests a day a held-out request stands for: in the population, and for its customer. */
  private record Rates(Column population, Column customer) {}

  /**
   * Budgets and ceilings count expected requests a day. A held-out request stands for its policy's requests over
   * the days the held-out requests span, of which the test part holds a share: each is N_p / (n_p x days)
   * requests a day of the whole population (N_p the requests of the policy in those days, n_p the held-out ones),
   * and 1 / days of its own customer (the split keeps each customer's requests together).
   */
  private static Rates rates(Dataset<Row> heldOut, Dataset<Row> requests) {
    Row span = heldOut.agg(functions.min(col(Cols.REQUESTED_AT)), functions.max(col(Cols.REQUESTED_AT))).first();
    if (span.isNullAt(0)) {
      return new Rates(lit(0.0), lit(0.0));
    }
    double days = Math.max(1.0, (span.getTimestamp(1).getTime() - span.getTimestamp(0).getTime()) / 86_400_000.0);
    Map<String, Long> test = counts(heldOut);
    Map<String, Long> all = counts(requests.filter(col(Cols.REQUESTED_AT).between(span.getTimestamp(0),
        span.getTimestamp(1))));
    List<Column> kv = new ArrayList<>();
    test.forEach((p, n) -> {
      kv.add(lit(p));
      kv.add(lit(all.getOrDefault(p, n) / (n * days)));
    });
    return new Rates(coalesce(functions.element_at(functions.map(kv.toArray(Column[]::new)), col(Cols.POLICY)),
        lit(0.0)), lit(1.0 / days));
  }

  private static Map<String, Long> counts(Dataset<Row> d) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (Row r : d.groupBy(col(Cols.POLICY)).count().collectAsList()) {
      out.put(r.getString(0), r.getLong(1));
    }
    return out;
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
