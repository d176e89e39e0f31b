package dev.leeway.score;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_json;

import dev.leeway.config.ConfigError;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BooleanType;
import org.apache.spark.sql.types.ByteType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DateType;
import org.apache.spark.sql.types.DecimalType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.IntegerType;
import org.apache.spark.sql.types.LongType;
import org.apache.spark.sql.types.NullType;
import org.apache.spark.sql.types.ShortType;
import org.apache.spark.sql.types.StringType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyIn;

/**
 * Publishes a run's scores to PostgreSQL so that a frontline query sees the previous set or the new one, never a
 * mix.
 *
 * <ol>
 *   <li><b>Load.</b> The rows are streamed to the driver one Spark partition at a time
 *       ({@code toLocalIterator}) and written with PostgreSQL {@code COPY ... FROM STDIN} (text format, through
 *       pgjdbc's {@code CopyManager}) into a private, UNLOGGED staging table
 *       {@code <table>_staging_<yyyymmdd>_<random hex>}. Driver memory stays at one partition plus a small buffer.
 *   <li><b>Check.</b> The staging table must hold exactly as many rows as the scores, and (customer_id, policy)
 *       must be unique in it; otherwise the publish fails with an {@link SQLException} and nothing is published.
 *   <li><b>Swap contents.</b> In one transaction: the published table (with its primary key on customer_id and
 *       policy) and {@code <table>_runs} are created if missing, the published table is locked against other
 *       publishers (not against readers), its rows are deleted, the staging rows inserted, and the run is recorded
 *       in {@code <table>_runs}; then commit. The published table itself is never dropped or renamed, so its
 *       grants, the views that depend on it, and its indexes survive. Readers are never blocked: under MVCC they
 *       keep seeing the old rows until the commit, then the new ones. The table is analysed after the commit.
 * </ol>
 *
 * <p>The staging table is dropped whether the publish succeeds or fails, so a failed publish leaves the published
 * table as it was. A run killed outright can leave its staging table behind: {@link #sweepStaging(LocalDate)}
 * drops those of a run date.
 *
 * <p>Connection settings never come from committed configuration: {@code LEEWAY_PG_URL}, {@code LEEWAY_PG_USER},
 * {@code LEEWAY_PG_PASSWORD}, or {@code LEEWAY_PG_SECRETS} naming a properties file with {@code url}, {@code user}
 * and {@code password}.
 */
