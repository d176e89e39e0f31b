package dev.leeway.score;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_json;

import dev.leeway.config.ConfigError;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SaveMode;

/**
 * Publishes a run's scores to PostgreSQL so that a frontline query sees the previous set or the new one, never a
 * mix: the rows are bulk-loaded into a private staging table (Spark's JDBC writer), checked (row count, primary key
 * on customer_id and policy), and swapped in by renames inside one transaction, which also records the run in
 * {@code <table>_runs}. A failed load drops its staging table and leaves the published table as it was.
 *
 * <p>Connection settings never come from committed configuration: {@code LEEWAY_PG_URL}, {@code LEEWAY_PG_USER},
 * {@code LEEWAY_PG_PASSWORD}, or {@code LEEWAY_PG_SECRETS} naming a properties file with {@code url}, {@code user}
 * and {@code password}.
 */
public final class PostgresPublisher {
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,40}");

  /** Where and as whom to connect. */
  public record Target(String url, String user, String password) {
    @Override
    public String toString() {
      // A JDBC URL may carry credentials in its parameters: never print them.
      int q = url.indexOf('?');
      return "Target[url=" + (q < 0 ? url : url.substring(0, q) + "?...") + ", user=" + user + "]";
    }

    java.sql.Connection open() throws SQLException {
      return DriverManager.getConnection(url, user, password);
    }

    /** From LEEWAY_PG_SECRETS (a properties file) or LEEWAY_PG_URL / _USER / _PASSWORD. */
    public static Target fromEnvironment(Map<String, String> env) {
      String secrets = env.get("LEEWAY_PG_SECRETS");
      if (secrets != null && !secrets.isBlank()) {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(Path.of(secrets))) {
          p.load(in);
        } catch (IOException e) {
          throw new ConfigError("Cannot read the PostgreSQL secrets file LEEWAY_PG_SECRETS=" + secrets + ": " + e);
        }
        if (p.getProperty("url") == null) {
          throw new ConfigError("The PostgreSQL secrets file " + secrets + " has no 'url' (and 'user', 'password')");
        }
        return new Target(p.getProperty("url"), p.getProperty("user", ""), p.getProperty("password", ""));
      }
      String url = env.get("LEEWAY_PG_URL");
      if (url == null || url.isBlank()) {
        throw new ConfigError("leeway.score.postgres.enabled is true but no connection is given: set LEEWAY_PG_URL "
            + "(jdbc:postgresql://host:5432/db), LEEWAY_PG_USER and LEEWAY_PG_PASSWORD, or LEEWAY_PG_SECRETS to a "
            + "properties file with url, user and password");
      }
      return new Target(url, env.getOrDefault("LEEWAY_PG_USER", ""), env.getOrDefault("LEEWAY_PG_PASSWORD", ""));
    }
  }

  private final Target connection;
  private final String table;

  public PostgresPublisher(Target connection, String table) {
    if (!IDENTIFIER.matcher(table).matches()) {
      throw new ConfigError("leeway.score.postgres.table must be a lower-case SQL name (letters, digits, _), got '"
          + table + "'");
    }
    this.connection = connection;
    this.table = table;
  }

  /** The columns as created: one per published column, reasons as jsonb. */
  static String columnsDdl() {
    return "customer_id text NOT NULL, policy text NOT NULL, recommendation text NOT NULL, "
        + "max_concession double precision, expected_net_value double precision, flex_threshold double precision, "
        + "expected_value double precision, expected_cost double precision, entitlement_cost double precision, "
        + "uplift_retention double precision, uplift_referrals double precision, "
        + "uplift_calibrated boolean, outside_support text[], clv double precision, referral_value double precision, "
        + "past_grants bigint, sporadic_cap integer, expected_requests_per_day double precision, team text, "
        + "reason_codes text[], reasons jsonb, model_version text, run_date date NOT NULL, valid_until date";
  }

  /**
   * Loads {@code scores} (the published columns, without run_date) for {@code runDate} and swaps them in.
   *
   * @return the number of rows now published
   */
  public long publish(Dataset<Row> scores, LocalDate runDate, String modelVersion) throws SQLException {
    String staging = table + "_staging_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    long expected = scores.count();
    try (java.sql.Connection c = connection.open(); Statement st = c.createStatement()) {
      st.execute("CREATE TABLE " + staging + " (" + columnsDdl() + ")");
    }
    try {
      Column[] cols = ScoreCols.PUBLISHED.stream()
          .map(n -> n.equals(ScoreCols.REASONS) ? to_json(col(n)).as(n)
              : n.equals(ScoreCols.RUN_DATE) ? lit(java.sql.Date.valueOf(runDate)).as(n) : col(n))
          .toArray(Column[]::new);
      Properties props = new Properties();
      props.setProperty("user", connection.user());
      props.setProperty("password", connection.password());
      props.setProperty("driver", "org.postgresql.Driver");
      // Strings bound to the jsonb column are cast by the server; batched inserts become multi-row inserts.
      props.setProperty("stringtype", "unspecified");
      props.setProperty("reWriteBatchedInserts", "true");
      props.setProperty("batchsize", "5000");
      scores.select(cols).write().mode(SaveMode.Append).jdbc(connection.url(), staging, props);

      try (java.sql.Connection c = connection.open(); Statement st = c.createStatement()) {
        long loaded;
        try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + staging)) {
          rs.next();
          loaded = rs.getLong(1);
        }
        if (loaded != expected) {
          throw new SQLException("Loaded " + loaded + " rows into " + staging + " but the run has " + expected
              + "; nothing was published");
        }
        st.execute("ALTER TABLE " + staging + " ADD PRIMARY KEY (customer_id, policy)");
        st.execute("ANALYZE " + staging);
        swap(c, staging, runDate, modelVersion, loaded);
        return loaded;
      }
    } finally {
      try (java.sql.Connection c = connection.open(); Statement st = c.createStatement()) {
        st.execute("DROP TABLE IF EXISTS " + staging);
      }
    }
  }

  /** One transaction: the published table is replaced by the staging table, and the run is recorded. */
  private void swap(java.sql.Connection c, String staging, LocalDate runDate, String modelVersion, long rows)
      throws SQLException {
    String previous = table + "_previous";
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("CREATE TABLE IF NOT EXISTS " + table + "_runs (run_date date PRIMARY KEY, model_version text, "
          + "rows bigint, published_at timestamptz NOT NULL DEFAULT now())");
      st.execute("DROP TABLE IF EXISTS " + previous);
      st.execute("ALTER TABLE IF EXISTS " + table + " RENAME TO " + previous);
      st.execute("ALTER TABLE " + staging + " RENAME TO " + table);
      st.execute("DROP TABLE IF EXISTS " + previous);
      try (var ps = c.prepareStatement("INSERT INTO " + table + "_runs (run_date, model_version, rows) VALUES (?, ?, ?) "
          + "ON CONFLICT (run_date) DO UPDATE SET model_version = EXCLUDED.model_version, rows = EXCLUDED.rows, "
          + "published_at = now()")) {
        ps.setObject(1, runDate);
        ps.setString(2, modelVersion);
        ps.setLong(3, rows);
        ps.executeUpdate();
      }
      c.commit();
    } catch (SQLException e) {
      c.rollback();
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }
}
