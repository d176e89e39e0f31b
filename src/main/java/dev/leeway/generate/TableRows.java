package dev.leeway.generate;

import dev.leeway.contract.Cols;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Turns customer stories into raw CSV rows of the five input tables (all text, as an export would hold them),
 * including PII and free-text notes, and adds extra dirty rows of every kind ingest must catch.
 */
final class TableRows {
  private TableRows() {}

  static final String[] CUSTOMERS = {Cols.CUSTOMER_ID, Cols.SIGNUP_DATE, Cols.SEGMENT, Cols.REGION, Cols.CHANNEL,
      "loyalty_tier", "age", "full_name", "email", "phone"};
  static final String[] CLV = {Cols.CUSTOMER_ID, Cols.AS_OF_DATE, Cols.CLV, Cols.HISTORICAL_VALUE, Cols.RISK_FLAG};
  static final String[] EXCEPTIONS = {Cols.EXCEPTION_ID, Cols.CUSTOMER_ID, Cols.REQUESTED_AT, Cols.POLICY,
      Cols.DECISION, Cols.EMPLOYEE_ID, Cols.TEAM, Cols.CHANNEL, Cols.COST, Cols.NOTE};
  static final String[] ACTIVITY = {Cols.CUSTOMER_ID, Cols.EVENT_AT, Cols.EVENT_TYPE, Cols.AMOUNT};
  static final String[] REFERRALS = {Cols.REFERRAL_ID, Cols.REFERRER_ID, Cols.REFERRED_CUSTOMER_ID,
      Cols.REFERRED_AT, Cols.CONVERTED};

  private static final DateTimeFormatter TS = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final List<String> FIRST = List.of("Ana", "José", "Zoë", "Łukasz", "Åsa", "Chloé", "Mohammed",
      "Nguyễn", "Björn", "Siobhán", "Kenji", "Olga", "Amélie", "Søren", "Priya", "Dmitri", "Fatima", "Grace");
  private static final List<String> LAST = List.of("García", "Müller", "O'Brien", "Smith", "Kowalski", "Dubois",
      "Tanaka", "Nguyen", "Øvergaard", "Silva", "Rossi", "Hernández", "Smith, Jr.", "Van der Berg");
  private static final List<String> NOTES = List.of(
      "Long-standing customer, \"very polite\"; manager approved.",
      "Called twice, upset about the fee.\nAgreed to review, see ticket {n}.",
      "{name} needs the funds today, excellent history",
      "Late by {n} days; item unused, receipt shown, refund to card",
      "Trip to São Paulo – rebooked at no charge",
      "Start-up short of funding, heavy usage ({n} seats)",
      "Warranty expired last month; repair, no charge?",
      "");

  static StructType schema(String[] columns) {
    StructType s = new StructType();
    for (String c : columns) {
      s = s.add(c, DataTypes.StringType, true);
    }
    return s;
  }

  /** Every story of a base customer: itself and the customers its converted referrals became. */
  static List<CustomerStory> family(CustomerStory base) {
    List<CustomerStory> out = new ArrayList<>();
    out.add(base);
    for (CustomerStory.Referral r : base.referrals) {
      if (r.referred != null) {
        out.add(r.referred);
      }
    }
    return out;
  }

  static List<Row> customers(CustomerStory base) {
    List<Row> rows = new ArrayList<>();
    for (CustomerStory c : family(base)) {
      Rng pii = c.stream(5);
      String first = pii.pick(FIRST);
      String last = pii.pick(LAST);
      String tier = c.annualValue > 2000 ? "GOLD" : c.annualValue > 600 ? "SILVER" : "BRONZE";
      String email = (ascii(first) + "." + ascii(last)).toLowerCase(Locale.ROOT) + "." + c.id.toLowerCase(Locale.ROOT)
          + "@example.com";
      String phone = String.format("+1 555 %03d %04d", pii.below(1000), pii.below(10000));
      String[] row = {c.id, date(c.signupDay), c.segmentName(), c.region, c.channel, tier, age(c),
          first + " " + last, email, phone};
      emit(rows, row, c.stream(10), c.spec.dirtyRate(), TableRows::dirtyCustomer);
    }
    return rows;
  }

  /**
   * Age in whole years at the end date (18 to 90), empty for about 3%: a covariate the pipeline may use that
   * relates mildly to tenure and plays no part in any decision or outcome.
   */
  static String age(CustomerStory c) {
    Rng rng = c.stream(9);
    double atSignup = 18 + Math.exp(3.0 + 0.45 * rng.normal());
    boolean missing = rng.chance(0.03);
    long years = Math.min(90, (long) Math.floor(atSignup + (c.endDay - c.signupDay) / 365));
    return missing ? null : Long.toString(years);
  }

  static List<Row> clvSnapshots(CustomerStory base) {
    List<Row> rows = new ArrayList<>();
    for (CustomerStory c : family(base)) {
      for (int k = 0; k < c.snapshotSlots(); k++) {
        CustomerStory.Snapshot s = c.snapshot(k);
        if (s == null) {
          continue;
        }
        String[] row = {c.id, date(s.day()), money(s.clv()), money(s.historical()), Boolean.toString(c.risk)};
        emit(rows, row, c.stream(11), c.spec.dirtyRate(), TableRows::dirtySnapshot);
      }
    }
    return rows;
  }

