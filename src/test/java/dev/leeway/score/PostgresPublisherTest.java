package dev.leeway.score;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.expr;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.config.ConfigError;
import dev.leeway.support.TestPostgres;
import dev.leeway.support.TestSpark;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

/** Publishing to a real PostgreSQL server: whole sets only, swapped in atomically under a concurrent reader. */
class PostgresPublisherTest {
  private static final TestPostgres.Server PG = TestPostgres.get();

  private static PostgresPublisher publisher(String table) {
    return new PostgresPublisher(new PostgresPublisher.Target(PG.url(), PG.user(), PG.password()), table);
  }

  /** {@code n} score rows in the published layout (without run_date), tagged with {@code model}. */
  private static Dataset<Row> scores(long n, String model) {
    return TestSpark.session().range(n).selectExpr(
        "format_string('C%08d', id) as customer_id", "'TRIAL_EXTENSION' as policy", "'FLEX' as recommendation",
        "12.5D as max_concession", "40.0D as expected_net_value", "25.0D as flex_threshold", "52.5D as expected_value",
        "12.5D as expected_cost", "0.0D as entitlement_cost",
        "0.05D as uplift_retention", "0.01D as uplift_referrals", "false as uplift_calibrated",
        "array('clv') as outside_support", "1000.0D as clv", "250.0D as referral_value",
        "cast(id % 3 as bigint) as past_grants", "2 as sporadic_cap", "0.002D as expected_requests_per_day",
        "'T1' as team", "array('BELOW_FLOOR') as reason_codes",
        "array(named_struct('feature', 'tenure_days', 'direction', 'raises', 'effect', 0.02D, 'text', "
            + "'long tenure (900 days)')) as reasons",
        "'" + model + "' as model_version", "date'2026-11-02' as valid_until");
  }

  private static Connection connect() throws SQLException {
    return DriverManager.getConnection(PG.url(), PG.user(), PG.password());
  }