public final class PostgresPublisher {
  private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,40}");
  /** PostgreSQL's longest identifier (NAMEDATALEN - 1); longer names are silently truncated by the server. */
  private static final int MAX_IDENTIFIER = 63;
  /** Characters of COPY text buffered before they are sent to the server. */
  private static final int COPY_CHUNK = 1 << 18;

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
    Column[] cols = ScoreCols.PUBLISHED.stream()
        .map(n -> n.equals(ScoreCols.REASONS) ? to_json(col(n)).as(n)
            : n.equals(ScoreCols.RUN_DATE) ? lit(java.sql.Date.valueOf(runDate)).as(n) : col(n))
        .toArray(Column[]::new);
    Dataset<Row> rows = scores.select(cols);
    FieldWriter[] writers = writers(rows.schema()); // unsupported column types fail before anything is created
    long expected = scores.count();
    String staging = stagingName(runDate);
    boolean created = false;
    Throwable failure = null;
    try (java.sql.Connection c = connection.open()) {
      try (Statement st = c.createStatement()) {
        st.execute("CREATE UNLOGGED TABLE " + staging + " (" + columnsDdl() + ")");
      }
      created = true;
      copy(c, staging, rows.toLocalIterator(), writers);
      check(c, staging, expected);
      swap(c, staging, runDate, modelVersion, expected);
      try (Statement st = c.createStatement()) {
        st.execute("ANALYZE " + table);
      }
      return expected;
    } catch (Throwable e) {
      failure = e;
      throw e;
    } finally {
      // Only our own staging table: a CREATE that failed (say, on a name clash) created nothing of ours to drop.
      if (created) {
        try (java.sql.Connection c = connection.open(); Statement st = c.createStatement()) {
          st.execute("DROP TABLE IF EXISTS " + staging);
        } catch (SQLException e) {
          if (failure == null) {
            throw e;
          }
          failure.addSuppressed(e);
        }
      }
    }
  }

  /**
   * Drops the staging tables that publishes of {@code runDate} left behind (a run killed before its clean-up), in
   * the current schema. Call it when no publish of that date is running: it would drop that publish's staging
   * table too.
   *
   * @return how many tables were dropped
   */
  public int sweepStaging(LocalDate runDate) throws SQLException {
    String prefix = stagingPrefix(runDate);
    Pattern ours = Pattern.compile(Pattern.quote(prefix) + "[0-9a-f]{1,12}");
    List<String> leftovers = new ArrayList<>();
    try (java.sql.Connection c = connection.open()) {
      try (PreparedStatement ps = c.prepareStatement("SELECT table_name FROM information_schema.tables "
          + "WHERE table_schema = current_schema() AND table_name LIKE ? ORDER BY table_name")) {
        // '_' is a LIKE wildcard: match the prefix literally.
        ps.setString(1, prefix.replace("_", "\\_") + "%");
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String name = rs.getString(1);
            if (ours.matcher(name).matches()) {
              leftovers.add(name);
            }
          }
        }
      }
      try (Statement st = c.createStatement()) {
        for (String name : leftovers) {
          st.execute("DROP TABLE IF EXISTS " + name);
        }
      }
    }
    return leftovers.size();
  }

  /** {@code <table>_staging_<yyyymmdd>_}: what every staging table of that run date starts with. */
  private String stagingPrefix(LocalDate runDate) {
    return table + "_staging_" + runDate.format(DateTimeFormatter.BASIC_ISO_DATE) + "_";
  }

  /**
   * A fresh staging name: the prefix and 12 random hex digits, fewer when a long table name would otherwise push
   * the name past PostgreSQL's 63 characters (at least 4 with the longest allowed table name).
   */
  private String stagingName(LocalDate runDate) {
    String prefix = stagingPrefix(runDate);
    int hex = Math.min(12, MAX_IDENTIFIER - prefix.length());
    return prefix + UUID.randomUUID().toString().replace("-", "").substring(0, hex);
  }

  /** Streams the rows into {@code staging} with COPY (text format), a chunk at a time. */
  private static void copy(java.sql.Connection c, String staging, Iterator<Row> rows, FieldWriter[] writers)
      throws SQLException {
    String sql = "COPY " + staging + " (" + String.join(", ", ScoreCols.PUBLISHED) + ") FROM STDIN (FORMAT text)";
    CopyIn in = c.unwrap(PGConnection.class).getCopyAPI().copyIn(sql);
    Throwable failure = null;
    try {
      StringBuilder buf = new StringBuilder(COPY_CHUNK + 4096);
      while (rows.hasNext()) {
        Row r = rows.next();
        for (int i = 0; i < writers.length; i++) {
          if (i > 0) {
            buf.append('\t');
          }
          if (r.isNullAt(i)) {
            buf.append("\\N");
          } else {
            writers[i].write(buf, r, i);
          }
        }
        buf.append('\n');
        if (buf.length() >= COPY_CHUNK) {
          send(in, buf);
        }
      }
      send(in, buf);
      in.endCopy();
    } catch (SQLException e) {
      failure = e;
      throw new SQLException("Cannot copy the scores into " + staging + ": " + e.getMessage()
          + "; nothing was published", e.getSQLState(), e);
    } catch (RuntimeException | Error e) {
      failure = e;
      throw e;
    } finally {
      if (in.isActive()) {
        try {
          in.cancelCopy();
        } catch (SQLException e) {
          if (failure != null) {
            failure.addSuppressed(e);
          }
        }
      }
    }
  }

  private static void send(CopyIn in, StringBuilder buf) throws SQLException {
    if (buf.length() > 0) {
      byte[] bytes = buf.toString().getBytes(StandardCharsets.UTF_8); // pgjdbc always talks UTF-8
      in.writeToCopy(bytes, 0, bytes.length);
      buf.setLength(0);
    }
  }

  /** The staging table holds every row, and one per (customer_id, policy). */
  private static void check(java.sql.Connection c, String staging, long expected) throws SQLException {
    try (Statement st = c.createStatement()) {
      long loaded;
      try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + staging)) {
        rs.next();
        loaded = rs.getLong(1);
      }
      if (loaded != expected) {
        throw new SQLException("Loaded " + loaded + " rows into " + staging + " but the run has " + expected
            + "; nothing was published");
      }
      try (ResultSet rs = st.executeQuery("SELECT customer_id, policy, count(*) AS n, count(*) OVER () AS keys FROM "
          + staging + " GROUP BY customer_id, policy HAVING count(*) > 1 ORDER BY customer_id, policy LIMIT 1")) {
        if (rs.next()) {
          throw new SQLException("The scores have duplicate (customer_id, policy) rows: " + rs.getLong("keys")
              + " keys occur more than once, e.g. (" + rs.getString("customer_id") + ", " + rs.getString("policy")
              + ") " + rs.getLong("n") + " times; nothing was published", "23505");
        }
      }
    }
  }

  /**
   * One transaction: the published table's rows are replaced by the staging table's, and the run is recorded. The
   * table is kept (grants, dependent views, indexes); readers see the old rows until the commit.
   */
  private void swap(java.sql.Connection c, String staging, LocalDate runDate, String modelVersion, long rows)
      throws SQLException {
    String columns = String.join(", ", ScoreCols.PUBLISHED);
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      // A table created by an older publisher may lack the primary key: it is used as it is.
      st.execute("CREATE TABLE IF NOT EXISTS " + table + " (" + columnsDdl() + ", PRIMARY KEY (customer_id, policy))");
      st.execute("CREATE TABLE IF NOT EXISTS " + table + "_runs (run_date date PRIMARY KEY, model_version text, "
          + "rows bigint, published_at timestamptz NOT NULL DEFAULT now())");
      // Serialises concurrent publishers (this mode conflicts with itself and with writes) but not readers.
      st.execute("LOCK TABLE " + table + " IN SHARE ROW EXCLUSIVE MODE");
      st.execute("DELETE FROM " + table);
      st.execute("INSERT INTO " + table + " (" + columns + ") SELECT " + columns + " FROM " + staging);
      try (var ps = c.prepareStatement("INSERT INTO " + table + "_runs (run_date, model_version, rows) VALUES (?, ?, ?) "
          + "ON CONFLICT (run_date) DO UPDATE SET model_version = EXCLUDED.model_version, rows = EXCLUDED.rows, "
          + "published_at = now()")) {
        ps.setObject(1, runDate);
        ps.setString(2, modelVersion);
        ps.setLong(3, rows);
        ps.executeUpdate();
      }
      c.commit();
    } catch (SQLException | RuntimeException e) {
      try {
        c.rollback();
      } catch (SQLException r) {
        e.addSuppressed(r);
      }
      throw e;
    } finally {
      c.setAutoCommit(true);
    }
  }

  /** Appends one non-null field of a row in COPY text form. */
  @FunctionalInterface
  private interface FieldWriter {
    void write(StringBuilder out, Row row, int i);
  }

  /** A writer per column, chosen by its Spark type. */
  private static FieldWriter[] writers(StructType schema) {
    StructField[] fields = schema.fields();
    FieldWriter[] out = new FieldWriter[fields.length];
    for (int i = 0; i < fields.length; i++) {
      DataType t = fields[i].dataType();
      if (t instanceof ArrayType a) {
        DataType element = a.elementType();
        requireScalar(fields[i].name(), element);
        out[i] = (b, r, j) -> appendText(b, arrayLiteral(r.getList(j)));
      } else {
        requireScalar(fields[i].name(), t);
        out[i] = (b, r, j) -> appendText(b, scalarText(r.get(j)));
      }
    }
    return out;
  }

  private static void requireScalar(String column, DataType t) {
    boolean ok = t instanceof StringType || t instanceof BooleanType || t instanceof ByteType
        || t instanceof ShortType || t instanceof IntegerType || t instanceof LongType || t instanceof FloatType
        || t instanceof DoubleType || t instanceof DecimalType || t instanceof DateType || t instanceof NullType;
    if (!ok) {
      throw new IllegalArgumentException("Cannot publish column " + column + " of type " + t.simpleString()
          + " to PostgreSQL: only strings, numbers, booleans, dates and arrays of them are written");
    }
  }

  /** The PostgreSQL input text of a non-null scalar. */
  private static String scalarText(Object v) {
    if (v instanceof BigDecimal d) {
      return d.toPlainString();
    }
    if (v instanceof Boolean b) {
      return b ? "t" : "f";
    }
    // Strings as they are; Java's double/float text (1.0E-4, NaN, Infinity) is accepted by PostgreSQL; dates
    // (java.sql.Date or LocalDate) print as yyyy-mm-dd.
    return v.toString();
  }

  /** A PostgreSQL array literal, every element double-quoted: {"a","b \"c\"",NULL}. */
  static String arrayLiteral(List<?> values) {
    StringBuilder b = new StringBuilder(values.size() * 16 + 2).append('{');
    for (int k = 0; k < values.size(); k++) {
      if (k > 0) {
        b.append(',');
      }
      Object v = values.get(k);
      if (v == null) {
        b.append("NULL");
        continue;
      }
      String s = scalarText(v);
      b.append('"');
      for (int i = 0; i < s.length(); i++) {
        char ch = s.charAt(i);
        if (ch == '"' || ch == '\\') {
          b.append('\\');
        }
        b.append(ch);
      }
      b.append('"');
    }
    return b.append('}').toString();
  }

  /** Appends {@code s} escaped for COPY text format: backslash, tab, newline and carriage return. */
  static void appendText(StringBuilder b, String s) {
    for (int i = 0; i < s.length(); i++) {
      char ch = s.charAt(i);
      switch (ch) {
        case '\\' -> b.append("\\\\");
        case '\t' -> b.append("\\t");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        default -> b.append(ch);
      }
    }
  }
}
