package dev.leeway.causal;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Return on investment per cell (overall, policy, segment, team) for the grants the effect estimate is for: those
 * inside the overlap (grants with comparable denied requests). Value per grant is the doubly robust ATT of the
 * retained value (retained at the ROI horizon x lifetime value at the request) plus that of the converted
 * referrals' value; net value = grants valued x value per grant - their cost; ROI = net value / cost. The
 * interval comes from the estimates' joint influence function, summed per customer (cluster-robust), with the
 * grants and their cost taken as given.
 */
public final class Roi {
  private static final String[] OUTCOMES = {"rv", "rf", "ret", "ref"};

  /** ROI of one cell; value fields are null when the cell is too small to tell. */
  public record Result(String level, String policy, String segment, String team, long grants, double totalCost,
      long grantsValued, double costValued, long matureRows, boolean tooSmall,
      Interval retainedPerGrant, Interval referralsPerGrant, Double retainedValue, Double referralValue,
      Interval netValue, Interval roi, Double paybackDays, Double qValue) implements Serializable {

    /** The same result with the Benjamini-Hochberg q-value of its net value among the cells of its level. */
    Result withQ(double q) {
      return new Result(level, policy, segment, team, grants, totalCost, grantsValued, costValued, matureRows,
          tooSmall, retainedPerGrant, referralsPerGrant, retainedValue, referralValue, netValue, roi, paybackDays, q);
    }

    /** Share of the cell's grants the figures value (the rest had no comparable denied requests). */
    public Double shareOfGrantsValued() {
      return grants == 0 ? null : (double) grantsValued / grants;
    }
  }

  private final int horizonDays;
  private final SizeRule size;

  public Roi(int horizonDays, SizeRule size) {
    this.horizonDays = horizonDays;
    this.size = size;
  }

  /**
   * {@code scored}: customer, treatment, clipped propensity, overlap flag, cost, and the four ROI outcomes with
   * their mu_0 columns: retained value, referral value, retention, converted referrals.
   */
  public List<Result> compute(Dataset<Row> scored, String treatmentCol, String eCol, String overlapCol,
      EffectOutcome retainedValue, EffectOutcome referralValue, EffectOutcome retention, EffectOutcome referrals,
      List<Level> levels) {
    Column t = col(treatmentCol).cast("double");
    Column c = lit(1.0).minus(t);
    Column e = col(eCol);
    Column w = e.divide(lit(1.0).minus(e));
    Column in = col(overlapCol);
    Column cost = coalesce(col(Cols.COST), lit(0.0));
    EffectOutcome[] os = {retainedValue, referralValue, retention, referrals};
    List<String> names = new ArrayList<>();
    List<Column> values = new ArrayList<>();
    List<String> plainNames = new ArrayList<>(List.of("grants", "cost", "grants_valued", "cost_valued"));
    List<Column> plain = new ArrayList<>(List.of(t, t.multiply(cost), when(in, t).otherwise(0.0),
        when(in, t.multiply(cost)).otherwise(0.0)));
    for (int i = 0; i < os.length; i++) {
      Column mature = in.and(col(os[i].column()).isNotNull());
      Column r0 = col(os[i].column()).cast("double").minus(col(os[i].mu(0)));
      names.add("t_" + OUTCOMES[i]);
      values.add(when(mature, t).otherwise(0.0));
      names.add("a_" + OUTCOMES[i]);
      values.add(when(mature, t.multiply(r0).minus(c.multiply(w).multiply(r0))).otherwise(0.0));
      plainNames.add("c_" + OUTCOMES[i]);
      plain.add(when(mature, c).otherwise(0.0));
      plainNames.add("n_" + OUTCOMES[i]);
      plain.add(when(mature, 1.0).otherwise(0.0));
    }
    Dataset<Row> base = scored.select(col(Cols.POLICY), col(FeatureCols.SEGMENT), col(Cols.TEAM),
        col(Cols.CUSTOMER_ID), col(treatmentCol), col(eCol), col(overlapCol), col(Cols.COST),
        col(retainedValue.column()), col(retainedValue.mu(0)), col(referralValue.column()), col(referralValue.mu(0)),
        col(retention.column()), col(retention.mu(0)), col(referrals.column()), col(referrals.mu(0)));
    List<Result> cells = new ArrayList<>();
    // One row per cell: bounded by the business's policies, segments and teams.
    for (Row r : ClusteredSums.aggregate(Level.expand(base, levels), Level.KEY_NAMES, col(Cols.CUSTOMER_ID), names,
        values, plainNames, plain).orderBy(Level.keys()).collectAsList()) {
      cells.add(result(r, names));
    }
    return withQValues(cells);
  }

