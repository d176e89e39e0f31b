package dev.leeway.contract;

import static dev.leeway.contract.ColumnSpec.optional;
import static dev.leeway.contract.ColumnSpec.required;
import static dev.leeway.contract.ColumnType.BOOLEAN;
import static dev.leeway.contract.ColumnType.CODE;
import static dev.leeway.contract.ColumnType.DATE;
import static dev.leeway.contract.ColumnType.NUMBER;
import static dev.leeway.contract.ColumnType.TEXT;
import static dev.leeway.contract.ColumnType.TIMESTAMP;

import dev.leeway.config.ConfigError;
import dev.leeway.config.LeewayConfig.FeatureSettings;
import java.util.ArrayList;
import java.util.List;

/** The five raw input tables Leeway reads, in the order they are ingested (customers first: others refer to it). */
public final class Contracts {
  private Contracts() {}

  public static final TableContract CUSTOMERS = new TableContract("customers",
      List.of(
          required(Cols.CUSTOMER_ID, TEXT, "Customer identifier, unique."),
          required(Cols.SIGNUP_DATE, DATE, "Date the customer relationship began."),
          optional(Cols.SEGMENT, CODE, "Customer segment, e.g. CONSUMER, SMALL_BUSINESS, ENTERPRISE."),
          optional(Cols.REGION, CODE, "Region the customer belongs to."),
          optional(Cols.CHANNEL, CODE, "Channel the customer was acquired through or mostly uses.")),
      List.of(Cols.CUSTOMER_ID), List.of(),
      "One row per customer. May carry PII columns (full_name, email, phone); they are dropped at ingest.");

  public static final TableContract CLV_SNAPSHOTS = new TableContract("clv_snapshots",
      List.of(
          required(Cols.CUSTOMER_ID, TEXT, "The customer the snapshot describes.").customerReference(),
          required(Cols.AS_OF_DATE, DATE, "Date the lifetime-value model scored the customer."),
          required(Cols.CLV, NUMBER, "Predicted remaining lifetime value as of that date.").notNegative(),
          optional(Cols.HISTORICAL_VALUE, NUMBER, "Value the customer brought up to that date."),
          optional(Cols.RISK_FLAG, BOOLEAN, "Fraud or risk flag as of that date; flagged customers are never flexed.")),
      List.of(Cols.CUSTOMER_ID, Cols.AS_OF_DATE), List.of(),
      "Lifetime-value snapshots, several per customer over time; at most one per customer and date.");

  public static final TableContract EXCEPTIONS = new TableContract("exceptions",
      List.of(
          required(Cols.EXCEPTION_ID, TEXT, "Request identifier, unique."),
          required(Cols.CUSTOMER_ID, TEXT, "The customer who asked.").customerReference(),
          required(Cols.REQUESTED_AT, TIMESTAMP, "When the request was made: the index time of all analysis."),
          required(Cols.POLICY, CODE, "The rule to bend, e.g. CHECK_HOLD_RELEASE, TRIAL_EXTENSION, FEE_WAIVER."),
          required(Cols.DECISION, CODE, "GRANTED or DENIED.").oneOf(Cols.GRANTED, Cols.DENIED),
          optional(Cols.EMPLOYEE_ID, TEXT, "The employee who decided."),
          optional(Cols.TEAM, TEXT, "The employee's team."),
          optional(Cols.CHANNEL, CODE, "Where the request came in."),
          optional(Cols.COST, NUMBER, "Cost of the concession (>= 0); required when GRANTED.").notNegative()),
      List.of(Cols.EXCEPTION_ID),
      List.of(new RowRule("missing cost (required when decision is GRANTED)",
          row -> Cols.GRANTED.equals(row.typed(Cols.DECISION)) && row.blank(Cols.COST))),
      "Every request to bend a policy, granted or denied. The free-text note column is dropped at ingest.");

