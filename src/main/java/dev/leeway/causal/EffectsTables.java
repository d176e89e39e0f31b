package dev.leeway.causal;

import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The effects stage's result tables (estimates, balance, ROI) as DataFrames with documented schemas. */
final class EffectsTables {
  private EffectsTables() {}

  /** A schema and its rows, built column by column. */
  private static final class Builder {
    private StructType schema = new StructType();
    private final List<Object> values = new ArrayList<>();

    Builder add(String name, DataType type, Object value) {
      schema = schema.add(name, type);
      values.add(value);
      return this;
    }

    Builder text(String name, String value) {
      return add(name, DataTypes.StringType, value);
    }

    Builder whole(String name, Long value) {
      return add(name, DataTypes.LongType, value);
    }

    Builder number(String name, Double value) {
      return add(name, DataTypes.DoubleType, value);
    }

    Builder flag(String name, Boolean value) {
      return add(name, DataTypes.BooleanType, value);
    }

    /** The estimate, its 95% bounds, and with {@code se} its standard error. */
    Builder interval(String name, Interval i, boolean se) {
      number(name, i == null ? null : i.value());
      if (se) {
        number(name + "_se", i == null ? null : i.se());
      }
      number(name + "_low", i == null ? null : i.low());
      return number(name + "_high", i == null ? null : i.high());
    }

    Row row() {
      return RowFactory.create(values.toArray());
    }
  }

  private static Dataset<Row> frame(SparkSession spark, List<Builder> rows, Builder empty) {
    StructType schema = (rows.isEmpty() ? empty : rows.get(0)).schema;
    return spark.createDataFrame(rows.stream().map(Builder::row).toList(), schema);
  }

  private static Builder estimate(Estimate e) {
    Sensitivity s = e.sensitivity();
    return new Builder()
        .text("level", e.level() == null ? null : e.level().label()).text("policy", e.policy())
        .text("segment", e.segment()).text("team", e.team())
        .text("outcome", e.outcome() == null ? null : e.outcome().name())
        .text("outcome_kind", e.outcome() == null ? null
            : e.outcome().kind().name().toLowerCase(java.util.Locale.ROOT))
        .add("days", DataTypes.IntegerType, e.outcome() == null ? null : e.outcome().days())
        .whole("rows", e.support() == null ? null : e.support().rows())
        .whole("granted", e.support() == null ? null : e.support().granted())
        .whole("rows_outside_overlap", e.support() == null ? null : e.support().rowsOutsideOverlap())
        .whole("granted_outside_overlap", e.support() == null ? null : e.support().grantedOutsideOverlap())
        .number("share_of_grants_covered", e.support() == null ? null : e.support().shareOfGrantsCovered())
        .whole("mature_rows", e.matureRows()).whole("mature_treated", e.matureTreated())
        .whole("mature_control", e.matureControl()).whole("customers", e.customers())
        .flag("too_small", e.tooSmall())
        .interval("naive", e.naive(), false).interval("ipw_att", e.ipw(), false)
        .interval("dr_att", e.doublyRobust(), true)
        .number("p_value", e.doublyRobust() == null ? null : e.doublyRobust().pValue())
        .number("q_value", e.qValue()).flag("significant", e.significant())
        .interval("placebo_att", e.placebo(), false)
        .number("robustness_value", s == null ? null : s.robustnessValue())
        .number("robustness_value_at_interval", s == null ? null : s.robustnessValueAtInterval())
        .number("confounding_bias_bound", s == null ? null : s.biasBound())
        .text("sensitivity", s == null ? null : s.verdict().name().toLowerCase(java.util.Locale.ROOT))
        .number("max_abs_smd_after", e.maxAbsSmdAfter()).flag("balance_flag", e.balanceFlag());
  }

  static Dataset<Row> estimates(SparkSession spark, List<Estimate> estimates) {
    return frame(spark, estimates.stream().map(EffectsTables::estimate).toList(), estimate(
        new Estimate(null, null, null, null, null, null, 0, 0, 0, 0, true, null, null, null, null, false, null, null,
            null, false)));
  }

  private static Builder balance(Balance.FeatureBalance b, double threshold) {
    return new Builder().text("level", b.level()).text("policy", b.policy()).text("segment", b.segment())
        .text("team", b.team()).add("days", DataTypes.IntegerType, b.days()).text("feature", b.feature())
        .whole("treated", b.treated()).whole("control", b.control())
        .number("mean_treated", b.meanTreated()).number("mean_control", b.meanControl())
        .number("mean_control_weighted", b.meanControlWeighted()).number("smd_before", b.smdBefore())
        .number("smd_after", b.smdAfter()).flag("over_threshold", Math.abs(b.smdAfter()) > threshold);
  }

  static Dataset<Row> balance(SparkSession spark, List<Balance.FeatureBalance> balance, double threshold) {
    return frame(spark, balance.stream().map(b -> balance(b, threshold)).toList(),
        balance(new Balance.FeatureBalance(null, null, null, null, 0, null, 0, 0, 0, 0, 0, 0, 0), threshold));
  }

  private static Builder roi(Roi.Result r) {
    Interval ret = r.retainedPerGrant();
    Interval ref = r.referralsPerGrant();
    return new Builder().text("level", r.level()).text("policy", r.policy()).text("segment", r.segment())
        .text("team", r.team()).whole("grants", r.grants()).number("total_cost", r.totalCost())
        .whole("grants_valued", r.grantsValued()).number("cost_valued", r.costValued())
        .number("share_of_grants_valued", r.shareOfGrantsValued()).whole("mature_rows", r.matureRows())
        .flag("too_small", r.tooSmall())
        .interval("incremental_retained_per_grant", ret, false)
        .interval("incremental_referrals_per_grant", ref, false)
        .number("incremental_retained_customers", ret == null ? null : ret.value() * r.grantsValued())
        .number("incremental_referrals", ref == null ? null : ref.value() * r.grantsValued())
        .number("retained_value", r.retainedValue()).number("referral_value", r.referralValue())
        .interval("net_value", r.netValue(), false).interval("roi", r.roi(), false)
        .number("payback_days", r.paybackDays()).number("q_value", r.qValue());
  }

  static Dataset<Row> roi(SparkSession spark, List<Roi.Result> roi) {
    return frame(spark, roi.stream().map(EffectsTables::roi).toList(), roi(new Roi.Result(null, null, null, null, 0,
        0, 0, 0, 0, true, null, null, null, null, null, null, null, null)));
  }
}
