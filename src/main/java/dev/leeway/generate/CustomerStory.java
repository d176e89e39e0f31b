package dev.leeway.generate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One simulated customer over the history window: attributes, exception requests and decisions, churn, activity,
 * value snapshots and referrals (whose converted referrals are customers with stories of their own). Times are
 * days since 1970-01-01 (fractional). Churn follows a hazard that each grant lowers for a year; referrals follow a
 * rate that each grant raises for a year. Staff decide on what the written tables show at the request time
 * ({@link Seen}); outcomes depend on latent value and, when switched on, on a hidden confounder.
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
    /** The uniform draw the decision compared with the propensity: kept to re-decide in counterfactual histories. */
    double draw;
    Seen seen;
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
  /** The hidden confounder U ~ N(0, 1): unhappiness staff notice but the CRM does not record. */
  final double hidden;
  final double hazard0;
  final double activityRate;
  final double referralRate;
  /**
   * Activity event days (sorted) up to the end date, churn or not (cut off at churn when written), and the same
   * instants in whole seconds as the table writes them. Drawn on first use from a stream of their own: activity
   * before a request does not depend on churn after it, so staff can see it; most customers never ask, and then
   * only the activity table needs it.
   */
  private double[] activityUncut;
  private long[] activitySeconds;
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
    // Drawn whatever the strength, from a stream of its own, so that the knob moves no other draw.
    this.hidden = stream(8).normal();
    double s = spec.hiddenConfounding();
    double tenureAtStart = Math.max(0, (startDay - signupDay) / 365);
    this.hazard0 = World.BASE_HAZARD * Math.exp(-0.8 * valueZ - 0.1 * Math.min(tenureAtStart, 8) + 0.3
        + World.HIDDEN_HAZARD * s * hidden) * (risk ? 1.5 : 1.0);
    this.activityRate = World.BASE_ACTIVITY_RATE
        * Math.exp(0.35 * valueZ + 0.45 * rng.normal() - World.HIDDEN_ACTIVITY * s * hidden);
    // Referred customers make no referrals of their own: the chain stops at one step.
    this.referralRate = mayRefer ? World.BASE_REFERRAL_RATE * Math.exp(0.3 * valueZ) : 0;
    double requestRate = World.BASE_REQUEST_RATE * Math.exp(0.2 * valueZ)
        * (rng.chance(spec.world().frequentShare) ? spec.world().frequentMultiplier : 1.0);
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
      double crossing = crossing(t, limit, budget, realised);
      if (!Double.isNaN(crossing)) {
        churnDay = crossing;
        return;
      }
      budget -= cumulativeHazard(t, limit, realised);
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
    r.seen = seen(day, r.team, r.channel, realised);
    r.priorGrants365 = r.seen.priorGrants365();
    r.propensity = propensity(r, r.seen);
    r.draw = rng.uniform();
    r.granted = r.draw < r.propensity;
    r.retentionEffect = World.retentionEffect(r.policy, segment, r.priorGrants365, r.tenureYears);
    r.referralEffect = World.referralEffect(r.policy, segment, r.priorGrants365);
    return r;
  }

  private double propensity(Request r, Seen seen) {
    double logit = GrantRules.logit(spec.world(), r.policy, seen) + spec.hiddenConfounding() * hidden;
    return 1 / (1 + Math.exp(-logit));
  }

  /** Which requests are granted and what each grant does: the realised history or a counterfactual one. */
  interface History {
    boolean granted(int j);

    double retentionEffect(int j);

    double referralEffect(int j);
  }

  /** The history that happened (read live: during the simulation it grows request by request). */
  private final History realised = new History() {
    @Override
    public boolean granted(int j) {
      return requests.get(j).granted;
    }

    @Override
    public double retentionEffect(int j) {
      return requests.get(j).retentionEffect;
    }

    @Override
    public double referralEffect(int j) {
      return requests.get(j).referralEffect;
    }
  };

  /** A history given request by request. */
  private record Fixed(boolean[] granted, double[] retention, double[] referral) implements History {
    @Override
    public boolean granted(int j) {
      return granted[j];
    }

    @Override
    public double retentionEffect(int j) {
      return retention[j];
    }

    @Override
    public double referralEffect(int j) {
      return referral[j];
    }
  }

  /**
   * The history had request {@code i} been decided {@code grant}: the customer's later requests within
   * {@code window} days are decided again, with their own random draws, on what staff would then have seen (prior
   * grants, the value snapshot, which reflects the changed hazard), and their effects follow the changed
   * entitlement. This is the total effect of a decision, which is what a comparison of granted and denied requests
   * measures. Requests the customer would have made after a churn that the grant prevented are not invented.
   */
  History counterfactual(int i, boolean grant, double window) {
    int n = requests.size();
    boolean[] granted = new boolean[n];
    double[] retention = new double[n];
    double[] referral = new double[n];
    for (int j = 0; j < n; j++) {
      Request r = requests.get(j);
      granted[j] = j == i ? grant : r.granted;
      retention[j] = r.retentionEffect;
      referral[j] = r.referralEffect;
    }
    Fixed h = new Fixed(granted, retention, referral);
    double until = requests.get(i).day + window;
    for (int j = i + 1; j < n && requests.get(j).day <= until; j++) {
      Request r = requests.get(j);
      Seen seen = seen(r.day, r.team, r.channel, h);
      granted[j] = r.draw < propensity(r, seen);
      retention[j] = World.retentionEffect(r.policy, segment, seen.priorGrants365(), r.tenureYears);
      referral[j] = World.referralEffect(r.policy, segment, seen.priorGrants365());
    }
    return h;
  }

  /** What the written tables show about a request at {@code day}: the features the pipeline computes for it. */
  private Seen seen(double day, int team, String channel, History history) {
    long at = seconds(day);
    long atDay = Math.floorDiv(at, 86_400L);
    int tenureDays = (int) (atDay - (long) Math.floor(signupDay));
    Snapshot snap = latestSnapshotBefore(atDay, history);
    int grants = 0;
    int asked = 0;
    for (int j = 0; j < requests.size(); j++) {
      long p = seconds(requests.get(j).day);
      if (p >= at - 365 * 86_400L && p < at) {
        asked++;
        grants += history.granted(j) ? 1 : 0;
      }
    }
    int events = countIn(activitySeconds(), at - 90 * 86_400L, at);
    return new Seen(snap != null, snap == null ? 0 : snap.clv(), snap == null ? 0 : snap.historical(),
        snap != null && risk, tenureDays, grants, asked, events, segment, team, channel);
  }

  /** A lifetime-value snapshot as written (values rounded to cents, as the table holds them). */
  record Snapshot(double day, double clv, double historical) {}

  /** Day of snapshot {@code k}: every SNAPSHOT_EVERY_DAYS from the start of history; before signup none is written. */
  double snapshotDay(int k) {
    return endDay - World.HISTORY_DAYS + (double) k * World.SNAPSHOT_EVERY_DAYS;
  }

  /** How many snapshot days fall before the end date (some may precede signup and are not written). */
  int snapshotSlots() {
    return (int) Math.ceil(World.HISTORY_DAYS / (double) World.SNAPSHOT_EVERY_DAYS);
  }

  /**
   * Snapshot {@code k}, or null when it precedes signup. Its noise has a stream of its own, so the value the
   * simulation showed staff at a request is the value the table writes; the hazard it reflects depends only on
   * grants before its day.
   */
  Snapshot snapshot(int k) {
    return snapshot(k, realised);
  }

  private Snapshot snapshot(int k, History history) {
    double d = snapshotDay(k);
    if (d < signupDay) {
      return null;
    }
    Rng noise = stream(100 + k);
    double clvNoise = noise.normal();
    double historicalNoise = noise.normal();
    boolean churned = churnDay <= d;
    double remainingYears = Math.min(1 / (hazardAt(d, history) * 365), 12);
    double clv = churned ? 0 : annualValue * remainingYears * Math.exp(0.15 * clvNoise);
    double historical = annualValue * (d - signupDay) / 365 * Math.exp(0.1 * historicalNoise);
    return new Snapshot(d, cents(clv), cents(historical));
  }

  /** The latest snapshot dated strictly before {@code day} (an epoch day), or null. */
  private Snapshot latestSnapshotBefore(long day, History history) {
    for (int k = snapshotSlots() - 1; k >= 0; k--) {
      double d = snapshotDay(k);
      if (d < day) {
        return d < signupDay ? null : snapshot(k, history);
      }
    }
    return null;
  }

  /**
   * A value rounded to cents: the table writes it with two decimals, which ingest parses back to this very double
   * (faster than formatting and parsing, which showed in the profile).
   */
  static double cents(double v) {
    return Math.round(v * 100) / 100.0;
  }

  /** An instant in whole seconds, as timestamps are written. */
  static long seconds(double day) {
    return Math.round(day * 86400);
  }

  /** How many sorted values lie in [from, to). */
  static int countIn(long[] sorted, long from, long to) {
    return lowerBound(sorted, to) - lowerBound(sorted, from);
  }

  private static int lowerBound(long[] sorted, long key) {
    int lo = 0;
    int hi = sorted.length;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (sorted[mid] < key) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  double hazardAt(double day, History history) {
    double sum = 0;
    for (int j = 0; j < requests.size(); j++) {
      Request g = requests.get(j);
      if (history.granted(j) && g.day < day && day <= g.day + World.EFFECT_DAYS) {
        sum += history.retentionEffect(j);
      }
    }
    return hazard0 * Math.exp(-sum);
  }

  double referralRateAt(double day, History history) {
    double sum = 0;
    for (int j = 0; j < requests.size(); j++) {
      Request g = requests.get(j);
      if (history.granted(j) && g.day < day && day <= g.day + World.EFFECT_DAYS) {
        sum += history.referralEffect(j);
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

  double cumulativeHazard(double a, double b, History history) {
    double[] pts = breakpoints(a, b);
    double total = 0;
    for (int i = 0; i + 1 < pts.length; i++) {
      total += hazardAt((pts[i] + pts[i + 1]) / 2, history) * (pts[i + 1] - pts[i]);
    }
    return total;
  }

  /** The day in [a, b) at which the cumulative hazard from a reaches {@code budget}, or NaN if it does not. */
  private double crossing(double a, double b, double budget, History history) {
    double[] pts = breakpoints(a, b);
    double acc = 0;
    for (int i = 0; i + 1 < pts.length; i++) {
      double rate = hazardAt((pts[i] + pts[i + 1]) / 2, history);
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
      if (!rng.chance(referralRateAt(t, realised) / maxRate)) {
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

  private long[] activitySeconds() {
    if (activitySeconds == null) {
      double[] days = activityUncut();
      activitySeconds = new long[days.length];
      for (int i = 0; i < days.length; i++) {
        activitySeconds[i] = seconds(days[i]);
      }
    }
    return activitySeconds;
  }

  private double[] activityUncut() {
    if (activityUncut == null) {
      activityUncut = simulateActivity();
    }
    return activityUncut;
  }

  /** Activity event days (sorted) from the start of history to the end date, ignoring churn. */
  private double[] simulateActivity() {
    Rng rng = stream(2);
    double[] days = new double[16];
    int n = 0;
    double t = startDay;
    while (true) {
      t += rng.exponential(activityRate);
      if (t >= endDay) {
        break;
      }
      if (n == days.length) {
        days = Arrays.copyOf(days, n * 2);
      }
      days[n++] = t;
    }
    return Arrays.copyOf(days, n);
  }

  /** Activity event days (sorted) between the start of history and churn or the end date. */
  double[] activityDays() {
    double[] all = activityUncut();
    int n = 0;
    while (n < all.length && all[n] < churnDay) {
      n++;
    }
    return n == all.length ? all : Arrays.copyOf(all, n);
  }

  /** Whether the customer churned within (from, to]. */
  boolean churnedWithin(double from, double to) {
    return churnDay > from && churnDay <= to;
  }

  /**
   * Expected retention (survival times activity in the last window) over {@code horizon} days after request i, in a
   * history (see {@link #counterfactual}).
   */
  double expectedRetention(int i, History history, double horizon, double inactivityDays) {
    Request r = requests.get(i);
    double survive = Math.exp(-cumulativeHazard(r.day, r.day + horizon, history));
    return survive * (1 - Math.exp(-activityRate * Math.min(inactivityDays, horizon)));
  }

  /** Expected converted referrals made within (day, day + window] after request i, in a history. */
  double expectedReferrals(int i, History history, double window) {
    Request r = requests.get(i);
    double cumHazard = 0;
    double expected = 0;
    int steps = (int) Math.ceil(window);
    double step = window / steps;
    for (int s = 0; s < steps; s++) {
      double mid = r.day + (s + 0.5) * step;
      double h = hazardAt(mid, history);
      double survive = Math.exp(-(cumHazard + h * step / 2));
      expected += referralRateAt(mid, history) * survive * step;
      cumHazard += h * step;
    }
    return World.REFERRAL_CONVERSION * expected;
  }

  /**
   * A random stream of this customer's for one purpose (2 activity, 3 referrals, 5 PII, 6 notes, 7 activity kinds,
   * 8 hidden confounder, 9 age, 10+ dirt, 100 + k snapshot k).
   */
  Rng stream(int purpose) {
    return new Rng(spec.seed(), index, purpose * 1_000_003L + id.hashCode());
  }

  String segmentName() {
    return World.SEGMENTS.get(segment);
  }
}
