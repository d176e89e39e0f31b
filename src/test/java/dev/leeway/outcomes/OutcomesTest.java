package dev.leeway.outcomes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.config.LeewayConfig;
import dev.leeway.features.FeatureCols;
import dev.leeway.features.PointInTimeFeatures;
import dev.leeway.ingest.ConformedTables;
import dev.leeway.support.Tables;
import java.io.File;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;

/** Point-in-time features and outcomes of the requests table, on a few inline rows each. */
class OutcomesTest {
  private static final LeewayConfig CFG = LeewayConfig.load(new File("conf/local.conf"), Map.of());
  private static final LocalDate RUN_DATE = LocalDate.of(2025, 6, 30);

  private static Map<String, Row> requests(Tables t, LocalDate runDate) {
    Map<String, Row> out = new HashMap<>();
    for (Row r : OutcomesJob.requests(t.build(), CFG, runDate).collectAsList()) {
      out.put(r.getAs("exception_id"), r);
    }
    return out;
  }

  private static double num(Row r, String col) {
    return ((Number) r.getAs(col)).doubleValue();
  }

  @Test
  void aValueSnapshotDatedOnOrAfterTheRequestDayIsNeverUsed() {
    Row r = requests(new Tables().customer("C1", "2020-01-01", "CONSUMER")
        .clv("C1", "2024-01-01", 100, false)
        .clv("C1", "2024-03-01", 999, true)
        .clv("C1", "2024-04-01", 0, true)
        .request("X1", "C1", "2024-03-01 10:00:00", "FEE_WAIVER", "GRANTED"), RUN_DATE).get("X1");
    assertEquals(100.0, num(r, FeatureCols.CLV), "the latest snapshot before the request day, not the same-day one");
    assertEquals(0, num(r, FeatureCols.RISK_FLAG), "risk flag of that snapshot, not a later one");
    assertEquals(60, num(r, FeatureCols.CLV_AGE_DAYS), "snapshot age in days");
    assertEquals(1, num(r, FeatureCols.HAS_CLV), "has a snapshot");
  }

  @Test
  void eventsOnWindowBoundariesFallOnTheDocumentedSide() {
    // Request at 2024-03-01 00:00:00. Feature windows are [index - W, index); outcome windows (index, index + H].
    Row r = requests(new Tables().customer("C1", "2020-01-01", "CONSUMER")
        .request("X1", "C1", "2024-03-01 00:00:00", "FEE_WAIVER", "DENIED")
        .event("C1", "2024-03-01 00:00:00", "PURCHASE", 1000.0)
        .event("C1", "2024-01-31 00:00:00", "PURCHASE", 10.0)
        .event("C1", "2024-01-30 23:59:59", "PURCHASE", 5.0)
        .event("C1", "2024-03-31 00:00:00", "LOGIN", null)
        .event("C1", "2024-05-30 00:00:01", "PURCHASE", 7.0), RUN_DATE).get("X1");
    assertEquals(1, num(r, FeatureCols.events(30)), "index - 30d exactly is inside the 30-day window");
    assertEquals(10.0, num(r, FeatureCols.spend(30)), "and its spend; the event at the index instant is not");
    assertEquals(2, num(r, FeatureCols.events(90)), "the second before falls in the 90-day window");
    assertEquals(1, num(r, OutcomeCols.retained(30)), "index + 30d exactly is inside the 30-day horizon");
    assertEquals(0, num(r, OutcomeCols.revenueAfter(90)), "the purchase at the index instant is not revenue after it; "
        + "index + 90d + 1s is outside");
    assertEquals(1, num(r, OutcomeCols.retained(90)), "activity at day 30 lies in the last 90 days of the 90-day window");
    assertEquals(1, num(r, OutcomeCols.retained(180)), "an event at day 90 + 1s lies in the last 90 days of 180");
    assertEquals(0, num(r, OutcomeCols.retained(365)), "no activity in the last 90 days of the 365-day window");
  }

