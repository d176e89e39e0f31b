package dev.leeway.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One simulated customer over the history window: attributes, exception requests and decisions, churn, activity,
 * value snapshots and referrals (whose converted referrals are customers with stories of their own). Times are
 * days since 1970-01-01 (fractional). Churn follows a hazard that each grant lowers for a year; referrals follow a
 * rate that each grant raises for a year.
 */
final class CustomerStory {
  /** An exception request and the effect a grant would have (whether or not it was granted). */
  static final class Request {
    int number;
    double day;
    int policy;
    int team;
    int employee;
    String channel;
    double cost;
    boolean granted;
    double propensity;
    int priorGrants365;
    double tenureYears;
    double retentionEffect;
    double referralEffect;
  }

  /** A referral made by this customer; {@code referred} is set once it converted before the end date. */
  static final class Referral {
    int number;
    double day;
    boolean converted;
    CustomerStory referred;
  }

  final GeneratorSpec spec;
  final long index;
  final String id;
  final double signupDay;
  final double startDay;
  final double endDay;
  final int segment;
  final String region;
  final String channel;
  final double valueZ;
  final double annualValue;
  final boolean risk;
  final double hazard0;
  final double activityRate;
  final double referralRate;
  final List<Request> requests = new ArrayList<>();
  final List<Referral> referrals = new ArrayList<>();
  double churnDay = Double.POSITIVE_INFINITY;

  /** A base customer. */
  static CustomerStory base(GeneratorSpec spec, long index) {
    Rng rng = new Rng(spec.seed(), index, 1);
    double end = spec.endExclusiveDay();
    double signup = Math.floor(end - rng.uniform(30, 3650));
    return new CustomerStory(spec, index, String.format("C%08d", index), signup, rng, true);
  }

  private CustomerStory(GeneratorSpec spec, long index, String id, double signupDay, Rng rng, boolean mayRefer) {
    this.spec = spec;
    this.index = index;
    this.id = id;
    this.signupDay = signupDay;
    this.endDay = spec.endExclusiveDay();
    this.startDay = Math.max(signupDay, endDay - World.HISTORY_DAYS);
    this.segment = rng.categorical(World.SEGMENT_SHARE);
    this.region = rng.pick(World.REGIONS);
    this.channel = rng.pick(World.CUSTOMER_CHANNELS);
    this.valueZ = rng.normal();
    this.annualValue = 400 * Math.exp(0.8 * valueZ + World.SEGMENT_VALUE_SHIFT[segment]);
    this.risk = rng.chance(World.RISK_FLAG_SHARE);
    double tenureAtStart = Math.max(0, (startDay - signupDay) / 365);
    this.hazard0 = World.BASE_HAZARD * Math.exp(-0.8 * valueZ - 0.1 * Math.min(tenureAtStart, 8) + 0.3)
        * (risk ? 1.5 : 1.0);
    this.activityRate = World.BASE_ACTIVITY_RATE * Math.exp(0.35 * valueZ + 0.45 * rng.normal());
    // Referred customers make no referrals of their own: the chain stops at one step.
    this.referralRate = mayRefer ? World.BASE_REFERRAL_RATE * Math.exp(0.3 * valueZ) : 0;
    double requestRate = World.BASE_REQUEST_RATE * Math.exp(0.2 * valueZ)
        * (rng.chance(World.FREQUENT_SHARE) ? World.FREQUENT_MULTIPLIER : 1.0);
    simulateRequestsAndChurn(rng, requestRate);
    if (mayRefer) {
      simulateReferrals(stream(3));
    }
  }

  private void simulateRequestsAndChurn(Rng rng, double requestRate) {
    double budget = rng.exponential(1.0);
    double t = startDay;
    while (true) {
      double next = t + rng.exponential(requestRate);
      double limit = Math.min(next, endDay);
      double crossing = crossing(t, limit, budget, -1, false);
      if (!Double.isNaN(crossing)) {
        churnDay = crossing;
        return;
      }
      budget -= cumulativeHazard(t, limit, -1, false);
      if (next >= endDay) {
        return;
      }
      requests.add(newRequest(rng, next));
      t = next;
    }
  }

  private Request newRequest(Rng rng, double day) {
    Request r = new Request();
    r.number = requests.size() + 1;
    r.day = day;
    r.policy = rng.categorical(World.POLICY_SHARE);
    r.team = rng.below(World.TEAMS);
    r.employee = rng.below(World.EMPLOYEES_PER_TEAM);
    r.channel = rng.pick(World.REQUEST_CHANNELS);
    r.cost = Math.round(World.POLICY_COST[r.policy] * Math.exp(0.35 * rng.normal()) * 100) / 100.0;
    r.tenureYears = (day - signupDay) / 365;
    for (Request prior : requests) {
      if (prior.granted && prior.day > day - 365) {
        r.priorGrants365++;
      }
    }
    r.propensity = World.grantProbability(r.policy, valueZ, r.tenureYears, risk, r.team, r.priorGrants365);
    r.granted = rng.chance(r.propensity);
    r.retentionEffect = World.retentionEffect(r.policy, segment, r.priorGrants365, r.tenureYears);
    r.referralEffect = World.referralEffect(r.policy, segment, r.priorGrants365);
    return r;
  }

  /** Whether grant {@code j} is in force, with request {@code flip} optionally forced on or off. */
  private boolean grantOn(int j, int flip, boolean flipTo) {
    return j == flip ? flipTo : requests.get(j).granted;
  }

