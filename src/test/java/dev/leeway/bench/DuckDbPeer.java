package dev.leeway.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What a single-machine user would write instead of Leeway's ingest and outcomes stages: the same work as SQL in
 * DuckDB (through its JDBC driver, a test-scope dependency: never in Leeway's jar). Ingest reads each raw CSV table,
 * cleans (white space, null tokens), types and checks every value, keeps the first row of each key, quarantines the
 * rest and rows of unknown customers or after the run date with their reasons, and writes conformed and quarantine
 * Parquet. Outcomes builds one row per conformed request: point-in-time features (the as-of lifetime value, activity,
 * spend, referrals and prior requests in look-back windows) and outcomes (retention, revenue and referrals in
 * horizons after the request), written as Parquet.
 *
 * <p>{@code jobs/bench-peer} runs it beside Leeway's own stages on the same files and prints the ratios.
 */
public final class DuckDbPeer {
  private static final String[] NULL_TOKENS = {"NULL", "N/A", "#N/A", "NONE", "NAN"};
  private static final int[] WINDOWS = {30, 90, 365};
  private static final int[] HORIZONS = {30, 90, 180, 365};
  private static final int[] REFERRAL_WINDOWS = {90, 365};
  private static final int[] REVENUE_WINDOWS = {90, 365};
  private static final int PRIOR_DAYS = 365;
  private static final int INACTIVITY_DAYS = 90;
  private static final int NO_HISTORY_DAYS = 3650;

  /** A contract column: its name, its type (text, code, date, timestamp, number, boolean) and whether required. */
  record Column(String name, String type, boolean required) {}

  /** A raw table: its columns, its unique key (empty: none) and its columns that must name a known customer. */
  record Table(String name, List<Column> columns, List<String> key, List<String> customerRefs) {}

  static final List<Table> TABLES = List.of(
      new Table("customers", List.of(new Column("customer_id", "text", true), new Column("signup_date", "date", true),
          new Column("segment", "code", false), new Column("region", "code", false),
          new Column("channel", "code", false)),
          List.of("customer_id"), List.of()),
      new Table("clv_snapshots", List.of(new Column("customer_id", "text", true),
          new Column("as_of_date", "date", true), new Column("clv", "number", true),
          new Column("historical_value", "number", false), new Column("risk_flag", "boolean", false)),
          List.of("customer_id", "as_of_date"), List.of("customer_id")),
      new Table("exceptions", List.of(new Column("exception_id", "text", true),
          new Column("customer_id", "text", true), new Column("requested_at", "timestamp", true),
          new Column("policy", "code", true), new Column("decision", "code", true),
          new Column("employee_id", "text", false), new Column("team", "text", false),
          new Column("channel", "code", false), new Column("cost", "number", false)),
          List.of("exception_id"), List.of("customer_id")),
      new Table("activity", List.of(new Column("customer_id", "text", true), new Column("event_at", "timestamp", true),
          new Column("event_type", "code", true), new Column("amount", "number", false)),
          List.of("customer_id", "event_at", "event_type", "amount"), List.of("customer_id")),
      new Table("referrals", List.of(new Column("referral_id", "text", true), new Column("referrer_id", "text", true),
          new Column("referred_customer_id", "text", false), new Column("referred_at", "timestamp", true),
          new Column("converted", "boolean", true)),
          List.of("referral_id"), List.of("referrer_id", "referred_customer_id")));

  private final Connection db;
  private final Path input;
  private final Path output;
  private final LocalDate runDate;

  DuckDbPeer(Connection db, Path input, Path output, LocalDate runDate) {
    this.db = db;
    this.input = input;
    this.output = output;
    this.runDate = runDate;
  }

  /**
   * Usage: DuckDbPeer INPUT_ROOT WORK_DIR RUN_DATE RUNS. Runs, RUNS times each and alternating, Leeway's ingest and
   * outcomes ({@code jobs/leeway}, a fresh output root each time; the stages' seconds from status.json) and this
   * peer on the same raw files, then prints the medians and their ratios.
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 4) {
      System.err.println("usage: DuckDbPeer INPUT_ROOT WORK_DIR RUN_DATE RUNS");
      System.exit(2);
    }
    Path input = Path.of(args[0]);
    Path work = Path.of(args[1]);
    LocalDate runDate = LocalDate.parse(args[2]);
    int runs = Integer.parseInt(args[3]);
    Map<String, List<Double>> leeway = new LinkedHashMap<>();
    Map<String, List<Double>> peer = new LinkedHashMap<>();
    for (int r = 1; r <= runs; r++) {
      Path out = work.resolve("leeway-" + r);
      deleteTree(out);
      for (String stage : List.of("ingest", "outcomes")) {
        Process p = new ProcessBuilder("jobs/leeway", stage, "--run-date", runDate.toString(), "--input-root",
            input.toString(), "--output-root", out.toString()).redirectErrorStream(true)
            .redirectOutput(work.resolve("leeway-" + r + "-" + stage + ".log").toFile()).start();
        if (p.waitFor() != 0) {
          throw new IllegalStateException("jobs/leeway " + stage + " failed: see " + work);
        }
        // Each command rewrites the date's status with its own stage.
        com.fasterxml.jackson.databind.JsonNode status = new com.fasterxml.jackson.databind.ObjectMapper()
            .readTree(out.resolve("runs").resolve(runDate.toString()).resolve("status.json").toFile());
        for (com.fasterxml.jackson.databind.JsonNode st : status.get("stages")) {
          if (st.get("stage").asText().equals(stage)) {
            leeway.computeIfAbsent(stage, k -> new ArrayList<>()).add(st.at("/resources/seconds").asDouble());
          }
        }
      }
      Path peerOut = work.resolve("duckdb-" + r);
      deleteTree(peerOut);
      run(input, peerOut, runDate).forEach((k, v) -> peer.computeIfAbsent(k, x -> new ArrayList<>()).add(v));
      System.out.printf(Locale.ROOT, "run %d: leeway %s, duckdb %s%n", r, last(leeway), last(peer));
    }
    System.out.printf(Locale.ROOT, "%nmedians of %d run(s) on %s%n%-10s %10s %10s %8s%n", runs, input, "stage",
        "leeway s", "duckdb s", "ratio");
    for (String stage : peer.keySet()) {
      double l = median(leeway.get(stage));
      double d = median(peer.get(stage));
      System.out.printf(Locale.ROOT, "%-10s %10.1f %10.1f %7.1fx%n", stage, l, d, l / d);
    }
  }

  private static Map<String, String> last(Map<String, List<Double>> seconds) {
    Map<String, String> out = new LinkedHashMap<>();
    seconds.forEach((k, v) -> out.put(k, String.format(Locale.ROOT, "%.1f s", v.get(v.size() - 1))));
    return out;
  }

  private static double median(List<Double> xs) {
    List<Double> s = xs.stream().sorted().toList();
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  private static void deleteTree(Path p) throws IOException {
    if (Files.exists(p)) {
      try (var files = Files.walk(p)) {
        for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(f);
        }
      }
    }
  }

  /** Runs ingest then outcomes in a fresh in-memory database; returns the seconds of each. */
  public static Map<String, Double> run(Path input, Path output, LocalDate runDate) throws SQLException,
      IOException {
    Files.createDirectories(output);
    Map<String, Double> seconds = new LinkedHashMap<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:")) {
      DuckDbPeer peer = new DuckDbPeer(c, input, output, runDate);
      long t0 = System.nanoTime();
      peer.ingest();
      long t1 = System.nanoTime();
      peer.outcomes();
      long t2 = System.nanoTime();
      seconds.put("ingest", (t1 - t0) / 1e9);
      seconds.put("outcomes", (t2 - t1) / 1e9);
    }
    return seconds;
  }

  void ingest() throws SQLException {
    exec("CREATE OR REPLACE MACRO clean(v) AS CASE WHEN upper(trim(regexp_replace(v, "
        + "'^[\\s\\x{00A0}\\x{200B}\\x{FEFF}]+|[\\s\\x{00A0}\\x{200B}\\x{FEFF}]+$', '', 'g'))) IN ("
        + List.of(NULL_TOKENS).stream().map(t -> "'" + t + "'").collect(Collectors.joining(", ")) + ", '') "
        + "THEN NULL ELSE replace(trim(regexp_replace(v, "
        + "'^[\\s\\x{00A0}\\x{200B}\\x{FEFF}]+|[\\s\\x{00A0}\\x{200B}\\x{FEFF}]+$', '', 'g')), chr(160), ' ') END");
    for (Table t : TABLES) {
      ingest(t);
    }
  }

  private void ingest(Table t) throws SQLException {
    String files = input.resolve(t.name()).toString() + "/**/*.csv*";
    exec("CREATE OR REPLACE TABLE raw_" + t.name() + " AS SELECT *, row_number() OVER (PARTITION BY filename) "
        + "AS __row FROM read_csv('" + files + "', header = true, all_varchar = true, filename = true, "
        + "quote = '\"', escape = '\"', union_by_name = true)");
    java.util.Set<String> present = new java.util.HashSet<>();
    try (Statement st = db.createStatement();
         java.sql.ResultSet rs = st.executeQuery("SELECT column_name FROM (DESCRIBE raw_" + t.name() + ")")) {
      while (rs.next()) {
        present.add(rs.getString(1));
      }
    }
    List<String> cleaned = new ArrayList<>();
    List<String> typed = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (Column c : t.columns()) {
      String v = "c_" + c.name();
      // An optional column a file lacks is no value.
      cleaned.add((present.contains(c.name()) ? "clean(\"" + c.name() + "\")" : "CAST(NULL AS VARCHAR)") + " AS "
          + v);
      String value = switch (c.type()) {
        case "code" -> "upper(" + v + ")";
        case "date" -> "TRY_CAST(" + v + " AS DATE)";
        case "timestamp" -> "TRY_CAST(replace(" + v + ", 'T', ' ') AS TIMESTAMP)";
        case "number" -> "CASE WHEN isfinite(TRY_CAST(" + v + " AS DOUBLE)) THEN TRY_CAST(" + v + " AS DOUBLE) END";
        case "boolean" -> "CASE WHEN lower(" + v + ") IN ('true', 'yes', 'y', 't', '1') THEN true WHEN lower(" + v
            + ") IN ('false', 'no', 'n', 'f', '0') THEN false END";
        default -> v;
      };
      typed.add(value + " AS \"" + c.name() + "\"");
      if (c.required()) {
        reasons.add("CASE WHEN " + v + " IS NULL THEN 'missing " + c.name() + "' END");
      }
      if (!c.type().equals("text") && !c.type().equals("code")) {
        reasons.add("CASE WHEN " + v + " IS NOT NULL AND " + value + " IS NULL THEN 'invalid " + c.type() + " in "
            + c.name() + "' END");
      }
      if (c.type().equals("text") || c.type().equals("code")) {
        reasons.add("CASE WHEN regexp_matches(" + v + ", '[\\x00-\\x1F]') THEN 'control character in " + c.name()
            + "' END");
      }
      if (c.type().equals("timestamp") || c.type().equals("date")) {
        reasons.add("CASE WHEN " + value + " >= DATE '" + runDate.plusDays(1) + "' THEN '" + c.name()
            + " after the run date' END");
      }
    }
    if (t.name().equals("exceptions")) {
      reasons.add("CASE WHEN upper(c_decision) NOT IN ('GRANTED', 'DENIED') THEN 'unknown decision' END");
      reasons.add("CASE WHEN upper(c_decision) = 'GRANTED' AND c_cost IS NULL THEN 'missing cost' END");
      reasons.add("CASE WHEN TRY_CAST(c_cost AS DOUBLE) < 0 THEN 'negative cost' END");
    }
    if (t.name().equals("clv_snapshots")) {
      reasons.add("CASE WHEN TRY_CAST(c_clv AS DOUBLE) < 0 THEN 'negative clv' END");
    }
    exec("CREATE OR REPLACE TABLE checked_" + t.name() + " AS SELECT *, " + String.join(", ", typed)
        + ", list_filter([" + String.join(", ", reasons) + "], r -> r IS NOT NULL) AS __reasons FROM (SELECT "
        + "filename AS __file, __row, " + String.join(", ", cleaned) + " FROM raw_" + t.name() + ")");
    // Among the valid rows, the first of each key in (file, row) order is kept; unknown customers are not.
    String names = t.columns().stream().map(c -> "\"" + c.name() + "\"").collect(Collectors.joining(", "));
    String known = t.customerRefs().stream().map(r -> "CASE WHEN \"" + r + "\" IS NOT NULL AND \"" + r
        + "\" NOT IN (SELECT customer_id FROM conformed_customers) THEN 'unknown " + r + "' END")
        .collect(Collectors.joining(", "));
    exec("CREATE OR REPLACE TABLE judged_" + t.name() + " AS SELECT *, CASE WHEN len(__reasons) > 0 THEN "
        + "array_to_string(__reasons, '; ') WHEN __k > 1 THEN 'duplicate " + String.join(", ", t.key())
        + "' ELSE " + (known.isEmpty() ? "NULL" : "coalesce(" + known + ")") + " END AS quarantine_reason FROM ("
        + "SELECT *, row_number() OVER (PARTITION BY len(__reasons) = 0, " + String.join(", ",
            t.key().stream().map(k -> "\"" + k + "\"").toList()) + " ORDER BY __file, __row) AS __k FROM checked_"
        + t.name() + ")");
    exec("CREATE OR REPLACE TABLE conformed_" + t.name() + " AS SELECT " + names + " FROM judged_" + t.name()
        + " WHERE quarantine_reason IS NULL");
    exec("COPY conformed_" + t.name() + " TO '" + output.resolve("conformed_" + t.name() + ".parquet")
        + "' (FORMAT parquet)");
    exec("COPY (SELECT " + t.columns().stream().map(c -> "c_" + c.name()).collect(Collectors.joining(", "))
        + ", quarantine_reason, __file AS source_file, __row AS source_row FROM judged_" + t.name()
        + " WHERE quarantine_reason IS NOT NULL) TO '" + output.resolve("quarantine_" + t.name() + ".parquet")
        + "' (FORMAT parquet)");
    for (String drop : List.of("raw_", "checked_", "judged_")) {
      exec("DROP TABLE " + drop + t.name());
    }
  }

  void outcomes() throws SQLException {
    String end = "TIMESTAMP '" + runDate.plusDays(1) + " 00:00:00'";
    List<String> a = new ArrayList<>();
    for (int w : WINDOWS) {
      a.add("count_if(e.event_type <> 'CHURN' AND e.event_at >= r.requested_at - INTERVAL " + w
          + " DAY AND e.event_at < r.requested_at) AS events_" + w + "d");
      a.add("coalesce(sum(e.amount) FILTER (WHERE e.event_type <> 'CHURN' AND e.event_at >= r.requested_at - "
          + "INTERVAL " + w + " DAY AND e.event_at < r.requested_at), 0) AS spend_" + w + "d");
    }
    a.add("coalesce(date_diff('second', max(e.event_at) FILTER (WHERE e.event_type <> 'CHURN' AND e.event_at < "
        + "r.requested_at), r.requested_at) / 86400.0, " + NO_HISTORY_DAYS + ") AS days_since_last_activity");
    a.add("CAST(count_if(e.event_type = 'CHURN' AND e.event_at < r.requested_at) > 0 AS INT) AS churned_before");
    for (int h : HORIZONS) {
      int recent = Math.min(INACTIVITY_DAYS, h);
      a.add("CASE WHEN r.requested_at + INTERVAL " + h + " DAY <= " + end + " THEN CAST(count_if(e.event_type = "
          + "'CHURN' AND e.event_at > r.requested_at AND e.event_at <= r.requested_at + INTERVAL " + h + " DAY) = 0 "
          + "AND count_if(e.event_type <> 'CHURN' AND e.event_at > r.requested_at + INTERVAL " + (h - recent)
          + " DAY AND e.event_at <= r.requested_at + INTERVAL " + h + " DAY) > 0 AS INT) END AS retained_" + h + "d");
    }
    for (int w : REVENUE_WINDOWS) {
      a.add("CASE WHEN r.requested_at + INTERVAL " + w + " DAY <= " + end + " THEN coalesce(sum(e.amount) FILTER "
          + "(WHERE e.event_at > r.requested_at AND e.event_at <= r.requested_at + INTERVAL " + w + " DAY), 0) END "
          + "AS revenue_next_" + w + "d");
    }
    exec("CREATE OR REPLACE TABLE request_activity AS SELECT r.exception_id, " + String.join(", ", a)
        + " FROM conformed_exceptions r LEFT JOIN conformed_activity e ON e.customer_id = r.customer_id "
        + "GROUP BY r.exception_id, r.requested_at");
    List<String> f = new ArrayList<>();
    for (int w : WINDOWS) {
      f.add("count(f.referral_id) FILTER (WHERE f.referred_at >= r.requested_at - INTERVAL " + w + " DAY AND "
          + "f.referred_at < r.requested_at) AS referrals_made_" + w + "d");
    }
    for (int w : REFERRAL_WINDOWS) {
      String in = "f.referred_at > r.requested_at AND f.referred_at <= r.requested_at + INTERVAL " + w + " DAY";
      f.add("count(f.referral_id) FILTER (WHERE " + in + ") AS referrals_made_next_" + w + "d");
      f.add("count(f.referral_id) FILTER (WHERE " + in + " AND f.converted) AS referrals_converted_next_" + w + "d");
    }
    exec("CREATE OR REPLACE TABLE request_referrals AS SELECT r.exception_id, " + String.join(", ", f)
        + " FROM conformed_exceptions r LEFT JOIN conformed_referrals f ON f.referrer_id = r.customer_id "
        + "GROUP BY r.exception_id, r.requested_at");
    exec("CREATE OR REPLACE TABLE request_prior AS SELECT r.exception_id, count(p.exception_id) FILTER (WHERE "
        + "p.requested_at >= r.requested_at - INTERVAL " + PRIOR_DAYS + " DAY AND p.requested_at < r.requested_at) "
        + "AS prior_requests_" + PRIOR_DAYS + "d, count(p.exception_id) FILTER (WHERE p.decision = 'GRANTED' AND "
        + "p.requested_at >= r.requested_at - INTERVAL " + PRIOR_DAYS + " DAY AND p.requested_at < r.requested_at) "
        + "AS prior_grants_" + PRIOR_DAYS + "d, coalesce(date_diff('second', max(p.requested_at) FILTER (WHERE "
        + "p.decision = 'GRANTED' AND p.requested_at < r.requested_at), r.requested_at) / 86400.0, "
        + NO_HISTORY_DAYS + ") AS days_since_last_grant FROM conformed_exceptions r LEFT JOIN conformed_exceptions p "
        + "ON p.customer_id = r.customer_id GROUP BY r.exception_id, r.requested_at");
    exec("COPY (SELECT r.exception_id, r.customer_id, r.requested_at, r.policy, r.decision, "
        + "CAST(r.decision = 'GRANTED' AS INT) AS treated, r.employee_id, r.team, r.channel AS request_channel, "
        + "r.cost, coalesce(c.segment, 'UNKNOWN') AS segment, coalesce(c.region, 'UNKNOWN') AS region, "
        + "coalesce(c.channel, 'UNKNOWN') AS customer_channel, date_diff('day', c.signup_date, "
        + "CAST(r.requested_at AS DATE)) AS tenure_days, coalesce(s.clv, 0) AS clv, "
        + "coalesce(s.historical_value, 0) AS historical_value, s.as_of_date AS clv_as_of_date, "
        + "CAST(s.as_of_date IS NOT NULL AS INT) AS has_clv, CAST(coalesce(s.risk_flag, false) AS INT) AS risk_flag, "
        + "act.* EXCLUDE (exception_id), ref.* EXCLUDE (exception_id), pri.* EXCLUDE (exception_id) "
        + "FROM conformed_exceptions r JOIN conformed_customers c USING (customer_id) "
        + "ASOF LEFT JOIN conformed_clv_snapshots s ON s.customer_id = r.customer_id "
        + "AND CAST(r.requested_at AS DATE) > s.as_of_date "
        + "JOIN request_activity act USING (exception_id) JOIN request_referrals ref USING (exception_id) "
        + "JOIN request_prior pri USING (exception_id)) TO '" + output.resolve("requests.parquet")
        + "' (FORMAT parquet)");
  }

  private void exec(String sql) throws SQLException {
    try (Statement s = db.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new SQLException(e.getMessage() + "\nin: " + sql, e);
    }
  }
}