  @Test
  void immatureHorizonsAreNullNotChurned() {
    Row r = requests(new Tables().customer("C1", "2020-01-01", "CONSUMER")
        .request("X1", "C1", "2025-05-01 12:00:00", "FEE_WAIVER", "GRANTED")
        .event("C1", "2025-05-20 12:00:00", "LOGIN", null), RUN_DATE).get("X1");
    assertEquals(1, num(r, OutcomeCols.retained(30)), "30 days after May 1 ended before June 30");
    assertTrue(r.<Boolean>getAs(OutcomeCols.mature(30)), "mature at 30");
    for (int h : List.of(90, 180, 365)) {
      assertTrue(r.isNullAt(r.fieldIndex(OutcomeCols.retained(h))), "horizon " + h + " is immature: null");
      assertFalse(r.<Boolean>getAs(OutcomeCols.mature(h)), "and flagged immature");
    }
    assertTrue(r.isNullAt(r.fieldIndex(OutcomeCols.referralsConvertedAfter(90))), "referrals at 90 immature too");
  }

  @Test
  void aCustomerWithNoHistoryGetsZerosAndSentinelsAndIsNotRetained() {
    Row r = requests(new Tables().customer("C1", "2024-02-01", null)
        .request("X1", "C1", "2024-03-01 10:00:00", "FEE_WAIVER", "DENIED"), RUN_DATE).get("X1");
    assertEquals(0, num(r, FeatureCols.events(365)), "no events");
    assertEquals(0, num(r, FeatureCols.HAS_ACTIVITY), "no activity flag");
    assertEquals(3650, num(r, FeatureCols.DAYS_SINCE_LAST_ACTIVITY), "days since: the no-history value");
    assertEquals(0, num(r, FeatureCols.HAS_CLV), "no snapshot");
    assertEquals(0, num(r, FeatureCols.CLV), "clv 0");
    assertEquals(29, num(r, FeatureCols.TENURE_DAYS), "tenure at the index");
    assertEquals("UNKNOWN", r.getAs(FeatureCols.SEGMENT), "missing segment");
    assertEquals(0, num(r, OutcomeCols.retained(90)), "no activity after: not retained (mature)");
  }

  @Test
  void churnInsideTheHorizonIsNotRetainedAndChurnAfterItIs() {
    Map<String, Row> r = requests(new Tables().customer("C1", "2020-01-01", "CONSUMER")
        .customer("C2", "2020-01-01", "CONSUMER")
        .request("X1", "C1", "2024-03-01 10:00:00", "FEE_WAIVER", "DENIED")
        .request("X2", "C2", "2024-03-01 10:00:00", "FEE_WAIVER", "GRANTED")
        .event("C1", "2024-03-20 10:00:00", "LOGIN", null)
        .event("C1", "2024-03-25 10:00:00", "CHURN", null)
        .event("C2", "2024-03-20 10:00:00", "LOGIN", null)
        .event("C2", "2024-07-01 10:00:00", "CHURN", null), RUN_DATE);
    assertEquals(0, num(r.get("X1"), OutcomeCols.retained(30)), "churned on day 24");
    assertEquals(1, num(r.get("X2"), OutcomeCols.retained(30)), "churn on day 122 is after 30 and 90 days");
    assertEquals(1, num(r.get("X2"), OutcomeCols.retained(90)), "retained at 90");
    assertEquals(0, num(r.get("X2"), OutcomeCols.retained(180)), "not at 180");
    assertEquals(1, num(r.get("X2"), OutcomeCols.TREATED), "granted is treated");
    assertEquals(0, num(r.get("X1"), OutcomeCols.TREATED), "denied is not");
  }

  @Test
  void priorExceptionsCountTheYearBeforeAndNeverTheRequestItself() {
    Map<String, Row> r = requests(new Tables().customer("C1", "2020-01-01", "CONSUMER")
        .request("X0", "C1", "2022-12-01 10:00:00", "FEE_WAIVER", "GRANTED")
        .request("X1", "C1", "2023-06-01 10:00:00", "LATE_RETURN", "GRANTED")
        .request("X2", "C1", "2023-12-01 10:00:00", "LATE_RETURN", "DENIED")
        .request("X3", "C1", "2024-03-01 10:00:00", "FEE_WAIVER", "GRANTED"), RUN_DATE);
    Row x3 = r.get("X3");
    assertEquals(2, num(x3, FeatureCols.priorRequests(365)), "X1 and X2 within the year; X0 is older");
    assertEquals(1, num(x3, FeatureCols.priorGrants(365)), "only X1 was granted within the year");
    assertEquals(274, num(x3, FeatureCols.DAYS_SINCE_LAST_GRANT), 0.01, "since X1");
    assertEquals(0, num(r.get("X0"), FeatureCols.priorRequests(365)), "the first request has no prior");
    assertEquals(0, num(r.get("X0"), FeatureCols.HAS_PRIOR_GRANT), "and no prior grant");
  }

