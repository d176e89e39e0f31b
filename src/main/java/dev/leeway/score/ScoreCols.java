package dev.leeway.score;

import java.util.List;

/** Columns of the scores output (contract: docs/scores.md). */
public final class ScoreCols {
  private ScoreCols() {}

  /** Version of the scores output contract; bumped when a column changes meaning or is removed. */
  public static final int CONTRACT_VERSION = 3;

  public static final String TEAM = "team";
  public static final String CLV = "clv";
  public static final String RISK_FLAG = "risk_flag";
  public static final String PAST_GRANTS = "past_grants";
  public static final String UPLIFT_RETENTION = "uplift_retention";
  public static final String UPLIFT_REFERRALS = "uplift_referrals";
  /** True when the policy's predicted retention uplift was shifted to agree with its measured effect. */
  public static final String UPLIFT_CALIBRATED = "uplift_calibrated";
  /** The numeric features on which the customer lies outside the training requests' range (empty: inside). */
  public static final String OUTSIDE_SUPPORT = "outside_support";
  public static final String REFERRAL_VALUE = "referral_value";
  public static final String EXPECTED_COST = "expected_cost";
  public static final String EXPECTED_VALUE = "expected_value";
  /** What a grant today is expected to cost the customer's next exceptions (money; 0 when not computed). */
  public static final String ENTITLEMENT_COST = "entitlement_cost";
  /** The customer's expected requests of this policy per day. */
  public static final String EXPECTED_REQUESTS = "expected_requests_per_day";
  /** The expected net value at or above which this row is FLEX (the floor, raised by budgets and ceilings). */
  public static final String FLEX_THRESHOLD = "flex_threshold";
  /** Grants in the sporadic-cap window at which a customer is held for every policy. */
  public static final String SPORADIC_CAP = "sporadic_cap";
  public static final String EXPECTED_NET_VALUE = "expected_net_value";
  public static final String RECOMMENDATION = "recommendation";
  public static final String MAX_CONCESSION = "max_concession";
  public static final String REASON_CODES = "reason_codes";
  public static final String REASONS = "reasons";
  public static final String MODEL_VERSION = "model_version";
  public static final String RUN_DATE = "run_date";
  public static final String VALID_UNTIL = "valid_until";

  /** The published columns, in order. */
  public static final List<String> PUBLISHED = List.of("customer_id", "policy", RECOMMENDATION, MAX_CONCESSION,
      EXPECTED_NET_VALUE, FLEX_THRESHOLD, EXPECTED_VALUE, EXPECTED_COST, ENTITLEMENT_COST, UPLIFT_RETENTION,
      UPLIFT_REFERRALS, UPLIFT_CALIBRATED, OUTSIDE_SUPPORT, CLV, REFERRAL_VALUE, PAST_GRANTS, SPORADIC_CAP,
      EXPECTED_REQUESTS, TEAM, REASON_CODES, REASONS, MODEL_VERSION, RUN_DATE, VALID_UNTIL);
}
