package dev.leeway.contract;

import java.io.Serializable;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.catalyst.util.DateTimeUtils;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * The contract's rules for one raw row, in plain Java: what {@link ContractValidator#check} runs in every task. One
 * pass over a row's values parses each contract column and collects every reason the row breaks the contract, in the
 * order {@link ContractValidator} documents. Dates and instants are parsed by Spark's own string casts, so a value
 * means here what it means to Spark SQL.
 *
 * <p>Typed values come out as plain Java values a Spark row can hold: a date as its day since 1970-01-01 (int), an
 * instant as its microseconds since 1970-01-01 UTC (long), a number as a double, a boolean, text as a string.
 */
final class RowChecker implements Serializable {
  private static final long serialVersionUID = 1L;

  private static final Pattern DATE = Pattern.compile("^[0-9]{4}-[0-9]{2}-[0-9]{2}$");
  private static final Pattern TIMESTAMP = Pattern.compile(
      "^[0-9]{4}-[0-9]{2}-[0-9]{2}([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?$");
  private static final Pattern NUMBER = Pattern.compile("^[+-]?([0-9]+[.]?[0-9]*|[.][0-9]+)([eE][+-]?[0-9]+)?$");
  private static final Set<String> TRUE_WORDS = Set.of("true", "t", "yes", "y", "1");
  private static final Set<String> FALSE_WORDS = Set.of("false", "f", "no", "n", "0");
  /** Leading and trailing white space of any kind (tabs, line breaks, no-break and zero-width spaces, BOMs). */
  private static final Pattern EDGE_SPACE =
      Pattern.compile("^[\\s\\p{Z}\\x{200B}\\x{2060}\\x{FEFF}]+|[\\s\\p{Z}\\x{200B}\\x{2060}\\x{FEFF}]+$");
  private static final Pattern INNER_SPACE = Pattern.compile("\\p{Zs}");
  /** Control and format characters (tab, CR, NUL, zero-width joiners, direction marks, ...). */
  private static final Pattern CONTROL = Pattern.compile("[\\p{Cc}\\p{Cf}]");
  private static final Pattern LINE_BREAK = Pattern.compile("\\r?\\n|\\r");
  /** How a runaway-quote reason ends, for the record and for a value alike. */
  private static final String RUNAWAY_TAIL =
      " lines: an unbalanced quote ran into the records after it; its whole records were read on their own)";

  /** One contract column as the checks need it. */
  private record Column(String name, ColumnType type, int index, boolean required, boolean nonNegative,
      Set<String> allowed, String allowedText) implements Serializable {}

  private final Column[] columns;
  /** Positions and names of the row's data columns (contract and kept columns, not bookkeeping), in row order. */
  private final int[] dataIndex;
  private final String[] dataNames;
  /** Position of the corrupt-record text, or -1 when the rows have none (Parquet, inline rows). */
  private final int corruptIndex;
  private final List<RowRule> rowRules;
  private final int maxValueChars;
  private final int maxFieldChars;
  private final int maxFieldLines;
  private final Pattern delimiter;
  private final Set<String> nullTokens;
  private final int longestToken;
  private final int runDay;
  private final long afterRunDateMicros;
  private final LocalDate runDate;
  private final ZoneId zone;

  /**
   * @param rowColumns the raw rows' column names, in order
   * @param dataColumns those of them that hold data
   * @param zone the session time zone instants without an offset are read in
   */
  RowChecker(TableContract contract, List<String> rowColumns, List<String> dataColumns, LocalDate runDate,
      int maxValueChars, ContractValidator.Hygiene hygiene, ZoneId zone) {
    List<Column> cs = new ArrayList<>();
    for (ColumnSpec spec : contract.columns()) {
      int index = rowColumns.indexOf(spec.name());
      if (index < 0) {
        throw new IllegalArgumentException("table '" + contract.name() + "' has no column '" + spec.name() + "'");
      }
      if (!spec.allowedValues().isEmpty() && spec.type() != ColumnType.TEXT && spec.type() != ColumnType.CODE) {
        throw new IllegalArgumentException("column '" + spec.name() + "' lists allowed values but is not text");
      }
      cs.add(new Column(spec.name(), spec.type(), index, spec.required(), spec.nonNegative(),
          Set.copyOf(spec.allowedValues()), spec.allowedValues().stream().sorted().collect(Collectors.joining(", "))));
    }
    this.columns = cs.toArray(Column[]::new);
    this.dataNames = dataColumns.toArray(String[]::new);
    this.dataIndex = dataColumns.stream().mapToInt(rowColumns::indexOf).toArray();
    this.corruptIndex = rowColumns.indexOf(ContractValidator.CORRUPT_RECORD);
    this.rowRules = List.copyOf(contract.rowRules());
    this.maxValueChars = maxValueChars;
    this.maxFieldChars = hygiene.maxFieldChars();
    this.maxFieldLines = hygiene.maxFieldLines();
    this.delimiter = Pattern.compile(Pattern.quote(hygiene.delimiter()));
    this.nullTokens = Set.copyOf(hygiene.nullTokens());
    this.longestToken = hygiene.nullTokens().stream().mapToInt(String::length).max().orElse(0);
    this.runDate = runDate;
    this.runDay = (int) runDate.toEpochDay();
    // Instants are compared in the session time zone: anything from the day after the run date is future.
    this.afterRunDateMicros = (Long) DateTimeUtils.stringToTimestamp(
        UTF8String.fromString(runDate.plusDays(1).toString()), zone).get();
    this.zone = zone;
  }

