package dev.leeway.contract;

/** Column names of the raw inputs and the conformed tables, in one place. */
public final class Cols {
  private Cols() {}

  public static final String CUSTOMER_ID = "customer_id";
  public static final String SIGNUP_DATE = "signup_date";
  public static final String SEGMENT = "segment";
  public static final String REGION = "region";
  public static final String CHANNEL = "channel";

  public static final String AS_OF_DATE = "as_of_date";
  public static final String CLV = "clv";
  public static final String HISTORICAL_VALUE = "historical_value";
  public static final String RISK_FLAG = "risk_flag";

  public static final String EXCEPTION_ID = "exception_id";
  public static final String REQUESTED_AT = "requested_at";
  public static final String POLICY = "policy";
  public static final String DECISION = "decision";
  public static final String EMPLOYEE_ID = "employee_id";
  public static final String TEAM = "team";
  public static final String COST = "cost";
  public static final String NOTE = "note";

  public static final String EVENT_AT = "event_at";
  public static final String EVENT_TYPE = "event_type";
  public static final String AMOUNT = "amount";

  public static final String REFERRAL_ID = "referral_id";
  public static final String REFERRER_ID = "referrer_id";
  public static final String REFERRED_CUSTOMER_ID = "referred_customer_id";
  public static final String REFERRED_AT = "referred_at";
  public static final String CONVERTED = "converted";

  public static final String GRANTED = "GRANTED";
  public static final String DENIED = "DENIED";
  public static final String CHURN = "CHURN";

  /** Quarantine bookkeeping columns. */
  public static final String Q_REASON = "quarantine_reason";
  public static final String Q_SOURCE_FILE = "source_file";
  public static final String Q_SOURCE_ROW = "source_row";
}
