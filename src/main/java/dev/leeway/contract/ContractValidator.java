package dev.leeway.contract;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.when;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Checks raw rows (every column a string) against a table contract. The result keeps the raw columns, adds the
 * typed value of each contract column under {@link #typed(String)} and an array of reasons in {@link #REASONS};
 * a row with no reasons is valid. Each reason reads "code (detail)" so reasons can be counted by code.
 */
public final class ContractValidator {
  public static final String REASONS = "__reasons";
  /** Present on raw CSV input: the text of a record whose field count does not match the header. */
  public static final String CORRUPT_RECORD = "_corrupt_record";

  /** Marks a damaged record (malformed, runaway quote, overlong field): the quarantine keeps none of its values. */
  public static final String DAMAGED = "__damaged";

  /**
   * What raw text must look like before any rule is applied: values equal (case-insensitively, trimmed) to a null
   * token are empty; no field may be longer than {@code maxFieldChars} or hold more than {@code maxFieldLines} line
   * breaks; {@code delimiter} and the header's column count find a field that swallowed whole records.
   */
  public record Hygiene(List<String> nullTokens, int maxFieldChars, int maxFieldLines, String delimiter) {
    public static final Hygiene DEFAULT = new Hygiene(List.of("NULL", "N/A", "#N/A", "NONE", "NAN"), 10_000, 100,
        ",");
  }

  private final TableContract contract;
  private final LocalDate runDate;
  private final int maxValueChars;
  private final Hygiene hygiene;

  public ContractValidator(TableContract contract, LocalDate runDate, int maxValueChars) {
    this(contract, runDate, maxValueChars, Hygiene.DEFAULT);
  }

  public ContractValidator(TableContract contract, LocalDate runDate, int maxValueChars, Hygiene hygiene) {
    this.contract = contract;
    this.runDate = runDate;
    this.maxValueChars = maxValueChars;
    this.hygiene = hygiene;
  }

  /** The raw columns of a record that hold data (not bookkeeping). */
  private static List<String> dataColumns(Dataset<Row> raw) {
    List<String> out = new ArrayList<>();
    for (String c : raw.columns()) {
      if (!c.startsWith("__") && !c.equals(CORRUPT_RECORD) && !c.equals(Cols.Q_SOURCE_FILE)
          && !c.equals(Cols.Q_SOURCE_ROW)) {
        out.add(c);
      }
    }
    return out;
  }

  /** Name of the column holding the typed value of a contract column. */
  public static String typed(String column) {
    return "__t_" + column;
  }

  /**
   * Parses every contract column and collects the reasons each row breaks the contract, in one pass over each row
   * ({@link RowChecker}). The reasons come in this order, each once:
   * <ul>
   *   <li>a damaged record (malformed, a runaway quote, a field too long) gets those reasons only;
   *   <li>otherwise: text not valid in the configured encoding, per data column; then per contract column a control
   *       character, a missing required value, an unparseable value, a negative number, a value outside the allowed
   *       ones, a date after the run date; then the rules across columns.
   * </ul>
   */
  public Dataset<Row> check(Dataset<Row> raw) {
    String zone = raw.sparkSession().conf().get("spark.sql.session.timeZone");
    RowChecker checker = new RowChecker(contract, List.of(raw.columns()), dataColumns(raw), runDate, maxValueChars,
        hygiene, DateTimeUtils.getZoneId(zone));
    StructType in = raw.schema();
    StructType carried = in;
    for (ColumnSpec spec : contract.columns()) {
      carried = carried.add(typed(spec.name()), carriedType(spec.type()), true);
    }
    carried = carried.add(DAMAGED, DataTypes.BooleanType, false)
        .add(REASONS, DataTypes.createArrayType(DataTypes.StringType, true), false);
    Dataset<Row> checked = raw.mapPartitions(checkAll(checker), Encoders.row(carried));
    // Dates and instants travel as days and microseconds since 1970-01-01 (UTC) and become Spark's types here.
    List<Column> cols = new ArrayList<>();
    for (String c : in.fieldNames()) {
      cols.add(col("`" + c + "`"));
    }
    for (ColumnSpec spec : contract.columns()) {
      Column t = col(typed(spec.name()));
      cols.add((switch (spec.type()) {
        case DATE -> functions.date_from_unix_date(t);
        case TIMESTAMP -> functions.timestamp_micros(t);
        default -> t;
      }).as(typed(spec.name())));
    }
    cols.add(col(DAMAGED));
    cols.add(col(REASONS));
    return checked.select(cols.toArray(Column[]::new));
  }

  /** A task's rows, each extended by {@code checker}. Static: the task needs nothing of the validator. */
  private static MapPartitionsFunction<Row, Row> checkAll(RowChecker checker) {
    return rows -> new Iterator<>() {
      @Override
      public boolean hasNext() {
        return rows.hasNext();
      }

      @Override
      public Row next() {
        return checker.extend(rows.next());
      }
    };
  }

  /** How a typed value travels from {@link RowChecker} to Spark: dates and instants as numbers. */
  private static DataType carriedType(ColumnType type) {
    return switch (type) {
      case DATE -> DataTypes.IntegerType;
      case TIMESTAMP -> DataTypes.LongType;
      default -> type.sparkType();
    };
  }

  /**
   * Among rows valid so far, keeps the first row of each unique key in (file, row) order and gives every later
   * one a reason that says where the kept row is. Needs the source file and row columns.
   */
  public Dataset<Row> markDuplicates(Dataset<Row> checked, String sourceFile, String sourceRow) {
    return duplicateFirsts(checked, checked.count(), sourceFile, sourceRow)
        .map(firsts -> markDuplicates(checked, firsts, sourceFile, sourceRow)).orElse(checked);
  }

  /**
   * Where the kept row of each duplicated unique key is ({@code __first}: drop, file, row), one row per key that
   * more than one valid row carries: across daily drops the latest drop's row (a later drop corrects an earlier
   * one), within a file the first row. Empty for a table without a unique key.
   *
   * <p>Found without grouping the whole table by its key: the fingerprints (64-bit hashes) of the valid rows' keys
   * that repeat are found by sorting numbers ({@link Repeats}; {@code rows}, the rows of {@code checked} or a bound,
   * sets how many tasks share that), and only the rows whose fingerprint repeats, a few, are grouped by the key
   * itself (two keys of one fingerprint stay apart there) for the earliest position, a minimum of a structure,
   * which Spark can only sort.
   */
  public java.util.Optional<Dataset<Row>> duplicateFirsts(Dataset<Row> checked, long rows, String sourceFile,
      String sourceRow) {
    if (contract.uniqueKey().isEmpty()) {
      return java.util.Optional.empty();
    }
    Column validSoFar = size(col(REASONS)).equalTo(0);
    // Drop dates sort latest first by inverting their digits.
    Column drop = functions.translate(dev.leeway.io.Drops.dropOf(col(sourceFile)), "0123456789", "9876543210");
    Column fingerprint = functions.xxhash64(contract.uniqueKey().stream().map(k -> col(typed(k)))
        .toArray(Column[]::new)).as(FINGERPRINT);
    Dataset<Row> valid = checked.where(validSoFar);
    Dataset<Row> repeated = Repeats.of(valid.select(fingerprint), rows,
        checked.sparkSession().sessionState().conf().numShufflePartitions());
    List<Column> positioned = new ArrayList<>();
    for (String k : contract.uniqueKey()) {
      positioned.add(col(typed(k)).as("__dk_" + k));
    }
    positioned.add(functions.struct(drop.as("d"), col(sourceFile).as("f"), col(sourceRow).as("r")).as("__pos"));
    positioned.add(fingerprint);
    Column[] keyCols = contract.uniqueKey().stream().map(k -> col("__dk_" + k)).toArray(Column[]::new);
    return java.util.Optional.of(valid.select(positioned.toArray(Column[]::new)).join(repeated, FINGERPRINT,
            "left_semi")
        .groupBy(keyCols).agg(functions.count(lit(1)).as("__n"), functions.min(col("__pos")).as("__first"))
        .where(col("__n").gt(1)).drop("__n"));
  }

  private static final String FINGERPRINT = "__key_fingerprint";

  /** Marks the rows of {@code checked} that {@link #duplicateFirsts} does not keep. */
  public Dataset<Row> markDuplicates(Dataset<Row> checked, Dataset<Row> firsts, String sourceFile, String sourceRow) {
    Column validSoFar = size(col(REASONS)).equalTo(0);
    Column same = null;
    for (String k : contract.uniqueKey()) {
      Column c = checked.col(typed(k)).eqNullSafe(firsts.col("__dk_" + k));
      same = same == null ? c : same.and(c);
    }
    Dataset<Row> joined = checked.join(firsts, same.and(validSoFar), "left");
    String key = String.join(", ", contract.uniqueKey());
    Column first = col("__first");
    Column reason = when(validSoFar.and(first.isNotNull())
            .and(col(sourceFile).notEqual(first.getField("f")).or(col(sourceRow).notEqual(first.getField("r")))),
        concat(lit("duplicate " + key + " (first kept at "), first.getField("f"), lit(" row "),
            first.getField("r").cast("string"), lit(")")));
    List<String> helpers = new ArrayList<>(List.of("__first"));
    contract.uniqueKey().forEach(k -> helpers.add("__dk_" + k));
    return appendReason(joined, reason).drop(helpers.toArray(String[]::new));
  }

  /** Adds a reason (null where the row is fine) to the reasons array. */
  public static Dataset<Row> appendReason(Dataset<Row> checked, Column reasonOrNull) {
    return checked.withColumn(REASONS, when(reasonOrNull.isNull(), col(REASONS))
        .otherwise(concat(col(REASONS), array(reasonOrNull))));
  }

}
