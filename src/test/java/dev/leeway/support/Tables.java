package dev.leeway.support;

import dev.leeway.ingest.ConformedTables;
import java.sql.Date;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Builds small conformed tables inline, typed as ingest writes them. Times are "yyyy-MM-dd HH:mm:ss" UTC. */
public final class Tables {
  private final List<Row> customers = new ArrayList<>();
  private final List<Row> clv = new ArrayList<>();
  private final List<Row> exceptions = new ArrayList<>();
  private final List<Row> activity = new ArrayList<>();
  private final List<Row> referrals = new ArrayList<>();

  public Tables customer(String id, String signupDate, String segment) {
    return customer(id, signupDate, segment, null);
  }

  /** A customer with an {@code age} (a numeric attribute; null when missing). */
  public Tables customer(String id, String signupDate, String segment, Double age) {
    customers.add(RowFactory.create(id, Date.valueOf(signupDate), segment, "NORTH", "ONLINE", "GOLD", age));
    return this;
  }

  public Tables clv(String customer, String asOfDate, double value, boolean risk) {
    clv.add(RowFactory.create(customer, Date.valueOf(asOfDate), value, value * 2, risk));
    return this;
  }

  public Tables request(String id, String customer, String at, String policy, String decision) {
    exceptions.add(RowFactory.create(id, customer, ts(at), policy, decision, "E1", "T01", "PHONE", 10.0));
    return this;
  }

  public Tables event(String customer, String at, String type, Double amount) {
    activity.add(RowFactory.create(customer, ts(at), type, amount));
    return this;
  }

  public Tables referral(String id, String referrer, String referred, String at, boolean converted) {
    referrals.add(RowFactory.create(id, referrer, referred, ts(at), converted));
    return this;
  }

  public static Timestamp ts(String at) {
    return Timestamp.valueOf(at);
  }

  public ConformedTables build() {
    var s = TestSpark.session();
    StructType c = new StructType().add("customer_id", DataTypes.StringType).add("signup_date", DataTypes.DateType)
        .add("segment", DataTypes.StringType).add("region", DataTypes.StringType).add("channel", DataTypes.StringType)
        .add("loyalty_tier", DataTypes.StringType).add("age", DataTypes.DoubleType);
    StructType v = new StructType().add("customer_id", DataTypes.StringType).add("as_of_date", DataTypes.DateType)
        .add("clv", DataTypes.DoubleType).add("historical_value", DataTypes.DoubleType)
        .add("risk_flag", DataTypes.BooleanType);
    StructType x = new StructType().add("exception_id", DataTypes.StringType).add("customer_id", DataTypes.StringType)
        .add("requested_at", DataTypes.TimestampType).add("policy", DataTypes.StringType)
        .add("decision", DataTypes.StringType).add("employee_id", DataTypes.StringType)
        .add("team", DataTypes.StringType).add("channel", DataTypes.StringType).add("cost", DataTypes.DoubleType);
    StructType a = new StructType().add("customer_id", DataTypes.StringType).add("event_at", DataTypes.TimestampType)
        .add("event_type", DataTypes.StringType).add("amount", DataTypes.DoubleType);
    StructType r = new StructType().add("referral_id", DataTypes.StringType).add("referrer_id", DataTypes.StringType)
        .add("referred_customer_id", DataTypes.StringType).add("referred_at", DataTypes.TimestampType)
        .add("converted", DataTypes.BooleanType);
    return new ConformedTables(s.createDataFrame(customers, c), s.createDataFrame(clv, v),
        s.createDataFrame(exceptions, x), s.createDataFrame(activity, a), s.createDataFrame(referrals, r));
  }
}
