package dev.leeway.generate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The planted truth of generated data: who asks for which exception, who gets it (staff decide on what the data
 * shows, see {@link GrantRules}, plus an optional hidden confounder), and what a grant does to the churn hazard and
 * the referral rate (heterogeneous by policy, segment, tenure and recent grants). Every number the ground-truth
 * file cites comes from here.
 */
public final class World {
  private World() {}

  public static final List<String> POLICIES = List.of(
      "CHECK_HOLD_RELEASE", "TRIAL_EXTENSION", "WARRANTY_OVERRIDE", "LATE_RETURN", "FEE_WAIVER", "FREE_REBOOKING");
  /** Share of requests per policy (same order as POLICIES). */
  static final double[] POLICY_SHARE = {0.20, 0.12, 0.12, 0.20, 0.30, 0.06};
  /** Log-odds shift of being granted, per policy (the EASY world's intercepts). */
  static final double[] GRANT_BASE = {-0.2, 0.3, -0.4, 0.2, 0.4, 0.0};
  /** Reduction of the log churn hazard for a first grant to a CONSUMER of middling tenure, per policy. */
  static final double[] RETENTION_EFFECT = {0.9, 0.75, 0.8, 0.5, 0.0, 0.65};
  /** Increase of the log referral rate, per policy. */
  static final double[] REFERRAL_EFFECT = {0.6, 0.9, 0.5, 0.35, 0.0, 0.7};
  /** Typical concession cost per policy. */
  static final double[] POLICY_COST = {25, 60, 150, 40, 15, 90};
  /** The policy whose grants do nothing, by construction. */
  public static final String ZERO_EFFECT_POLICY = "FEE_WAIVER";

  public static final List<String> SEGMENTS = List.of("CONSUMER", "SMALL_BUSINESS", "ENTERPRISE");
  static final double[] SEGMENT_SHARE = {0.6, 0.3, 0.1};
  static final double[] SEGMENT_VALUE_SHIFT = {0.0, 0.7, 1.5};
  static final double[] SEGMENT_EFFECT = {1.0, 1.35, 0.5};

  static final List<String> REGIONS = List.of("NORTH", "SOUTH", "EAST", "WEST", "INTERNATIONAL");
  static final List<String> CUSTOMER_CHANNELS = List.of("BRANCH", "ONLINE", "PHONE", "PARTNER");
  static final List<String> REQUEST_CHANNELS = List.of("PHONE", "BRANCH", "ONLINE", "CHAT");
  static final int TEAMS = 12;
  static final int EMPLOYEES_PER_TEAM = 15;

  /** How long a grant's effect on hazard and referral rate lasts, in days. */
  public static final double EFFECT_DAYS = 365;
  /** Churn hazard per day of a typical customer without grants. */
  static final double BASE_HAZARD = 0.0011;
  /** Activity events per day of a typical customer. */
  static final double BASE_ACTIVITY_RATE = 0.045;
  /** Exception requests per day of a typical customer; frequent requesters (see WorldKind) ask more. */
  static final double BASE_REQUEST_RATE = 0.0003;
  /** Referrals per day of a typical customer, and the share that convert. */
  static final double BASE_REFERRAL_RATE = 0.0005;
  static final double REFERRAL_CONVERSION = 0.35;
  static final double RISK_FLAG_SHARE = 0.03;
  /** Days of history: requests, activity and snapshots cover the years before the end date. */
  static final int HISTORY_DAYS = 3 * 365;
  /** Days between lifetime-value snapshots. */
  static final int SNAPSHOT_EVERY_DAYS = 182;
  /**
   * The hidden confounder U's weight, per unit of strength, in the log churn hazard and (negatively) in the log
   * activity rate; in the grant log-odds its weight is the strength itself.
   */
  static final double HIDDEN_HAZARD = 0.6;
  static final double HIDDEN_ACTIVITY = 0.4;

  /** Log-odds leniency of each team (T01 strictest, T12 most lenient). */
  static double teamLeniency(int team) {
    return -0.6 + 1.2 * team / (TEAMS - 1.0);
  }

  /** Effect multiplier from grants the customer received in the year before (entitlement). */
  static double entitlement(int priorGrants365) {
    return priorGrants365 == 0 ? 1.0 : priorGrants365 == 1 ? 0.35 : -0.4;
  }

  static double tenureEffect(double tenureYears) {
    return tenureYears < 1 ? 1.4 : tenureYears < 4 ? 1.0 : 0.7;
  }

  /** Log-hazard reduction of a grant. */
  static double retentionEffect(int policy, int segment, int priorGrants365, double tenureYears) {
    return RETENTION_EFFECT[policy] * SEGMENT_EFFECT[segment] * entitlement(priorGrants365) * tenureEffect(tenureYears);
  }

  /** Log-rate increase of referrals after a grant. */
  static double referralEffect(int policy, int segment, int priorGrants365) {
    return REFERRAL_EFFECT[policy] * SEGMENT_EFFECT[segment] * entitlement(priorGrants365);
  }

  /** A map that keeps the order its pairs are given in, so the ground-truth file is byte-stable. */
  static Map<String, Object> ordered(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  /** The planted parameters of a world, for the ground-truth file. */
  public static Map<String, Object> describe(WorldKind world) {
    Map<String, Object> m = new LinkedHashMap<>();
    Map<String, Object> policies = new LinkedHashMap<>();
    for (int p = 0; p < POLICIES.size(); p++) {
      Map<String, Object> one = new LinkedHashMap<>();
      one.put("request_share", POLICY_SHARE[p]);
      one.put("log_hazard_reduction", RETENTION_EFFECT[p]);
      one.put("log_referral_rate_increase", REFERRAL_EFFECT[p]);
      one.put("typical_cost", POLICY_COST[p]);
      policies.put(POLICIES.get(p), one);
    }
    m.put("policies", policies);
    Map<String, Object> seg = new LinkedHashMap<>();
    for (int s = 0; s < SEGMENTS.size(); s++) {
      seg.put(SEGMENTS.get(s), SEGMENT_EFFECT[s]);
    }
    m.put("segment_effect_multiplier", seg);
    m.put("entitlement_multiplier_by_grants_in_prior_365_days",
        ordered("0", entitlement(0), "1", entitlement(1), "2+", entitlement(2)));
    m.put("tenure_effect_multiplier",
        ordered("under_1_year", tenureEffect(0), "1_to_4_years", tenureEffect(1), "over_4_years", tenureEffect(4)));
    m.put("effect_duration_days", EFFECT_DAYS);
    m.put("grant_probability", GrantRules.LEGEND);
    Map<String, Object> rules = new LinkedHashMap<>();
    for (int p = 0; p < POLICIES.size(); p++) {
      rules.put(POLICIES.get(p), GrantRules.of(world).get(p).formula());
    }
    m.put("grant_log_odds", rules);
    m.put("frequent_requesters", ordered("share", world.frequentShare, "request_rate_multiplier",
        world.frequentMultiplier));
    return m;
  }
}
