package dev.leeway.causal;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The effects stage's small result tables (estimates, balance, ROI) as DataFrames with documented schemas. */
final class EffectsTables {
  private EffectsTables() {}

  static final StructType ESTIMATES = new StructType()
      .add("level", DataTypes.StringType).add("policy", DataTypes.StringType).add("segment", DataTypes.StringType)
      .add("team", DataTypes.StringType).add("outcome", DataTypes.StringType).add("outcome_kind", DataTypes.StringType)
      .add("days", DataTypes.IntegerType).add("rows", DataTypes.LongType).add("rows_outside_overlap", DataTypes.LongType)
      .add("granted", DataTypes.LongType).add("mature_rows", DataTypes.LongType)
      .add("mature_treated", DataTypes.LongType).add("mature_control", DataTypes.LongType)
      .add("too_small", DataTypes.BooleanType)
      .add("naive", DataTypes.DoubleType).add("naive_low", DataTypes.DoubleType).add("naive_high", DataTypes.DoubleType)
      .add("ipw_att", DataTypes.DoubleType).add("ipw_low", DataTypes.DoubleType).add("ipw_high", DataTypes.DoubleType)
      .add("aipw_att", DataTypes.DoubleType).add("aipw_se", DataTypes.DoubleType)
      .add("aipw_low", DataTypes.DoubleType).add("aipw_high", DataTypes.DoubleType)
      .add("significant", DataTypes.BooleanType)
      .add("placebo_att", DataTypes.DoubleType).add("placebo_low", DataTypes.DoubleType)
      .add("placebo_high", DataTypes.DoubleType).add("balance_flag", DataTypes.BooleanType);

  static final StructType BALANCE = new StructType()
      .add("policy", DataTypes.StringType).add("feature", DataTypes.StringType)
      .add("mean_treated", DataTypes.DoubleType).add("mean_control", DataTypes.DoubleType)
      .add("mean_control_weighted", DataTypes.DoubleType).add("smd_before", DataTypes.DoubleType)
      .add("smd_after", DataTypes.DoubleType).add("over_threshold", DataTypes.BooleanType);

  static final StructType ROI = new StructType()
      .add("level", DataTypes.StringType).add("policy", DataTypes.StringType).add("segment", DataTypes.StringType)
      .add("team", DataTypes.StringType).add("grants", DataTypes.LongType).add("total_cost", DataTypes.DoubleType)
      .add("mature_rows", DataTypes.LongType).add("too_small", DataTypes.BooleanType)
      .add("incremental_retained_per_grant", DataTypes.DoubleType)
      .add("incremental_referrals_per_grant", DataTypes.DoubleType)
      .add("incremental_retained_customers", DataTypes.DoubleType)
      .add("incremental_referrals", DataTypes.DoubleType)
      .add("retained_value", DataTypes.DoubleType).add("referral_value", DataTypes.DoubleType)
      .add("net_value", DataTypes.DoubleType).add("net_value_low", DataTypes.DoubleType)
      .add("net_value_high", DataTypes.DoubleType).add("roi", DataTypes.DoubleType)
      .add("roi_low", DataTypes.DoubleType).add("roi_high", DataTypes.DoubleType)
      .add("payback_days", DataTypes.DoubleType);

  private static Double v(AttSums.Estimate e, int which) {
    if (e == null) {
      return null;
    }
    return which == 0 ? e.value() : which == 1 ? e.low() : e.high();
  }

  static Dataset<Row> estimates(SparkSession spark, List<Estimate> estimates) {
    List<Row> rows = new ArrayList<>();
    for (Estimate e : estimates) {
      rows.add(RowFactory.create(e.level().label(), e.policy(), e.segment(), e.team(), e.outcome().name(),
          e.outcome().kind().name().toLowerCase(java.util.Locale.ROOT), e.outcome().days(), e.rows(),
          e.rowsOutsideOverlap(), e.granted(), e.matureRows(), e.matureTreated(), e.matureControl(), e.tooSmall(),
          v(e.naive(), 0), v(e.naive(), 1), v(e.naive(), 2), v(e.ipw(), 0), v(e.ipw(), 1), v(e.ipw(), 2),
          v(e.aipw(), 0), e.aipw() == null ? null : e.aipw().se(), v(e.aipw(), 1), v(e.aipw(), 2),
          e.aipw() == null ? null : e.aipw().significant(),
          v(e.placebo(), 0), v(e.placebo(), 1), v(e.placebo(), 2), e.balanceFlag()));
    }
    return spark.createDataFrame(rows, ESTIMATES);
  }

  static Dataset<Row> balance(SparkSession spark, List<Balance.FeatureBalance> balance, double threshold) {
    List<Row> rows = new ArrayList<>();
    for (Balance.FeatureBalance b : balance) {
      rows.add(RowFactory.create(b.policy(), b.feature(), b.meanTreated(), b.meanControl(), b.meanControlWeighted(),
          b.smdBefore(), b.smdAfter(), Math.abs(b.smdAfter()) > threshold));
    }
    return spark.createDataFrame(rows, BALANCE);
  }

  static Dataset<Row> roi(SparkSession spark, List<Roi.Result> roi) {
    List<Row> rows = new ArrayList<>();
    for (Roi.Result r : roi) {
      rows.add(RowFactory.create(r.level(), r.policy(), r.segment(), r.team(), r.grants(), r.totalCost(),
          r.matureRows(), r.tooSmall(), r.incrementalRetainedPerGrant(), r.incrementalReferralsPerGrant(),
          r.incrementalRetainedPerGrant() == null ? null : r.incrementalRetainedPerGrant() * r.grants(),
          r.incrementalReferralsPerGrant() == null ? null : r.incrementalReferralsPerGrant() * r.grants(),
          r.retainedValue(), r.referralValue(), r.netValue(), r.netValueLow(), r.netValueHigh(), r.roi(), r.roiLow(),
          r.roiHigh(), r.paybackDays()));
    }
    return spark.createDataFrame(rows, ROI);
  }
}
