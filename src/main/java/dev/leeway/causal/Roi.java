package dev.leeway.causal;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.leeway.contract.Cols;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.api.java.function.MapFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import scala.Tuple2;

/**
 * Return on investment per cell: grants and their cost against the incremental value they caused, where
 * incremental retained value per grant is the AIPW ATT of (retained at the ROI horizon x lifetime value at the
 * request) and incremental referral value per grant the AIPW ATT of the converted referrals' value. Intervals
 * come from a Poisson bootstrap over requests with the cross-fitted nuisance predictions held fixed.
 */
public final class Roi {
  /** Slots of the per-row values the bootstrap sums. */
  private static final int GRANTS = 0, COST = 1, E_PSI_RV = 2, E_RV = 3, E_PSI_RF = 4, E_RF = 5, E_PSI_RET = 6,
      E_PSI_REF = 7, MATURE_RV = 8, MATURE_RF = 9, MATURE_RV_T = 10, MATURE_RV_C = 11, WIDTH = 12;

  /** ROI of one cell; value fields are null when the cell is too small to tell. */
  public record Result(String level, String policy, String segment, String team, long grants, double totalCost,
      long matureRows, boolean tooSmall, Double incrementalRetainedPerGrant, Double incrementalReferralsPerGrant,
      Double retainedValue, Double referralValue, Double netValue, Double netValueLow, Double netValueHigh,
      Double roi, Double roiLow, Double roiHigh, Double paybackDays) implements Serializable {}

  private final int horizonDays;
  private final int replicates;
  private final long seed;
  private final int minCellRows;
  private final int minArmRows;

  public Roi(int horizonDays, int replicates, long seed, int minCellRows, int minArmRows) {
    this.horizonDays = horizonDays;
    this.replicates = replicates;
    this.seed = seed;
    this.minCellRows = minCellRows;
    this.minArmRows = minArmRows;
  }

  /**
   * {@code scored}: treatment, clipped propensity, overlap flag, cost, and the four ROI outcomes with their mu
   * columns: retained value, referral value, retention, converted referrals.
   */
  public List<Result> compute(Dataset<Row> scored, String treatmentCol, String eCol, String overlapCol,
      EffectOutcome retainedValue, EffectOutcome referralValue, EffectOutcome retention, EffectOutcome referrals,
      List<Level> levels) {
    Column t = col(treatmentCol).cast("double");
    Column e = col(eCol);
    Column in = col(overlapCol);
    Column matureRv = in.and(col(retainedValue.column()).isNotNull());
    Column matureRf = in.and(col(referralValue.column()).isNotNull());
    Column[] v = new Column[WIDTH];
    v[GRANTS] = t;
    v[COST] = t.multiply(coalesce(col(Cols.COST), lit(0.0)));
    v[E_PSI_RV] = weighted(matureRv, e, psi(t, e, retainedValue));
    v[E_RV] = when(matureRv, e).otherwise(0.0);
    v[E_PSI_RF] = weighted(matureRf, e, psi(t, e, referralValue));
    v[E_RF] = when(matureRf, e).otherwise(0.0);
    v[E_PSI_RET] = weighted(matureRv.and(col(retention.column()).isNotNull()), e, psi(t, e, retention));
    v[E_PSI_REF] = weighted(matureRf.and(col(referrals.column()).isNotNull()), e, psi(t, e, referrals));
    v[MATURE_RV] = when(matureRv, 1.0).otherwise(0.0);
    v[MATURE_RF] = when(matureRf, 1.0).otherwise(0.0);
    v[MATURE_RV_T] = when(matureRv, t).otherwise(0.0);
    v[MATURE_RV_C] = when(matureRv, lit(1.0).minus(t)).otherwise(0.0);
    Dataset<Row> values = scored.select(col(Cols.EXCEPTION_ID), col("policy"), col("segment"), col("team"),
        array(v).as("values"));
    Dataset<PoissonBootstrap.Input> inputs = Level.expand(values, levels)
        .select(concat_ws("|", Level.keys()).as("key"), col(Cols.EXCEPTION_ID).as("id"), col("values"))
        .as(Encoders.bean(PoissonBootstrap.Input.class));
    List<Tuple2<String, double[]>> sums = inputs
        .groupByKey((MapFunction<PoissonBootstrap.Input, String>) PoissonBootstrap.Input::getKey, Encoders.STRING())
        .agg(new PoissonBootstrap(replicates, WIDTH, seed).toColumn())
        .collectAsList();
    List<Result> out = new ArrayList<>();
    for (Tuple2<String, double[]> s : sums) {
      out.add(result(s._1().split("\\|", -1), s._2()));
    }
    out.sort((a, b) -> String.join("|", a.level, a.policy, a.segment, a.team)
        .compareTo(String.join("|", b.level, b.policy, b.segment, b.team)));
    return out;
  }

  private static Column psi(Column t, Column e, EffectOutcome o) {
    return Psi.of(t, col(o.column()).cast("double"), e, col(o.mu(0)), col(o.mu(1)));
  }

  private static Column weighted(Column mature, Column e, Column psi) {
    return when(mature, e.multiply(psi)).otherwise(0.0);
  }

  Result result(String[] key, double[] s) {
    long grants = Math.round(s[GRANTS]);
    double cost = s[COST];
    long mature = Math.round(s[MATURE_RV]);
    boolean tooSmall = mature < minCellRows || s[MATURE_RV_T] < minArmRows || s[MATURE_RV_C] < minArmRows
        || s[MATURE_RF] < minCellRows || grants == 0;
    if (tooSmall) {
      return new Result(key[0], key[1], key[2], key[3], grants, cost, mature, true, null, null, null, null, null,
          null, null, null, null, null, null);
    }
    double[] point = values(s, 0);
    double[] net = new double[replicates];
    double[] roi = new double[replicates];
    for (int b = 1; b <= replicates; b++) {
      double[] r = values(s, b * WIDTH);
      net[b - 1] = r[0];
      roi[b - 1] = r[1];
    }
    double perGrantValue = s[E_PSI_RV] / s[E_RV] + s[E_PSI_RF] / s[E_RF];
    Double payback = perGrantValue > 0 && grants > 0 ? horizonDays * (cost / grants) / perGrantValue : null;
    boolean hasCost = cost > 0;
    return new Result(key[0], key[1], key[2], key[3], grants, cost, mature, false,
        s[E_PSI_RET] / s[E_RV], s[E_PSI_REF] / s[E_RF],
        grants * s[E_PSI_RV] / s[E_RV], grants * s[E_PSI_RF] / s[E_RF],
        point[0], quantile(net, 0.025), quantile(net, 0.975),
        hasCost ? point[1] : null, hasCost ? quantile(roi, 0.025) : null, hasCost ? quantile(roi, 0.975) : null,
        payback);
  }

  /** Net value and ROI from the sums at {@code base}. */
  private static double[] values(double[] s, int base) {
    double grants = s[base + GRANTS];
    double cost = s[base + COST];
    double perGrant = s[base + E_PSI_RV] / s[base + E_RV] + s[base + E_PSI_RF] / s[base + E_RF];
    double net = grants * perGrant - cost;
    return new double[] {net, cost > 0 ? net / cost : Double.NaN};
  }

  static double quantile(double[] values, double q) {
    double[] v = Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
    if (v.length == 0) {
      return Double.NaN;
    }
    double pos = q * (v.length - 1);
    int lo = (int) Math.floor(pos);
    int hi = (int) Math.ceil(pos);
    return v[lo] + (v[hi] - v[lo]) * (pos - lo);
  }
}