  static List<Row> exceptions(CustomerStory base) {
    List<Row> rows = new ArrayList<>();
    for (CustomerStory c : family(base)) {
      Rng text = c.stream(6);
      for (CustomerStory.Request r : c.requests) {
        String team = String.format("T%02d", r.team + 1);
        String employee = String.format("E%02d%02d", r.team + 1, r.employee + 1);
        String note = text.pick(NOTES).replace("{name}", c.stream(5).pick(FIRST))
            .replace("{n}", Integer.toString(2 + text.below(5)));
        String[] row = {exceptionId(c, r), c.id, timestamp(r.day), World.POLICIES.get(r.policy),
            r.granted ? Cols.GRANTED : Cols.DENIED, employee, team, r.channel, money(r.cost), note.isEmpty() ? null : note};
        emit(rows, row, c.stream(12), c.spec.dirtyRate(), TableRows::dirtyException);
      }
    }
    return rows;
  }

  static List<Row> activity(CustomerStory base) {
    List<Row> rows = new ArrayList<>();
    for (CustomerStory c : family(base)) {
      Rng kind = c.stream(7);
      Rng dirt = c.stream(13);
      for (double d : c.activityDays()) {
        double u = kind.uniform();
        String type = u < 0.45 ? "LOGIN" : u < 0.85 ? "PURCHASE" : u < 0.95 ? "SUPPORT_CALL" : "RENEWAL";
        String amount = type.equals("PURCHASE") || type.equals("RENEWAL")
            ? money(c.annualValue / 12 * Math.exp(0.5 * kind.normal())) : null;
        emit(rows, new String[] {c.id, timestamp(d), type, amount}, dirt, c.spec.dirtyRate(), TableRows::dirtyActivity);
      }
      if (c.churnDay < c.endDay) {
        emit(rows, new String[] {c.id, timestamp(c.churnDay), Cols.CHURN, null}, dirt, c.spec.dirtyRate(),
            TableRows::dirtyActivity);
      }
    }
    return rows;
  }

  static List<Row> referrals(CustomerStory base) {
    List<Row> rows = new ArrayList<>();
    Rng dirt = base.stream(14);
    for (CustomerStory.Referral r : base.referrals) {
      String[] row = {base.id + "-F" + r.number, base.id, r.referred == null ? null : r.referred.id,
          timestamp(r.day), Boolean.toString(r.converted)};
      emit(rows, row, dirt, base.spec.dirtyRate(), TableRows::dirtyReferral);
    }
    return rows;
  }

  static String exceptionId(CustomerStory c, CustomerStory.Request r) {
    return "X" + c.id.substring(1) + "-" + r.number;
  }

  /** Makes a corrupted copy of a clean row; returns the rows to add after the clean one. */
  private interface Dirt {
    List<String[]> corrupt(String[] clean, Rng rng);
  }

  private static void emit(List<Row> rows, String[] clean, Rng rng, double dirtyRate, Dirt dirt) {
    rows.add(RowFactory.create((Object[]) clean));
    if (dirtyRate > 0 && rng.chance(dirtyRate)) {
      for (String[] extra : dirt.corrupt(clean, rng)) {
        rows.add(RowFactory.create((Object[]) extra));
      }
    }
  }

  private static List<String[]> dirtyCustomer(String[] clean, Rng rng) {
    String[] r = clean.clone();
    r[0] = clean[0] + "-D";
    switch (rng.below(5)) {
      case 0 -> r[1] = "2021-13-45";
      case 1 -> r[0] = null;
      case 2 -> r = clean.clone();
      case 3 -> r[1] = "2036-01-01";
      default -> r[1] = "yesterday";
    }
    return List.<String[]>of(r);
  }

  private static List<String[]> dirtySnapshot(String[] clean, Rng rng) {
    String[] r = clean.clone();
    switch (rng.below(5)) {
      case 0 -> r[2] = "-" + clean[2];
      case 1 -> r[2] = "n/a";
      case 2 -> r[1] = null;
      case 3 -> r[0] = clean[0] + "-GHOST";
      default -> { }
    }
    return List.<String[]>of(r);
  }

  private static List<String[]> dirtyException(String[] clean, Rng rng) {
    String[] r = clean.clone();
    r[0] = clean[0] + "-D";
    switch (rng.below(8)) {
      case 0 -> r[2] = "31/12/2024 10:00";
      case 1 -> r[8] = "12,50";
      case 2 -> r[8] = "-15.00";
      case 3 -> r[4] = "MAYBE";
      case 4 -> r[3] = null;
      case 5 -> r = clean.clone();
      case 6 -> r[1] = clean[1] + "-GHOST";
      default -> r[2] = "2036-06-30 12:00:00";
    }
    return List.<String[]>of(r);
  }

  private static List<String[]> dirtyActivity(String[] clean, Rng rng) {
    String[] r = clean.clone();
    switch (rng.below(5)) {
      case 0 -> r[1] = "not a time";
      case 1 -> r[3] = "12.5.3";
      case 2 -> r[2] = null;
      case 3 -> r[0] = clean[0] + "-GHOST";
      default -> r[1] = "2036-06-30 12:00:00";
    }
    return List.<String[]>of(r);
  }

  private static List<String[]> dirtyReferral(String[] clean, Rng rng) {
    String[] r = clean.clone();
    r[0] = clean[0] + "-D";
    switch (rng.below(5)) {
      case 0 -> r[3] = "2024-02-30 10:00:00";
      case 1 -> r[1] = null;
      case 2 -> r[1] = clean[1] + "-GHOST";
      case 3 -> r[4] = "maybe";
      default -> r = clean.clone();
    }
    return List.<String[]>of(r);
  }

  static String date(double day) {
    return LocalDate.ofEpochDay((long) Math.floor(day)).toString();
  }

  static String timestamp(double day) {
    return TS.format(Instant.ofEpochSecond(CustomerStory.seconds(day)));
  }

  static String money(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String ascii(String s) {
    return java.text.Normalizer.normalize(s, java.text.Normalizer.Form.NFD).replaceAll("[^A-Za-z]", "");
  }
}