  @Test
  void referralsAfterAreCountedValuedAndInterferenceIsMarked() {
    Map<String, Row> r = requests(new Tables()
        .customer("C1", "2020-01-01", "CONSUMER").customer("C2", "2024-02-10", "CONSUMER")
        .customer("C3", "2024-02-11", "CONSUMER").customer("C4", "2020-01-01", "CONSUMER")
        .customer("C5", "2024-02-12", "CONSUMER")
        .clv("C2", "2024-06-01", 800, false)
        .request("X1", "C1", "2024-01-20 10:00:00", "FEE_WAIVER", "GRANTED")
        .request("X4", "C4", "2024-01-20 10:00:00", "FEE_WAIVER", "DENIED")
        .request("X2", "C2", "2024-04-01 10:00:00", "LATE_RETURN", "DENIED")
        .request("X5", "C5", "2024-04-01 10:00:00", "LATE_RETURN", "DENIED")
        .referral("F1", "C1", "C2", "2024-02-09 10:00:00", true)
        .referral("F2", "C1", "C3", "2024-02-10 10:00:00", true)
        .referral("F3", "C1", null, "2024-02-11 10:00:00", false)
        .referral("F4", "C4", "C5", "2024-02-11 10:00:00", true), RUN_DATE);
    Row x1 = r.get("X1");
    assertEquals(3, num(x1, OutcomeCols.referralsMadeAfter(90)), "three referrals made within 90 days");
    assertEquals(2, num(x1, OutcomeCols.referralsConvertedAfter(90)), "two converted");
    assertEquals(800 + 500, num(x1, OutcomeCols.referredValueAfter(90)), "C2's latest value plus the default for C3");
    assertTrue(r.get("X2").<Boolean>getAs(OutcomeCols.REFERRED_BY_FLEXED), "C2 was referred after C1's grant");
    assertFalse(r.get("X5").<Boolean>getAs(OutcomeCols.REFERRED_BY_FLEXED), "C5's referrer was denied");
    assertFalse(x1.<Boolean>getAs(OutcomeCols.REFERRED_BY_FLEXED), "C1 was not referred");
  }

  @Test
  void everyRequestInIsOneRowOutWhateverTheHistory() {
    Tables t = new Tables().customer("C1", "2020-01-01", "CONSUMER").customer("C2", "2020-01-01", "ENTERPRISE");
    for (int i = 0; i < 25; i++) {
      t.request("A" + i, "C1", String.format("2024-01-%02d 10:00:00", i + 1), "FEE_WAIVER", i % 2 == 0 ? "GRANTED" : "DENIED");
      t.event("C1", String.format("2024-02-%02d 10:00:00", i + 1), "PURCHASE", 5.0);
    }
    t.request("B1", "C2", "2024-01-01 10:00:00", "CHECK_HOLD_RELEASE", "GRANTED");
    Dataset<Row> out = OutcomesJob.requests(t.build(), CFG, RUN_DATE);
    assertEquals(26, out.count(), "26 requests in, 26 rows out");
    assertEquals(26, out.select("exception_id").distinct().count(), "one row per request");
    assertEquals(0, out.filter(functions.col(FeatureCols.events(30)).isNull()).count(), "numeric features never null");
  }

  @Test
  void anExtraNumericColumnIsAFeatureWithAPresenceFlagAndZeroWhenMissing() {
    LeewayConfig cfg = LeewayConfig.load(new File("conf/local.conf"),
        Map.of("leeway.features.extra_numeric_columns", "[age]"));
    Tables t = new Tables().customer("C1", "2020-01-01", "CONSUMER", 34.0)
        .customer("C2", "2020-01-01", "CONSUMER", null)
        .request("X1", "C1", "2024-03-01 10:00:00", "FEE_WAIVER", "GRANTED")
        .request("X2", "C2", "2024-03-01 10:00:00", "FEE_WAIVER", "DENIED");
    Map<String, Row> r = new HashMap<>();
    for (Row row : OutcomesJob.requests(t.build(), cfg, RUN_DATE).collectAsList()) {
      r.put(row.getAs("exception_id"), row);
    }
    assertEquals(34.0, num(r.get("X1"), "age"), "the customer's age is carried as a number");
    assertEquals(1, num(r.get("X1"), FeatureCols.has("age")), "has_age is 1 when the value is present");
    assertEquals(0.0, num(r.get("X2"), "age"), "a missing age is 0");
    assertEquals(0, num(r.get("X2"), FeatureCols.has("age")), "and has_age 0, so it differs from a real 0");
    List<String> numeric = FeatureCols.numeric(cfg.features());
    assertEquals(List.of("age", "has_age"), numeric.subList(numeric.size() - 2, numeric.size()),
        "the value and its flag are model features, after the built-in ones: " + numeric);
  }

