package dev.leeway.generate;

import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * How staff decide on a request in each world: the log-odds of a grant as a function of what they can see
 * ({@link Seen}), one rule per policy, each with the formula the ground-truth file states. A hidden confounder,
 * when switched on, is added by the caller, never here.
 */
final class GrantRules {
  private GrantRules() {}

  /** One policy's rule: its formula in words and its log-odds. */
  record Rule(String formula, ToDoubleFunction<Seen> logit) {}

  /** Log-odds penalty of a risk flag: flagged customers are rarely flexed (the hard line), but staff do slip. */
  static final double RISK_PENALTY = 2.5;

  private static final String COMMON = " + team_leniency - 2.5*risk_flag";

  /** EASY: one main-effects rule for every policy; the policy only shifts the intercept. */
  private static final List<Rule> EASY = easy();

  /** HARD: a different, non-linear rule per policy (same order as World.POLICIES). */
  private static final List<Rule> HARD = List.of(
      // Checks are released for high-value customers; long history adds to value (clv x tenure interaction).
      new Rule("-1.6 + 2.4*[z_clv > 0.3] + 0.3*max(0, z_clv)*min(tenure_years, 6)" + COMMON,
          x -> -1.6 + (x.clvZ() > 0.3 ? 2.4 : 0) + 0.3 * Math.max(0, x.clvZ()) * Math.min(x.tenureYears(), 6)
              + common(x)),
      // Trials are extended for heavy users: recent activity on a log scale, saturating.
      new Rule("-2.2 + 1.7*min(ln(1 + events_90d), 2.5)" + COMMON,
          x -> -2.2 + 1.7 * Math.min(Math.log1p(x.events90()), 2.5) + common(x)),
      // Warranties are honoured for customers of a few years' standing, less for the newest and the oldest.
      new Rule("-1.4 + 2.6*exp(-((tenure_years - 3)/1.5)^2) + 0.8*z_clv" + COMMON,
          x -> -1.4 + 2.6 * Math.exp(-Math.pow((x.tenureYears() - 3) / 1.5, 2)) + 0.8 * x.clvZ() + common(x)),
      // Late returns: repeat requesters are refused; a receipt shown in a branch helps.
      new Rule("1.0 - 1.3*min(prior_requests_365d, 3) + 1.0*z_clv + 0.5*[channel = BRANCH]" + COMMON,
          x -> 1.0 - 1.3 * Math.min(x.priorRequests365(), 3) + 1.0 * x.clvZ()
              + ("BRANCH".equals(x.channel()) ? 0.5 : 0) + common(x)),
      // Fee waivers depend mostly on which team takes the call.
      new Rule("0.2 + 2.5*team_leniency + 0.5*z_clv - 2.5*risk_flag",
          x -> 0.2 + 1.5 * World.teamLeniency(x.team()) + 0.5 * x.clvZ() + common(x)),
      // Rebooking: each segment has its own curve in value (segment x clv interaction), highest in the middle.
      new Rule("by segment: CONSUMER -0.1 + 0.9*z_clv - 0.45*z_clv^2; SMALL_BUSINESS 0.4 + 0.3*z_clv"
          + " - 0.45*z_clv^2; ENTERPRISE 0.9 - 0.35*z_clv^2; then" + COMMON,
          x -> rebooking(x) + common(x)));

  private static List<Rule> easy() {
    String[] formulas = new String[World.POLICIES.size()];
    Rule[] rules = new Rule[formulas.length];
    for (int p = 0; p < rules.length; p++) {
      double base = World.GRANT_BASE[p] - 0.9;
      rules[p] = new Rule(String.format(java.util.Locale.ROOT,
          "%.1f + 1.5*z_clv + 0.25*min(tenure_years, 8) - 0.35*prior_grants_365d", base) + COMMON,
          x -> base + 1.5 * x.clvZ() + 0.25 * Math.min(x.tenureYears(), 8) - 0.35 * x.priorGrants365() + common(x));
    }
    return List.of(rules);
  }

  private static double common(Seen x) {
    return World.teamLeniency(x.team()) - (x.risk() ? RISK_PENALTY : 0);
  }

  private static double rebooking(Seen x) {
    double z = x.clvZ();
    return switch (x.segment()) {
      case 0 -> -0.1 + 0.9 * z - 0.45 * z * z;
      case 1 -> 0.4 + 0.3 * z - 0.45 * z * z;
      default -> 0.9 - 0.35 * z * z;
    };
  }

  static List<Rule> of(WorldKind world) {
    return world == WorldKind.EASY ? EASY : HARD;
  }

  /** Log-odds of a grant from what staff see. */
  static double logit(WorldKind world, int policy, Seen seen) {
    return of(world).get(policy).logit().applyAsDouble(seen);
  }

  /** What the symbols in the formulas mean, for the ground-truth file. */
  static final String LEGEND = "logistic(log_odds [+ strength*U]); z_clv = (ln(max(clv, 1)) - " + Seen.LOG_CLV_MEAN
      + ")/" + Seen.LOG_CLV_SD + " from the latest snapshot dated before the request day (" + Seen.NO_CLV_Z
      + " without one, has_clv = 0); tenure_years = tenure_days/365 (request date - signup date); risk_flag of that"
      + " snapshot (0 without one); prior_grants_365d, prior_requests_365d and events_90d (non-CHURN activity)"
      + " counted in [request - N days, request); team_leniency = -0.6 + 1.2*(team_number - 1)/11; [c] = 1 when c"
      + " holds. These are exactly the features `leeway outcomes` computes for the request.";
}
