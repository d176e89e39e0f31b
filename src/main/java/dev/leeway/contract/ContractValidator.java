package dev.leeway.contract;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.lower;
import static org.apache.spark.sql.functions.not;
import static org.apache.spark.sql.functions.size;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.instr;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.split;
import static org.apache.spark.sql.functions.upper;
import static org.apache.spark.sql.functions.when;

import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;

/**
 * Checks raw rows (every column a string) against a table contract. The result keeps the raw columns, adds the
 * typed value of each contract column under {@link #typed(String)} and an array of reasons in {@link #REASONS};
 * a row with no reasons is valid. Each reason reads "code (detail)" so reasons can be counted by code.
 */
public final class ContractValidator {
  public static final String REASONS = "__reasons";
  /** Present on raw CSV input: the text of a record whose field count does not match the header. */
  public static final String CORRUPT_RECORD = "_corrupt_record";

  private static final String DATE_PATTERN = "^[0-9]{4}-[0-9]{2}-[0-9]{2}$";
  private static final String TIMESTAMP_PATTERN =
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$";
  private static final String NUMBER_PATTERN = "^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$";
  private static final List<String> TRUE_WORDS = List.of("true", "t", "yes", "y", "1");
  private static final List<String> FALSE_WORDS = List.of("false", "f", "no", "n", "0");

  /** How a runaway-quote reason ends, for the record and for a value alike. */
  private static final String RUNAWAY_TAIL =
      " lines: an unbalanced quote ran into the records after it; its whole records were read on their own)";

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

  /** Leading and trailing white space of any kind (tabs, line breaks, no-break and zero-width spaces, BOMs). */
  private static final String EDGE_SPACE = "^[\\s\\p{Z}\\x{200B}\\x{2060}\\x{FEFF}]+|[\\s\\p{Z}\\x{200B}\\x{2060}\\x{FEFF}]+$";
  /** Control and format characters (tab, CR, NUL, zero-width joiners, direction marks, ...). */
  private static final String CONTROL = "[\\p{Cc}\\p{Cf}]";