  double hazardAt(double day, int flip, boolean flipTo) {
    double sum = 0;
    for (int j = 0; j < requests.size(); j++) {
      Request g = requests.get(j);
      if (grantOn(j, flip, flipTo) && g.day < day && day <= g.day + World.EFFECT_DAYS) {
        sum += g.retentionEffect;
      }
    }
    return hazard0 * Math.exp(-sum);
  }

  double referralRateAt(double day, int flip, boolean flipTo) {
    double sum = 0;
    for (int j = 0; j < requests.size(); j++) {
      Request g = requests.get(j);
      if (grantOn(j, flip, flipTo) && g.day < day && day <= g.day + World.EFFECT_DAYS) {
        sum += g.referralEffect;
      }
    }
    return referralRate * Math.exp(sum);
  }

  /** Points where the hazard may change inside (a, b), with a and b, sorted. */
  private double[] breakpoints(double a, double b) {
    double[] pts = new double[2 + 2 * requests.size()];
    int n = 0;
    pts[n++] = a;
    pts[n++] = b;
    for (Request g : requests) {
      for (double p : new double[] {g.day, g.day + World.EFFECT_DAYS}) {
        if (p > a && p < b) {
          pts[n++] = p;
        }
      }
    }
    double[] out = Arrays.copyOf(pts, n);
    Arrays.sort(out);
    return out;
  }

  double cumulativeHazard(double a, double b, int flip, boolean flipTo) {
    double[] pts = breakpoints(a, b);
    double total = 0;
    for (int i = 0; i + 1 < pts.length; i++) {
      total += hazardAt((pts[i] + pts[i + 1]) / 2, flip, flipTo) * (pts[i + 1] - pts[i]);
    }
    return total;
  }

  /** The day in [a, b) at which the cumulative hazard from a reaches {@code budget}, or NaN if it does not. */
  private double crossing(double a, double b, double budget, int flip, boolean flipTo) {
    double[] pts = breakpoints(a, b);
    double acc = 0;
    for (int i = 0; i + 1 < pts.length; i++) {
      double rate = hazardAt((pts[i] + pts[i + 1]) / 2, flip, flipTo);
      double add = rate * (pts[i + 1] - pts[i]);
      if (acc + add >= budget) {
        return pts[i] + (budget - acc) / rate;
      }
      acc += add;
    }
    return Double.NaN;
  }

  private void simulateReferrals(Rng rng) {
    double stop = Math.min(churnDay, endDay);
    double maxBoost = 0;
    for (Request g : requests) {
      maxBoost += g.granted ? Math.max(0, g.referralEffect) : 0;
    }
    double maxRate = referralRate * Math.exp(maxBoost);
    double t = startDay;
    int k = 0;
    while (true) {
      t += rng.exponential(maxRate);
      if (t >= stop) {
        return;
      }
      if (!rng.chance(referralRateAt(t, -1, false) / maxRate)) {
        continue;
      }
      Referral ref = new Referral();
      ref.number = ++k;
      ref.day = t;
      boolean converts = rng.chance(World.REFERRAL_CONVERSION);
      double conversionDay = Math.floor(t + rng.uniform(1, 21));
      if (converts && conversionDay < endDay) {
        ref.converted = true;
        Rng child = new Rng(spec.seed(), index, 1000 + k);
        ref.referred = new CustomerStory(spec, index, id + "R" + k, conversionDay, child, false);
      }
      referrals.add(ref);
    }
  }

  /** Activity event days (sorted) between the start of history and churn or the end date. */
  double[] activityDays() {
    Rng rng = stream(2);
    double stop = Math.min(churnDay, endDay);
    double[] days = new double[16];
    int n = 0;
    double t = startDay;
    while (true) {
      t += rng.exponential(activityRate);
      if (t >= stop) {
        break;
      }
      if (n == days.length) {
        days = Arrays.copyOf(days, n * 2);
      }
      days[n++] = t;
    }
    return Arrays.copyOf(days, n);
  }

  /** Whether the customer churned within (from, to]. */
  boolean churnedWithin(double from, double to) {
    return churnDay > from && churnDay <= to;
  }

  /** Expected retention (survival times activity in the last window) with request i's grant forced on or off. */
  double expectedRetention(int i, boolean granted, double horizon, double inactivityDays) {
    Request r = requests.get(i);
    double survive = Math.exp(-cumulativeHazard(r.day, r.day + horizon, i, granted));
    return survive * (1 - Math.exp(-activityRate * Math.min(inactivityDays, horizon)));
  }

  /** Expected converted referrals made within (day, day + window] with request i's grant forced on or off. */
  double expectedReferrals(int i, boolean granted, double window) {
    Request r = requests.get(i);
    double cumHazard = 0;
    double expected = 0;
    int steps = (int) Math.ceil(window);
    double step = window / steps;
    for (int s = 0; s < steps; s++) {
      double mid = r.day + (s + 0.5) * step;
      double h = hazardAt(mid, i, granted);
      double survive = Math.exp(-(cumHazard + h * step / 2));
      expected += referralRateAt(mid, i, granted) * survive * step;
      cumHazard += h * step;
    }
    return World.REFERRAL_CONVERSION * expected;
  }

  /** A random stream of this customer's for one purpose (2 activity, 3 referrals, 4 values, 5 PII, 10+ dirt). */
  Rng stream(int purpose) {
    return new Rng(spec.seed(), index, purpose * 1_000_003L + id.hashCode());
  }

  String segmentName() {
    return World.SEGMENTS.get(segment);
  }
}