  /** The checks' result for one row: each contract column's typed value, whether it is damaged, its reasons. */
  record Result(Object[] typed, boolean damaged, String[] reasons) {}

  /**
   * The row with, after its own values, each contract column's typed value, whether it is damaged, and its reasons
   * (a sequence, as a Spark row holds an array).
   */
  Row extend(Row row) {
    Result result = check(row);
    int width = row.length();
    Object[] v = new Object[width + columns.length + 2];
    for (int i = 0; i < width; i++) {
      v[i] = row.get(i);
    }
    System.arraycopy(result.typed(), 0, v, width, columns.length);
    v[width + columns.length] = result.damaged();
    v[width + columns.length + 1] = scala.collection.immutable.ArraySeq.unsafeWrapArray(result.reasons());
    return org.apache.spark.sql.RowFactory.create(v);
  }

  Result check(Row row) {
    List<String> damage = damage(row);
    Object[] typed = new Object[columns.length];
    boolean[] blank = new boolean[columns.length];
    Set<String> reasons = new LinkedHashSet<>();
    for (int i = 0; i < dataIndex.length; i++) {
      String v = row.getString(dataIndex[i]);
      if (v != null && v.indexOf('\uFFFD') >= 0) {
        reasons.add("invalid encoding (" + dataNames[i]
            + " holds bytes that are not valid text in the configured encoding, leeway.ingest.csv.encoding)");
      }
    }
    for (int i = 0; i < columns.length; i++) {
      Column c = columns[i];
      String value = clean(row.getString(c.index()));
      blank[i] = isBlank(value);
      typed[i] = blank[i] ? null : parse(c.type(), value);
      Object t = typed[i];
      if ((c.type() == ColumnType.TEXT || c.type() == ColumnType.CODE) && value != null
          && CONTROL.matcher(value).find()) {
        reasons.add("control character in " + c.name() + " ('"
            + prefix(CONTROL.matcher(value).replaceAll("?"), maxValueChars) + "')");
      }
      if (c.required() && blank[i]) {
        reasons.add("missing " + c.name() + " (empty value)");
      }
      if (!blank[i] && t == null) {
        reasons.add("invalid " + c.name() + " (not a " + describe(c.type()) + ": " + shown(value) + ")");
      }
      if (c.nonNegative() && t instanceof Double d && d < 0) {
        reasons.add("negative " + c.name() + " (" + shown(value) + ")");
      }
      if (!c.allowed().isEmpty() && t != null && !c.allowed().contains(t)) {
        reasons.add("unknown " + c.name() + " (" + shown(value) + ", expected one of " + c.allowedText() + ")");
      }
      if (t != null && afterRunDate(c.type(), t)) {
        reasons.add(c.name() + " after run date (" + runDate + ": " + shown(value) + ")");
      }
    }
    if (!rowRules.isEmpty()) {
      RowRule.View view = new RowRule.View() {
        @Override
        public Object typed(String column) {
          return typed[position(column)];
        }

        @Override
        public boolean blank(String column) {
          return blank[position(column)];
        }
      };
      for (RowRule rule : rowRules) {
        if (rule.violated().test(view)) {
          reasons.add(rule.reason());
        }
      }
    }
    boolean damaged = !damage.isEmpty();
    return new Result(typed, damaged, (damaged ? new LinkedHashSet<>(damage) : reasons).toArray(String[]::new));
  }

  private int position(String column) {
    for (int i = 0; i < columns.length; i++) {
      if (columns[i].name().equals(column)) {
        return i;
      }
    }
    throw new IllegalArgumentException("a row rule names '" + column + "', which is not a contract column");
  }

