package dev.leeway.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.TestSpark;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The contract's row rules, one bad value at a time, on inline rows. */
class ContractValidatorTest {
  private static final LocalDate RUN_DATE = LocalDate.of(2026, 11, 1);
  private static final String[] EXCEPTION_COLS = {"exception_id", "customer_id", "requested_at", "policy", "decision",
      "employee_id", "team", "channel", "cost"};

  /** Reasons per exception_id for raw exception rows (each row: the EXCEPTION_COLS values). */
  private static Map<String, List<String>> exceptionReasons(String[]... rows) {
    StructType schema = new StructType();
    for (String c : EXCEPTION_COLS) {
      schema = schema.add(c, DataTypes.StringType);
    }
    schema = schema.add(Cols.Q_SOURCE_FILE, DataTypes.StringType).add(Cols.Q_SOURCE_ROW, DataTypes.LongType);
    List<Row> data = new ArrayList<>();
    for (int i = 0; i < rows.length; i++) {
      Object[] v = Arrays.copyOf(rows[i], EXCEPTION_COLS.length + 2, Object[].class);
      v[EXCEPTION_COLS.length] = "f.csv";
      v[EXCEPTION_COLS.length + 1] = (long) (i + 1);
      data.add(RowFactory.create(v));
    }
    Dataset<Row> raw = TestSpark.session().createDataFrame(data, schema);
    ContractValidator v = new ContractValidator(Contracts.EXCEPTIONS, RUN_DATE, 40);
    Dataset<Row> checked = v.markDuplicates(v.check(raw), Cols.Q_SOURCE_FILE, Cols.Q_SOURCE_ROW);
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Row r : checked.orderBy(Cols.Q_SOURCE_ROW).collectAsList()) {
      String key = r.getAs("exception_id") + "@" + r.getAs(Cols.Q_SOURCE_ROW);
      out.put(key, r.getList(r.fieldIndex(ContractValidator.REASONS)));
    }
    return out;
  }

  private static String[] ok(String id) {
    return new String[] {id, "C1", "2026-10-01 10:00:00", "fee_waiver", "GRANTED", "E1", "T01", "PHONE", "12.50"};
  }

  private static String[] with(String id, int column, String value) {
    String[] r = ok(id);
    r[column] = value;
    return r;
  }

  private static void assertReason(Map<String, List<String>> reasons, String key, String expectedStart) {
    List<String> got = reasons.get(key);
    assertTrue(got != null && got.stream().anyMatch(r -> r.startsWith(expectedStart)),
        "row " + key + " should be rejected with a reason starting '" + expectedStart + "'; got " + got);
  }

  @Test
  void validRowHasNoReasonsAndCodesAreUpperCased() {
    String[] deniedWithoutCost = with("C", 4, "DENIED");
    deniedWithoutCost[8] = "";
    Map<String, List<String>> r = exceptionReasons(ok("A"), with("B", 4, " denied "), deniedWithoutCost);
    assertEquals(List.of(), r.get("A@1"), "a clean row");
    assertEquals(List.of(), r.get("B@2"), "decision is trimmed and compared case-insensitively");
    assertEquals(List.of(), r.get("C@3"), "a denied request needs no cost");
  }

  @Test
  void unparseableDatesAndNumbersAreRejectedWithTheValue() {
    Map<String, List<String>> r = exceptionReasons(
        with("A", 2, "31/12/2024 10:00"), with("B", 2, "yesterday"), with("C", 8, "12,50"), with("D", 8, "NaN"),
        with("E", 8, "1e999"), with("F", 2, "2024-02-30 10:00:00"), with("G", 2, "2024"));
    assertReason(r, "A@1", "invalid requested_at (not a timestamp");
    assertTrue(r.get("A@1").get(0).contains("'31/12/2024 10:00'"), "the reason quotes the bad value: " + r.get("A@1"));
    assertReason(r, "B@2", "invalid requested_at");
    assertReason(r, "C@3", "invalid cost (not a number");
    // NaN is a null token (what pandas writes for a missing value): no cost, which a grant needs.
    assertReason(r, "D@4", "missing cost (required when decision is GRANTED)");
    assertReason(r, "E@5", "invalid cost");
    assertReason(r, "F@6", "invalid requested_at");
    assertReason(r, "G@7", "invalid requested_at");
  }

  @Test
  void missingRequiredFieldsUnknownDecisionsAndNegativeCostsAreRejected() {
    Map<String, List<String>> r = exceptionReasons(
        with("A", 3, ""), with("B", 4, "MAYBE"), with("C", 8, "-15.00"), with("", 0, ""), with("E", 8, null),
        with("F", 1, "  "));
    assertReason(r, "A@1", "missing policy");
    assertReason(r, "B@2", "unknown decision ('MAYBE', expected one of DENIED, GRANTED)");
    assertReason(r, "C@3", "negative cost");
    assertReason(r, "@4", "missing exception_id");
    assertReason(r, "E@5", "missing cost (required when decision is GRANTED)");
    assertReason(r, "F@6", "missing customer_id");
  }

  @Test
  void timestampsAfterTheRunDateAreRejectedButTheRunDateItselfIsNot() {
    Map<String, List<String>> r = exceptionReasons(
        with("A", 2, "2026-11-01 23:59:59"), with("B", 2, "2026-11-02 00:00:00"), with("C", 2, "2036-06-30 12:00:00"));
    assertEquals(List.of(), r.get("A@1"), "the last second of the run date is in the past");
    assertReason(r, "B@2", "requested_at after run date");
    assertReason(r, "C@3", "requested_at after run date");
  }

  @Test
  void typedValuesAreWhatSparkSqlReadsTheTextAs() {
    StructType schema = new StructType();
    for (String c : new String[] {"referral_id", "referrer_id", "referred_customer_id", "referred_at", "converted"}) {
      schema = schema.add(c, DataTypes.StringType);
    }
    schema = schema.add(Cols.Q_SOURCE_FILE, DataTypes.StringType).add(Cols.Q_SOURCE_ROW, DataTypes.LongType);
    List<Row> data = List.of(
        RowFactory.create("R1", "C1", "C2", "2026-10-01T10:00:00+02:00", " Yes ", "r.csv", 1L),
        RowFactory.create("R2", "C1", null, "2026-10-01", "0", "r.csv", 2L),
        RowFactory.create("R3", "C1", "\u00a0N/A\u00a0", "2026-10-01 10:00:00.25", "TRUE", "r.csv", 3L),
        RowFactory.create("R4", "C1", "C3", "2026-10-01 10:00", "perhaps", "r.csv", 4L));
    Dataset<Row> checked = new ContractValidator(Contracts.REFERRALS, RUN_DATE, 40)
        .check(TestSpark.session().createDataFrame(data, schema)).orderBy(Cols.Q_SOURCE_ROW);
    assertEquals(DataTypes.TimestampType, checked.schema().apply(ContractValidator.typed("referred_at")).dataType());
    assertEquals(DataTypes.BooleanType, checked.schema().apply(ContractValidator.typed("converted")).dataType());
    List<Row> rows = checked.selectExpr("cast(__t_referred_at as string)", "__t_converted",
        "__t_referred_customer_id", "__reasons").collectAsList();
    assertEquals("2026-10-01 08:00:00", rows.get(0).getString(0), "an offset is applied; UTC is the session zone");
    assertEquals(true, rows.get(0).get(1), "booleans are words too, trimmed");
    assertEquals("2026-10-01 00:00:00", rows.get(1).getString(0), "a date alone is its midnight");
    assertEquals(false, rows.get(1).get(1));
    assertEquals(List.of(), rows.get(1).getList(3), "an unconverted referral needs no referred customer");
    assertEquals("2026-10-01 10:00:00.25", rows.get(2).getString(0));
    assertEquals(null, rows.get(2).get(2), "a null token between no-break spaces is no value");
    assertEquals(List.of("missing referred_customer_id (required when converted is true)"), rows.get(2).getList(3));
    assertEquals(null, rows.get(3).get(1));
    assertEquals(List.of("invalid converted (not a boolean: 'perhaps')"), rows.get(3).getList(3));
  }

  @Test
  void duplicatesKeepTheFirstValidRowAndNameIt() {
    Map<String, List<String>> r = exceptionReasons(with("A", 8, "oops"), ok("A"), ok("A"), ok("B"));
    assertReason(r, "A@1", "invalid cost");
    assertEquals(List.of(), r.get("A@2"), "the first valid row of a key is kept even after an invalid one");
    assertReason(r, "A@3", "duplicate exception_id (first kept at f.csv row 2)");
    assertEquals(List.of(), r.get("B@4"), "another key is untouched");
  }

  @Test
  void anEventIsADuplicateOnlyWhenEveryColumnOfItsKeyIsEqualAMissingAmountIncluded() {
    StructType schema = new StructType().add("customer_id", DataTypes.StringType).add("event_at", DataTypes.StringType)
        .add("event_type", DataTypes.StringType).add("amount", DataTypes.StringType)
        .add(Cols.Q_SOURCE_FILE, DataTypes.StringType).add(Cols.Q_SOURCE_ROW, DataTypes.LongType);
    List<Row> data = new ArrayList<>();
    String[][] events = {
        {"C1", "2026-10-01 10:00:00", "PURCHASE", "10"},
        {"C1", "2026-10-01 10:00:00", "purchase", "10.0"}, // the same event once typed: a duplicate of row 1
        {"C1", "2026-10-01 10:00:00", "PURCHASE", "11"}, // another amount: another event
        {"C1", "2026-10-01 10:00:01", "PURCHASE", "10"}, // another second
        {"C2", "2026-10-01 10:00:00", "PURCHASE", "10"}, // another customer
        {"C1", "2026-10-01 10:00:00", "LOGIN", null},
        {"C1", "2026-10-01 10:00:00", "LOGIN", ""}, // both amounts missing: equal keys
    };
    for (int i = 0; i < events.length; i++) {
      data.add(RowFactory.create(events[i][0], events[i][1], events[i][2], events[i][3], "a.csv", (long) (i + 1)));
    }
    ContractValidator v = new ContractValidator(Contracts.ACTIVITY, RUN_DATE, 40);
    Dataset<Row> checked = v.markDuplicates(v.check(TestSpark.session().createDataFrame(data, schema)),
        Cols.Q_SOURCE_FILE, Cols.Q_SOURCE_ROW);
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Row r : checked.collectAsList()) {
      List<String> reasons = r.getList(r.fieldIndex(ContractValidator.REASONS));
      if (!reasons.isEmpty()) {
        out.put(r.getAs(Cols.Q_SOURCE_FILE) + "@" + r.getAs(Cols.Q_SOURCE_ROW), reasons);
      }
    }
    String key = "duplicate customer_id, event_at, event_type, amount (first kept at a.csv row ";
    assertEquals(Map.of("a.csv@2", List.of(key + "1)"), "a.csv@7", List.of(key + "6)")), out);
  }
}