  @Test
  void theSameFeatureCodeScoresCustomersAtTheEndOfTheRunDate() {
    ConformedTables t = new Tables().customer("C1", "2020-01-01", "CONSUMER")
        .clv("C1", "2025-06-01", 300, false)
        .event("C1", "2025-06-30 23:00:00", "LOGIN", null)
        .build();
    Dataset<Row> index = t.customers().select(functions.col("customer_id"),
        functions.lit(Tables.ts("2025-07-01 00:00:00")).as(FeatureCols.INDEX_AT));
    Row r = new PointInTimeFeatures(CFG.features()).compute(index, "customer_id", t).first();
    assertEquals(1, num(r, FeatureCols.events(30)), "an event late on the run date counts");
    assertEquals(300.0, num(r, FeatureCols.CLV), "the snapshot before the index day");
  }

  @Test
  void featuresAtOneInstantEqualThoseOfTheSweepForEveryCustomer() {
    // Events on and either side of each window's ends (the index is 2025-07-01 00:00:00; windows are 30, 90 and 365
    // days before it), churns, a missing amount, a customer without events and one whose events all come after.
    Tables rows = new Tables().customer("C1", "2020-01-01", "CONSUMER").customer("C2", "2024-01-01", "SMB")
        .customer("C3", "2025-06-01", "CONSUMER").customer("C4", "2020-01-01", "CONSUMER")
        .event("C1", "2025-07-01 00:00:00", "PURCHASE", 1000.0)
        .event("C1", "2025-06-30 23:59:59", "PURCHASE", 1.25)
        .event("C1", "2025-06-01 00:00:00", "PURCHASE", 10.0)
        .event("C1", "2025-05-31 23:59:59", "PURCHASE", 100.0)
        .event("C1", "2025-04-02 00:00:00", "LOGIN", null)
        .event("C1", "2024-07-01 00:00:00", "PURCHASE", 0.333333)
        .event("C1", "2024-06-30 23:59:59", "CHURN", null)
        .event("C2", "2025-03-01 12:00:00", "CHURN", null)
        .event("C2", "2025-06-15 08:00:00", "PURCHASE", 42.5)
        .event("C4", "2025-07-02 00:00:00", "PURCHASE", 5.0)
        .clv("C1", "2025-06-01", 300, false);
    ConformedTables t = rows.build();
    java.time.Instant at = java.time.Instant.parse("2025-07-01T00:00:00Z");
    Dataset<Row> index = t.customers().select(functions.col("customer_id"),
        functions.lit(java.sql.Timestamp.from(at)).as(FeatureCols.INDEX_AT));
    PointInTimeFeatures f = new PointInTimeFeatures(CFG.features());
    Map<String, Row> swept = byCustomer(f.compute(index, "customer_id", t));
    Map<String, Row> grouped = byCustomer(f.computeAt(t.customers(), at, t));
    assertEquals(4, grouped.size());
    assertEquals(swept.keySet(), grouped.keySet());
    Dataset<Row> once = f.computeAt(t.customers(), at, t);
    assertEquals(List.of(f.compute(index, "customer_id", t).schema().fields()), List.of(once.schema().fields()),
        "the same columns and types");
    for (String c : swept.keySet()) {
      assertEquals(swept.get(c), grouped.get(c), "customer " + c);
    }
    assertEquals(2, num(grouped.get("C1"), FeatureCols.events(30)), "both ends of the 30-day window, not the index");
    assertEquals(11.25, num(grouped.get("C1"), FeatureCols.spend(30)), 1e-12);
    assertEquals(1, num(grouped.get("C1"), FeatureCols.CHURNED_BEFORE), "a churn a year before counts");
  }

  private static Map<String, Row> byCustomer(Dataset<Row> d) {
    Map<String, Row> out = new HashMap<>();
    for (Row r : d.collectAsList()) {
      out.put(r.getAs("customer_id"), r);
    }
    return out;
  }
}