  /**
   * Reasons the record is damaged as a whole: the field count differs from the header, a field runs away past
   * records, a field is too long.
   */
  private List<String> damage(Row row) {
    List<String> out = new ArrayList<>(0);
    if (corruptIndex >= 0) {
      String text = row.getString(corruptIndex);
      if (text != null) {
        out.add(hasLineBreak(text) && runaway(text) ? "runaway quoted field (the record spans " + lines(text).length
            + RUNAWAY_TAIL : "malformed record (field count differs from the header)");
      }
    }
    for (int i = 0; i < dataIndex.length; i++) {
      String v = row.getString(dataIndex[i]);
      if (v == null) {
        continue;
      }
      if (hasLineBreak(v) && runaway(v)) {
        out.add("runaway quoted field (" + dataNames[i] + " spans " + lines(v).length + RUNAWAY_TAIL);
      }
      if (v.length() > maxFieldChars) {
        int chars = v.codePointCount(0, v.length());
        if (chars > maxFieldChars) {
          out.add("field too long (" + dataNames[i] + ": " + chars + " characters, limit " + maxFieldChars + ")");
        }
      }
    }
    return out;
  }

  private static boolean hasLineBreak(String text) {
    return text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0;
  }

  private static String[] lines(String text) {
    return LINE_BREAK.split(text, -1);
  }

  /**
   * True when text holds more line breaks than a field may, or a line after its first (up to the limit) with as
   * many delimiters as a whole record: a record it swallowed.
   */
  private boolean runaway(String text) {
    String[] lines = lines(text);
    if (lines.length > maxFieldLines + 1) {
      return true;
    }
    int fields = Math.max(2, dataIndex.length);
    for (int i = 1; i < lines.length; i++) {
      if (delimiter.split(lines[i], -1).length >= fields) {
        return true;
      }
    }
    return false;
  }

  /** A value as the rules see it: edge white space of any kind removed, inner white space of any kind a space. */
  static String clean(String raw) {
    if (raw == null || isPlain(raw)) {
      return raw;
    }
    return INNER_SPACE.matcher(EDGE_SPACE.matcher(raw).replaceAll("")).replaceAll(" ");
  }

  /** Printable ASCII that neither starts nor ends with a space: most values, which need no regular expression. */
  private static boolean isPlain(String s) {
    int n = s.length();
    if (n > 0 && (s.charAt(0) == ' ' || s.charAt(n - 1) == ' ')) {
      return false;
    }
    for (int i = 0; i < n; i++) {
      char ch = s.charAt(i);
      if (ch < 0x20 || ch > 0x7E) {
        return false;
      }
    }
    return true;
  }

  private boolean isBlank(String value) {
    if (value == null || value.isEmpty()) {
      return true;
    }
    // Only a value as short as the longest token can be one: most values skip the case mapping.
    return value.length() <= longestToken * 2 && value.codePointCount(0, value.length()) <= longestToken
        && nullTokens.contains(value.toUpperCase(Locale.ROOT));
  }

  private Object parse(ColumnType type, String v) {
    return switch (type) {
      case TEXT -> v;
      case CODE -> v.toUpperCase(Locale.ROOT);
      case DATE -> DATE.matcher(v).matches() ? orNull(DateTimeUtils.stringToDate(UTF8String.fromString(v))) : null;
      case TIMESTAMP -> TIMESTAMP.matcher(v).matches()
          ? orNull(DateTimeUtils.stringToTimestamp(UTF8String.fromString(v), zone)) : null;
      case NUMBER -> {
        if (!NUMBER.matcher(v).matches()) {
          yield null;
        }
        // Overflowing literals such as 1e999 parse to infinity: not a usable amount.
        double d = Double.parseDouble(v);
        yield Double.isInfinite(d) ? null : d;
      }
      case BOOLEAN -> {
        String l = v.toLowerCase(Locale.ROOT);
        yield TRUE_WORDS.contains(l) ? Boolean.TRUE : FALSE_WORDS.contains(l) ? Boolean.FALSE : null;
      }
    };
  }

  private static Object orNull(scala.Option<Object> o) {
    return o.isDefined() ? o.get() : null;
  }

  private boolean afterRunDate(ColumnType type, Object t) {
    return switch (type) {
      case DATE -> (Integer) t > runDay;
      case TIMESTAMP -> (Long) t >= afterRunDateMicros;
      default -> false;
    };
  }

  private String shown(String value) {
    return "'" + prefix(value, maxValueChars) + "'";
  }

  /** The first {@code chars} characters (code points) of {@code s}. */
  private static String prefix(String s, int chars) {
    if (s.length() <= chars) {
      return s;
    }
    int n = s.codePointCount(0, s.length());
    return n <= chars ? s : s.substring(0, s.offsetByCodePoints(0, chars));
  }

  static String describe(ColumnType type) {
    return switch (type) {
      case TEXT, CODE -> "text";
      case DATE -> "date yyyy-MM-dd";
      case TIMESTAMP -> "timestamp yyyy-MM-dd HH:mm:ss";
      case NUMBER -> "number";
      case BOOLEAN -> "boolean";
    };
  }
}
