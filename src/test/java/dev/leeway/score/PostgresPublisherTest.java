package dev.leeway.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
    assertThrows(SQLException.class, () -> p.publish(duplicated, LocalDate.parse("2026-11-02"), "m2"));
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
}