  @Test
  void aReaderPollingDuringAPublishSeesOneWholeRunAtATime() throws Exception {
    PostgresPublisher p = publisher("scores_swap");
    assertEquals(20_000, p.publish(scores(20_000, "m1"), LocalDate.parse("2026-11-01"), "m1"));

    List<String> seen = new ArrayList<>();
    List<Throwable> errors = new ArrayList<>();
    AtomicBoolean stop = new AtomicBoolean();
    Thread reader = new Thread(() -> {
      try (Connection c = connect(); Statement st = c.createStatement()) {
        while (!stop.get()) {
          try (ResultSet rs = st.executeQuery("SELECT count(*), count(DISTINCT run_date), min(run_date), "
              + "count(DISTINCT model_version), min(model_version) FROM scores_swap")) {
            rs.next();
            seen.add(rs.getLong(1) + "/" + rs.getLong(2) + "/" + rs.getString(3) + "/" + rs.getLong(4) + "/"
                + rs.getString(5));
          }
        }
      } catch (Throwable e) {
        errors.add(e);
      }
    });
    reader.start();
    Thread.sleep(200);
    p.publish(scores(30_000, "m2"), LocalDate.parse("2026-11-02"), "m2");
    Thread.sleep(200);
    stop.set(true);
    reader.join();

    assertEquals(List.of(), errors, "the reader never fails");
    assertTrue(seen.size() > 20, "the reader polled throughout the publish: " + seen.size());
    List<String> distinct = seen.stream().distinct().toList();
    assertEquals(List.of("20000/1/2026-11-01/1/m1", "30000/1/2026-11-02/1/m2"), distinct,
        "only the whole old set, then the whole new set");

    try (Connection c = connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT reasons->0->>'text', reason_codes[1], valid_until FROM scores_swap "
            + "WHERE customer_id = 'C00000007'")) {
      assertTrue(rs.next());
      assertEquals("long tenure (900 days)", rs.getString(1), "reasons are queryable JSON");
      assertEquals("BELOW_FLOOR", rs.getString(2));
      assertEquals("2026-11-02", rs.getString(3));
    }
    try (Connection c = connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT model_version, rows FROM scores_swap_runs ORDER BY run_date")) {
      assertTrue(rs.next());
      assertEquals("m1", rs.getString(1));
      assertTrue(rs.next());
      assertEquals(30_000, rs.getLong(2));
    }
  }

  @Test
  void aFailedLoadLeavesThePublishedSetAndNoStagingTable() throws Exception {
    PostgresPublisher p = publisher("scores_fail");
    p.publish(scores(1_000, "m1"), LocalDate.parse("2026-11-01"), "m1");
    // A duplicate (customer, policy) breaks the primary key after the load: nothing may be swapped in.
    Dataset<Row> duplicated = scores(500, "m2").unionByName(scores(10, "m2"));
    SQLException e = assertThrows(SQLException.class,
        () -> p.publish(duplicated, LocalDate.parse("2026-11-02"), "m2"));
    assertTrue(e.getMessage().contains("duplicate (customer_id, policy)") && e.getMessage().contains("10 keys"),
        e.getMessage());
    try (Connection c = connect(); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT count(*), min(model_version) FROM scores_fail")) {
        rs.next();
        assertEquals(1_000, rs.getLong(1));
        assertEquals("m1", rs.getString(2));
      }
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'scores_fail_staging%'")) {
        rs.next();
        assertEquals(0, rs.getLong(1), "the staging table is dropped");
      }
    }
  }

  @Test
  void connectionSettingsComeFromTheEnvironmentOnly() {
    ConfigError e = assertThrows(ConfigError.class, () -> PostgresPublisher.Target.fromEnvironment(Map.of()));
    assertTrue(e.getMessage().contains("LEEWAY_PG_URL"), e.getMessage());
    PostgresPublisher.Target t = PostgresPublisher.Target.fromEnvironment(Map.of("LEEWAY_PG_URL", "jdbc:postgresql://h/db",
        "LEEWAY_PG_USER", "u", "LEEWAY_PG_PASSWORD", "secret"));
    assertTrue(!t.toString().contains("secret"), "the password is never printed: " + t);
    PostgresPublisher.Target inUrl = new PostgresPublisher.Target("jdbc:postgresql://h/db?password=hunter2", "u", "");
    assertTrue(!inUrl.toString().contains("hunter2"), "nor a password in the URL: " + inUrl);
    assertThrows(ConfigError.class, () -> publisher("scores; DROP TABLE x"));
  }

  @Test
  void grantsAndDependentViewsSurviveRepublishing() throws Exception {
    PostgresPublisher p = publisher("scores_grants");
    p.publish(scores(50, "m1"), LocalDate.parse("2026-11-01"), "m1");
    long oid;
    try (Connection c = connect(); Statement st = c.createStatement()) {
      st.execute("DO $$ BEGIN CREATE ROLE reader_x NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$");
      st.execute("GRANT SELECT ON scores_grants TO reader_x");
      st.execute("CREATE VIEW scores_grants_flex AS SELECT customer_id, policy, model_version FROM scores_grants "
          + "WHERE recommendation = 'FLEX'");
      oid = oid(st, "scores_grants");
    }
    // The second run holds 20 of its 80 rows back: the view must show the new 60 FLEX rows, all of model m2.
    Dataset<Row> second = scores(80, "m2")
        .withColumn("recommendation", when(col("customer_id").lt("C00000020"), lit("HOLD")).otherwise(lit("FLEX")));
    assertEquals(80, p.publish(second, LocalDate.parse("2026-11-02"), "m2"));
    assertEquals(80, p.publish(second, LocalDate.parse("2026-11-02"), "m2"), "a re-run of a date publishes again");

    try (Connection c = connect(); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT count(*), min(model_version), max(model_version), min(customer_id) "
          + "FROM scores_grants_flex")) {
        rs.next();
        assertEquals(60, rs.getLong(1), "the view reads the new rows");
        assertEquals("m2", rs.getString(2));
        assertEquals("m2", rs.getString(3));
        assertEquals("C00000020", rs.getString(4));
      }
      try (ResultSet rs = st.executeQuery("SELECT has_table_privilege('reader_x', 'scores_grants', 'SELECT')")) {
        rs.next();
        assertTrue(rs.getBoolean(1), "the grant survives");
      }
      assertEquals(oid, oid(st, "scores_grants"), "the published table is the same table, its contents swapped");
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_constraint "
          + "WHERE conrelid = 'scores_grants'::regclass AND contype = 'p'")) {
        rs.next();
        assertEquals(1, rs.getLong(1), "the published table has its primary key");
      }
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_tables WHERE tablename LIKE 'scores_grants_staging%'")) {
        rs.next();
        assertEquals(0, rs.getLong(1), "no staging table is left");
      }
    }
  }

  private static long oid(Statement st, String table) throws SQLException {
    try (ResultSet rs = st.executeQuery("SELECT '" + table + "'::regclass::oid")) {
      rs.next();
      return rs.getLong(1);
    }
  }

  @Test
  void awkwardTextRoundTripsThroughCopy() throws Exception {
    String team = "north\teast\nline two\r\n\\.\nback\\slash \"quoted\", comma \\N NULL";
    String reason = "naïve «Größe» — 'single' \"double\" \\ 😀 {brace} [x]";
    Dataset<Row> awkward = scores(5, "m1")
        .withColumn("team", when(col("customer_id").equalTo("C00000001"), lit(team)).otherwise(col("team")))
        .withColumn("clv", when(col("customer_id").equalTo("C00000001"), lit(null).cast("double"))
            .otherwise(col("clv")))
        .withColumn("outside_support", when(col("customer_id").equalTo("C00000001"),
            expr("filter(outside_support, x -> false)")).otherwise(col("outside_support")))
        .withColumn("reason_codes", when(col("customer_id").equalTo("C00000001"),
            array(lit("A,B"), lit("q\"uote"), lit("back\\slash"), lit("NULL"), lit(""), lit("{x}"),
                lit(null).cast("string"), lit("tab\there"))).otherwise(col("reason_codes")))
        .withColumn("reasons", when(col("customer_id").equalTo("C00000001"),
            array(struct(lit("tenure_days").as("feature"), lit("raises").as("direction"), lit(0.02).as("effect"),
                lit(reason).as("text")))).otherwise(col("reasons")));
    assertEquals(5, publisher("scores_text").publish(awkward, LocalDate.parse("2026-11-01"), "m1"));

    try (Connection c = connect(); Statement st = c.createStatement()) {
      try (ResultSet rs = st.executeQuery("SELECT team, clv, cardinality(outside_support), outside_support::text, "
          + "reason_codes, reasons->0->>'text', reasons->0->>'feature', run_date FROM scores_text "
          + "WHERE customer_id = 'C00000001'")) {
        assertTrue(rs.next());
        assertEquals(team, rs.getString(1), "tabs, newlines, backslashes, quotes and commas survive");
        rs.getDouble(2);
        assertTrue(rs.wasNull(), "a NULL clv stays NULL");
        assertEquals(0, rs.getInt(3), "an empty array stays empty (not NULL)");
        assertEquals("{}", rs.getString(4));
        assertArrayEquals(new String[] {"A,B", "q\"uote", "back\\slash", "NULL", "", "{x}", null, "tab\there"},
            (String[]) rs.getArray(5).getArray(), "array elements are quoted; a NULL element stays NULL");
        assertEquals(reason, rs.getString(6), "unicode and quotes in the reasons JSON survive");
        assertEquals("tenure_days", rs.getString(7));
        assertEquals("2026-11-01", rs.getString(8));
      }
      try (ResultSet rs = st.executeQuery("SELECT count(*), count(clv), min(team), max(team) FROM scores_text "
          + "WHERE customer_id <> 'C00000001'")) {
        rs.next();
        assertEquals(4, rs.getLong(1));
        assertEquals(4, rs.getLong(2), "the other rows keep their values");
        assertEquals("T1", rs.getString(3));
        assertEquals("T1", rs.getString(4));
      }
    }
  }

  @Test
  void sweepStagingDropsOnlyThatRunDatesLeftovers() throws Exception {
    PostgresPublisher p = publisher("scores_sweep");
    try (Connection c = connect(); Statement st = c.createStatement()) {
      for (String t : List.of("scores_sweep_staging_20261101_abcdef123456", "scores_sweep_staging_20261102_abcdef123456",
          "scores_sweep_staging_20261101_keep_me", "scores_sweepx_staging_20261101_abcdef123456")) {
        st.execute("CREATE TABLE " + t + " (" + PostgresPublisher.columnsDdl() + ")");
      }
    }
    assertEquals(1, p.sweepStaging(LocalDate.parse("2026-11-01")));
    assertEquals(0, p.sweepStaging(LocalDate.parse("2026-11-01")), "nothing is left to sweep");
    try (Connection c = connect(); Statement st = c.createStatement();
        ResultSet rs = st.executeQuery("SELECT tablename FROM pg_tables WHERE tablename LIKE 'scores_sweep%' "
            + "ORDER BY tablename")) {
      List<String> left = new ArrayList<>();
      while (rs.next()) {
        left.add(rs.getString(1));
      }
      assertEquals(List.of("scores_sweep_staging_20261101_keep_me", "scores_sweep_staging_20261102_abcdef123456",
          "scores_sweepx_staging_20261101_abcdef123456"), left, "another date's staging table is left alone");
      assertFalse(left.contains("scores_sweep_staging_20261101_abcdef123456"));
    }
  }
}