  public static final TableContract ACTIVITY = new TableContract("activity",
      List.of(
          required(Cols.CUSTOMER_ID, TEXT, "The customer who acted.").customerReference(),
          required(Cols.EVENT_AT, TIMESTAMP, "When it happened."),
          required(Cols.EVENT_TYPE, CODE, "PURCHASE, LOGIN, RENEWAL, CHURN or any other type (kept as activity)."),
          optional(Cols.AMOUNT, NUMBER, "Money involved, if any.")),
      List.of(Cols.CUSTOMER_ID, Cols.EVENT_AT, Cols.EVENT_TYPE, Cols.AMOUNT), List.of(),
      "Customer events. CHURN marks the end of the relationship; every other type counts as activity. An exact "
          + "copy of an event (every column equal) is kept once: the copies are quarantined as duplicates.");

  public static final TableContract REFERRALS = new TableContract("referrals",
      List.of(
          required(Cols.REFERRAL_ID, TEXT, "Referral identifier, unique."),
          required(Cols.REFERRER_ID, TEXT, "The customer who referred.").customerReference(),
          optional(Cols.REFERRED_CUSTOMER_ID, TEXT, "The new customer, once converted.").customerReference(),
          required(Cols.REFERRED_AT, TIMESTAMP, "When the referral was made."),
          required(Cols.CONVERTED, BOOLEAN, "Whether the referred person became a customer.")),
      List.of(Cols.REFERRAL_ID),
      List.of(new RowRule("missing referred_customer_id (required when converted is true)",
          row -> Boolean.TRUE.equals(row.typed(Cols.CONVERTED)) && row.blank(Cols.REFERRED_CUSTOMER_ID))),
      "Referrals made by customers; referred_customer_id stays empty until the referral converts.");

  /** The built-in contracts: what every installation reads, whatever its configuration. */
  public static final List<TableContract> ALL = List.of(CUSTOMERS, CLV_SNAPSHOTS, EXCEPTIONS, ACTIVITY, REFERRALS);

  public static final String EXTRA_NUMERIC_KEY = "leeway.features.extra_numeric_columns";

  /** The contracts this configuration reads: {@link #ALL}, with the customers columns the features name. */
  public static List<TableContract> all(FeatureSettings features) {
    return all(features, List.of());
  }

  /**
   * The contracts this configuration reads: {@link #ALL}, with the customers columns the features name and, when
   * {@code policies} is not empty, the policy codes a request may name.
   */
  public static List<TableContract> all(FeatureSettings features, List<String> policies) {
    return List.of(customers(features), CLV_SNAPSHOTS, exceptions(policies), ACTIVITY, REFERRALS);
  }

  /** {@link #EXCEPTIONS}, its policy limited to {@code policies} unless that is empty. */
  public static TableContract exceptions(List<String> policies) {
    if (policies.isEmpty()) {
      return EXCEPTIONS;
    }
    List<ColumnSpec> columns = new ArrayList<>();
    for (ColumnSpec c : EXCEPTIONS.columns()) {
      columns.add(c.name().equals(Cols.POLICY) ? c.oneOf(policies.toArray(String[]::new))
          .configuredBy("leeway.ingest.policies") : c);
    }
    return new TableContract(EXCEPTIONS.name(), columns, EXCEPTIONS.uniqueKey(), EXCEPTIONS.rowRules(),
        EXCEPTIONS.meaning());
  }

  /** {@link #CUSTOMERS} plus an optional number column per configured extra numeric column. */
  public static TableContract customers(FeatureSettings features) {
    List<ColumnSpec> columns = new ArrayList<>(CUSTOMERS.columns());
    for (String name : features.extraNumericColumns()) {
      if (CUSTOMERS.column(name).isPresent()) {
        throw new ConfigError("Cannot use '" + name + "' as an extra numeric column: the customers table already "
            + "defines it as " + CUSTOMERS.column(name).get().type().name().toLowerCase(java.util.Locale.ROOT)
            + "; remove it from " + EXTRA_NUMERIC_KEY);
      }
      columns.add(optional(name, NUMBER, "Numeric customer attribute used as a model feature (configured).")
          .configuredBy(EXTRA_NUMERIC_KEY));
    }
    return new TableContract(CUSTOMERS.name(), columns, CUSTOMERS.uniqueKey(), CUSTOMERS.rowRules(),
        CUSTOMERS.meaning());
  }
}