  /** A value as the rules see it: edge white space of any kind removed, inner white space of any kind a space. */
  static Column clean(Column raw) {
    // Most values are printable ASCII without edge spaces and need no regular expression at all.
    Column plain = raw.equalTo(org.apache.spark.sql.functions.trim(raw)).and(not(raw.rlike("[^\\x20-\\x7E]")));
    return when(raw.isNull().or(plain), raw)
        .otherwise(regexp_replace(regexp_replace(raw, EDGE_SPACE, ""), "\\p{Zs}", " "));
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

  /**
   * Reasons a record is damaged as a whole (the field count differs from the header, a field runs away past
   * records, a field is too long); such a record gets no other reason, and none of its values is shown.
   */
  private List<Column> damage(Dataset<Row> raw) {
    List<Column> out = new ArrayList<>();
    List<String> columns = dataColumns(raw);
    if (List.of(raw.columns()).contains(CORRUPT_RECORD)) {
      // Spark keeps no field of a malformed record, only its text: a runaway quote shows there.
      Column text = col(CORRUPT_RECORD);
      out.add(when(text.isNotNull().and(hasLineBreak(text)).and(runaway(text, columns.size())), concat(
              lit("runaway quoted field (the record spans "), size(lines(text)).cast("string"),
              lit(RUNAWAY_TAIL)))
          .when(text.isNotNull(), lit("malformed record (field count differs from the header)")));
    }
    for (String c : columns) {
      Column v = col("`" + c + "`");
      out.add(when(v.isNotNull().and(hasLineBreak(v)).and(runaway(v, columns.size())),
          concat(lit("runaway quoted field (" + c + " spans "), size(lines(v)).cast("string"),
              lit(RUNAWAY_TAIL))));
      out.add(when(length(v).gt(hygiene.maxFieldChars()), concat(lit("field too long (" + c + ": "),
          length(v).cast("string"), lit(" characters, limit " + hygiene.maxFieldChars() + ")"))));
    }
    return out;
  }

  /** A cheap test that guards the costly ones: most values hold no line break. */
  private static Column hasLineBreak(Column text) {
    return text.contains("\n").or(text.contains("\r"));
  }

  private static Column lines(Column text) {
    return split(text, "\\r?\\n|\\r", -1);
  }

  /**
   * True when text holds more line breaks than a field may, or a line after its first with as many delimiters as a
   * whole record of {@code columns} fields: a record it swallowed.
   */
  private Column runaway(Column text, int columns) {
    String delimiter = java.util.regex.Pattern.quote(hygiene.delimiter());
    Column swallowed = org.apache.spark.sql.functions.exists(
        org.apache.spark.sql.functions.slice(lines(text), 2, hygiene.maxFieldLines() + 1),
        l -> size(split(l, delimiter, -1)).geq(Math.max(2, columns)));
    return size(lines(text)).gt(hygiene.maxFieldLines() + 1).or(swallowed);
  }

  /** Reasons about the bytes of a record that is otherwise whole: text that was not in the configured encoding. */
  private static List<Column> encoding(Dataset<Row> raw) {
    List<Column> out = new ArrayList<>();
    for (String c : dataColumns(raw)) {
      out.add(when(instr(col("`" + c + "`"), "\uFFFD").gt(0), lit("invalid encoding (" + c
          + " holds bytes that are not valid text in the configured encoding, leeway.ingest.csv.encoding)")));
    }
    return out;
  }

  /** Name of the column holding the typed value of a contract column. */
  public static String typed(String column) {
    return "__t_" + column;
  }

  /** Parses every contract column and collects the reasons each row breaks the contract. */
  public Dataset<Row> check(Dataset<Row> raw) {
    List<Column> reasons = new ArrayList<>(encoding(raw));
    // Damage and the cleaned values are computed once each, in one projection, and read by every rule.
    Map<String, Column> once = new LinkedHashMap<>();
    once.put(DAMAGE, nonNull(damage(raw)));
    for (ColumnSpec spec : contract.columns()) {
      once.put(cleaned(spec.name()), clean(col(spec.name())));
    }
    Dataset<Row> out = raw.withColumns(once);
    for (ColumnSpec spec : contract.columns()) {
      Column value = col(cleaned(spec.name()));
      Column blank = isBlank(spec.name());
      Column parsed = when(blank, lit(null).cast(spec.type().sparkType())).otherwise(parse(spec.type(), value));
      out = out.withColumn(typed(spec.name()), parsed);
      Column t = col(typed(spec.name()));
      Column shown = concat(lit("'"), substring(value, 1, maxValueChars), lit("'"));
      if (spec.type() == ColumnType.TEXT || spec.type() == ColumnType.CODE) {
        reasons.add(when(value.rlike(CONTROL), concat(lit("control character in " + spec.name() + " ("),
            concat(lit("'"), substring(regexp_replace(value, CONTROL, "?"), 1, maxValueChars), lit("'")), lit(")"))));
      }
      if (spec.required()) {
        reasons.add(when(blank, lit("missing " + spec.name() + " (empty value)")));
      }
      reasons.add(when(not(blank).and(t.isNull()), concat(
          lit("invalid " + spec.name() + " (not a " + describe(spec.type()) + ": "), shown, lit(")"))));
      if (spec.nonNegative()) {
        reasons.add(when(t.lt(0), concat(lit("negative " + spec.name() + " ("), shown, lit(")"))));
      }
      if (!spec.allowedValues().isEmpty()) {
        String allowed = spec.allowedValues().stream().sorted().collect(Collectors.joining(", "));
        reasons.add(when(t.isNotNull().and(not(t.isin(spec.allowedValues().toArray()))),
            concat(lit("unknown " + spec.name() + " ("), shown, lit(", expected one of " + allowed + ")"))));
      }
      if (spec.isTemporal()) {
        reasons.add(when(t.isNotNull().and(afterRunDate(spec.type(), t)),
            concat(lit(spec.name() + " after run date (" + runDate + ": "), shown, lit(")"))));
      }
    }
    RowRule.View view = new RowRule.View() {
      @Override
      public Column typed(String column) {
        return col(ContractValidator.typed(column));
      }

      @Override
      public Column blank(String column) {
        return isBlank(column);
      }
    };
    for (RowRule rule : contract.rowRules()) {
      reasons.add(when(rule.violated().apply(view), lit(rule.reason())));
    }
    Column all = nonNull(reasons);
    Column damaged = size(col(DAMAGE)).gt(0);
    List<String> helpers = new ArrayList<>(List.of(DAMAGE));
    contract.columns().forEach(c -> helpers.add(cleaned(c.name())));
    return out.withColumn(DAMAGED, damaged).withColumn(REASONS, when(damaged, col(DAMAGE)).otherwise(all))
        .drop(helpers.toArray(String[]::new));
  }

  private static final String DAMAGE = "__damage";

  private static String cleaned(String column) {
    return "__c_" + column;
  }

  /**
   * Among rows valid so far, keeps the first row of each unique key in (file, row) order and gives every later
   * one a reason that says where the kept row is. Needs the source file and row columns.
   */
  public Dataset<Row> markDuplicates(Dataset<Row> checked, String sourceFile, String sourceRow) {
    return duplicateFirsts(checked, sourceFile, sourceRow)
        .map(firsts -> markDuplicates(checked, firsts, sourceFile, sourceRow)).orElse(checked);
  }

  /**
   * Where the kept row of each duplicated unique key is ({@code __first}: drop, file, row), one row per key that
   * more than one valid row carries: across daily drops the latest drop's row (a later drop corrects an earlier
   * one), within a file the first row. Empty for a table without a unique key.
   *
   * <p>Found in two aggregates so that neither sorts the whole table: the keys carried more than once (a count,
   * which Spark hashes), then the earliest position among the few rows that carry them (a minimum of a structure,
   * which Spark can only sort).
   */
  public java.util.Optional<Dataset<Row>> duplicateFirsts(Dataset<Row> checked, String sourceFile,
      String sourceRow) {
    if (contract.uniqueKey().isEmpty()) {
      return java.util.Optional.empty();
    }
    Column validSoFar = size(col(REASONS)).equalTo(0);
    // Drop dates sort latest first by inverting their digits.
    Column drop = org.apache.spark.sql.functions.translate(dev.leeway.io.Drops.dropOf(col(sourceFile)), "0123456789",
        "9876543210");
    List<Column> keys = new ArrayList<>();
    for (String k : contract.uniqueKey()) {
      keys.add(col(typed(k)).as("__dk_" + k));
    }
    Dataset<Row> valid = checked.where(validSoFar);
    Column[] keyCols = contract.uniqueKey().stream().map(k -> col("__dk_" + k)).toArray(Column[]::new);
    Dataset<Row> repeated = valid.select(keys.toArray(Column[]::new)).groupBy(keyCols).count()
        .where(col("count").gt(1)).drop("count");
    List<Column> positioned = new ArrayList<>(keys);
    positioned.add(org.apache.spark.sql.functions.struct(drop.as("d"), col(sourceFile).as("f"), col(sourceRow).as("r"))
        .as("__pos"));
    Dataset<Row> carriers = valid.select(positioned.toArray(Column[]::new));
    Column same = null;
    for (String k : contract.uniqueKey()) {
      Column c = carriers.col("__dk_" + k).eqNullSafe(repeated.col("__dk_" + k));
      same = same == null ? c : same.and(c);
    }
    return java.util.Optional.of(carriers.join(repeated, same, "left_semi").groupBy(keyCols)
        .agg(org.apache.spark.sql.functions.min(col("__pos")).as("__first")));
  }

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

  /**
   * The reasons that apply (the non-null ones), in order. Not {@code filter(array, isNotNull)}: a lambda is not
   * compiled by Spark's code generation, and it made Spark interpret every rule of every row (a profile of ingest
   * at 100,000 customers was mostly interpreted expressions); {@code array_except} with a null is compiled.
   * Identical reasons are kept once.
   */
  static Column nonNull(List<Column> reasons) {
    return org.apache.spark.sql.functions.array_except(array(reasons.toArray(Column[]::new)),
        array(lit(null).cast(DataTypes.StringType)));
  }

  private Column isBlank(String column) {
    Column value = col(cleaned(column));
    // Only a value as short as the longest token can be one: most values skip the case mapping.
    int longest = hygiene.nullTokens().stream().mapToInt(String::length).max().orElse(0);
    return value.isNull().or(value.equalTo("")).or(length(value).leq(longest)
        .and(upper(value).isin(hygiene.nullTokens().toArray())));
  }

  private Column afterRunDate(ColumnType type, Column t) {
    if (type == ColumnType.DATE) {
      return t.gt(lit(java.sql.Date.valueOf(runDate)));
    }
    // Instants are compared in the session time zone (UTC): anything from the day after the run date is future.
    return t.geq(lit(runDate.plusDays(1).toString()).cast(DataTypes.TimestampType));
  }

  private static Column parse(ColumnType type, Column v) {
    return switch (type) {
      case TEXT -> v;
      case CODE -> upper(v);
      case DATE -> when(v.rlike(DATE_PATTERN), v.try_cast(DataTypes.DateType));
      case TIMESTAMP -> when(v.rlike(TIMESTAMP_PATTERN), v.try_cast(DataTypes.TimestampType));
      case NUMBER -> {
        Column d = v.try_cast(DataTypes.DoubleType);
        // Overflowing literals such as 1e999 cast to infinity: not a usable amount.
        yield when(v.rlike(NUMBER_PATTERN).and(d.notEqual(lit(Double.POSITIVE_INFINITY)))
            .and(d.notEqual(lit(Double.NEGATIVE_INFINITY))), d);
      }
      case BOOLEAN -> when(lower(v).isin(TRUE_WORDS.toArray()), lit(true))
          .when(lower(v).isin(FALSE_WORDS.toArray()), lit(false));
    };
  }

  private static String describe(ColumnType type) {
    return switch (type) {
      case TEXT, CODE -> "text";
      case DATE -> "date yyyy-MM-dd";
      case TIMESTAMP -> "timestamp yyyy-MM-dd HH:mm:ss";
      case NUMBER -> "number";
      case BOOLEAN -> "boolean";
    };
  }
}