  /** Benjamini-Hochberg over the net values of each level's cells: many teams are compared at once. */
  private static List<Result> withQValues(List<Result> cells) {
    List<Result> out = new ArrayList<>(cells);
    for (String level : cells.stream().map(Result::level).distinct().toList()) {
      List<Integer> family = new ArrayList<>();
      for (int i = 0; i < cells.size(); i++) {
        if (cells.get(i).level().equals(level) && cells.get(i).netValue() != null) {
          family.add(i);
        }
      }
      double[] q = MultipleTesting.benjaminiHochberg(
          family.stream().mapToDouble(i -> cells.get(i).netValue().pValue()).toArray());
      for (int j = 0; j < family.size(); j++) {
        out.set(family.get(j), cells.get(family.get(j)).withQ(q[j]));
      }
    }
    return out;
  }

  Result result(Row r, List<String> names) {
    String level = r.getAs(Level.LEVEL);
    long grants = Math.round(ClusteredSums.number(r, "grants"));
    double cost = ClusteredSums.number(r, "cost");
    long valued = Math.round(ClusteredSums.number(r, "grants_valued"));
    double costValued = ClusteredSums.number(r, "cost_valued");
    long mature = Math.round(ClusteredSums.number(r, "n_rv"));
    double[][] sm = ClusteredSums.read(r, names);
    double[] s = sm[0];
    long clusters = r.<Long>getAs("clusters");
    Level l = Level.valueOf(level.toUpperCase(java.util.Locale.ROOT));
    boolean tooSmall = valued == 0 || size.tooSmall(l, mature, s[0], ClusteredSums.number(r, "c_rv"))
        || size.tooSmall(l, Math.round(ClusteredSums.number(r, "n_rf")), s[2], ClusteredSums.number(r, "c_rf"));
    String policy = r.getAs(Level.POLICY_KEY);
    String segment = r.getAs(Level.SEGMENT_KEY);
    String team = r.getAs(Level.TEAM_KEY);
    if (tooSmall) {
      return new Result(level, policy, segment, team, grants, cost, valued, costValued, mature, true, null, null,
          null, null, null, null, null, null);
    }
    Interval rv = ratio(sm, 0, clusters);
    Interval rf = ratio(sm, 2, clusters);
    // Value per grant = rv + rf; its influence function is the sum of theirs.
    double[] l2 = new double[names.size()];
    l2[0] = -rv.value() / s[0];
    l2[1] = 1 / s[0];
    l2[2] = -rf.value() / s[2];
    l2[3] = 1 / s[2];
    double perGrant = rv.value() + rf.value();
    double perGrantSe = ClusteredSums.clusterSe(l2, sm[1], clusters);
    Interval net = new Interval(valued * perGrant - costValued, valued * perGrantSe);
    Interval roi = costValued > 0 ? new Interval(net.value() / costValued, net.se() / costValued) : null;
    Double payback = perGrant > 0 ? horizonDays * (costValued / valued) / perGrant : null;
    return new Result(level, policy, segment, team, grants, cost, valued, costValued, mature, false,
        ratio(sm, 4, clusters), ratio(sm, 6, clusters), valued * rv.value(), valued * rf.value(), net, roi, payback,
        null);
  }

  /** The doubly robust ATT sum(A)/sum(T) of the outcome whose (T, A) sit at {@code at}, {@code at + 1}. */
  private static Interval ratio(double[][] sm, int at, long clusters) {
    double[] s = sm[0];
    double theta = s[at + 1] / s[at];
    double[] l = new double[s.length];
    l[at] = -theta / s[at];
    l[at + 1] = 1 / s[at];
    return new Interval(theta, ClusteredSums.clusterSe(l, sm[1], clusters));
  }
}
