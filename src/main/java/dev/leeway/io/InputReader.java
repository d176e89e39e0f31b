package dev.leeway.io;

import dev.leeway.config.LeewayConfig.CsvSettings;
import dev.leeway.contract.Cols;
import dev.leeway.contract.ColumnSpec;
import dev.leeway.contract.ContractValidator;
import dev.leeway.contract.TableContract;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.Charset;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.io.compress.CompressionCodec;
import org.apache.hadoop.io.compress.CompressionCodecFactory;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * Reads one raw input folder (CSV or Parquet files) into a {@link RawTable}. Header problems are found on the
 * driver, file by file, before any scan, and reported naming the file and the column.
 */
public final class InputReader {
  private final SparkSession spark;
  private final CsvSettings csv;
  private final java.util.Map<String, List<String>> keepColumns;

  /**
   * A reader that reads, per table, only the contract's columns and {@code keepColumns.get(table)}: every other
   * column is dropped by name before any row is parsed.
   */
  public InputReader(SparkSession spark, CsvSettings csv, java.util.Map<String, List<String>> keepColumns) {
    this.spark = spark;
    this.csv = csv;
    this.keepColumns = keepColumns;
  }

  /** The columns of {@code contract}'s table that are read. */
  private Set<String> allowed(TableContract contract) {
    Set<String> out = new LinkedHashSet<>(contract.columnNames());
    keepColumns.getOrDefault(contract.name(), List.of()).forEach(c -> out.add(c.toLowerCase(Locale.ROOT)));
    return out;
  }

  /**
   * Reads a table: a full extract (files directly in its folder) whole, or, when it arrives as daily drops
   * ({@code dt=YYYY-MM-DD} folders), the drops after {@code since} (null: from the first) up to {@code runDate}.
   */
  public RawTable read(String inputRoot, TableContract contract, LocalDate runDate, LocalDate since) {
    Path folder = new Path(inputRoot, contract.name());
    List<String> warnings = new ArrayList<>();
    Listing listing = listDataFiles(folder, contract, runDate, since);
    List<FileStatus> files = listing.files();
    List<String> drops = listing.drops();
    if (drops != null && drops.isEmpty()) {
      warnings.add("no daily drop after " + (since == null ? "the first" : since) + " up to " + runDate
          + ": nothing new");
    }
    boolean parquet = !files.isEmpty() && files.get(0).getPath().getName().endsWith(".parquet");
    for (FileStatus f : files) {
      if (f.getPath().getName().endsWith(".parquet") != parquet) {
        throw new InputError("Cannot read table '" + contract.name() + "': folder " + folder
            + " mixes CSV and Parquet files (" + files.get(0).getPath().getName() + ", " + f.getPath().getName() + ")");
      }
    }
    List<String> paths = new ArrayList<>();
    List<String> header = null;
    String headerFile = null;
    java.util.Map<String, StructField> parquetTypes = new java.util.HashMap<>();
    java.util.Map<String, String> parquetTypeFiles = new java.util.HashMap<>();
    for (FileStatus f : files) {
      if (!parquet && f.getLen() == 0) {
        warnings.add("skipped empty file " + f.getPath() + " (0 bytes)");
        continue;
      }
      List<String> columns = parquet ? parquetColumns(f.getPath(), contract, parquetTypes, parquetTypeFiles)
          : csvHeader(f.getPath(), contract);
      if (columns.isEmpty()) {
        warnings.add("skipped empty file " + f.getPath() + " (no header)");
        continue;
      }
      checkColumns(contract, f.getPath(), columns);
      if (header == null) {
        header = columns;
        headerFile = f.getPath().toString();
      } else if (!parquet && !header.equals(columns)) {
        throw new InputError("Cannot read table '" + contract.name() + "': file " + f.getPath()
            + " has columns " + columns + " but " + headerFile + " has " + header
            + "; all CSV files of a table must share one header");
      }
      paths.add(f.getPath().toString());
    }
    if (paths.isEmpty()) {
      if (drops == null) {
        warnings.add("table '" + contract.name() + "' has no rows");
      }
      return new RawTable(contract.name(), emptyRaw(contract), List.of(), parquet ? "parquet" : "csv", warnings,
          drops, List.of(), List.of());
    }
    Set<String> allowed = allowed(contract);
    Dataset<Row> rows = parquet ? readParquet(paths, contract, allowed) : readCsv(paths, header, allowed);
    List<String> all = parquet ? new ArrayList<>(parquetTypes.keySet()) : header;
    if (parquet) {
      all.sort(null);
    }
    List<String> dropped = all.stream().filter(c -> !allowed.contains(c)).toList();
    return new RawTable(contract.name(), rows, paths, parquet ? "parquet" : "csv", warnings, drops, all, dropped);
  }

  /** The data files to read, in order, and the drops they come from (null for a full extract). */
  private record Listing(List<FileStatus> files, List<String> drops) {}

  /**
   * A full extract's files, or the files of the drops in (since, runDate], drop by drop, oldest first.
   */
  private Listing listDataFiles(Path folder, TableContract contract, LocalDate runDate, LocalDate since) {
    try {
      FileSystem fs = folder.getFileSystem(spark.sparkContext().hadoopConfiguration());
      List<FileStatus> direct = listFolder(fs, folder, contract, true);
      List<FileStatus> dropFolders = new ArrayList<>();
      List<FileStatus> plain = new ArrayList<>();
      for (FileStatus s : direct) {
        (s.isDirectory() ? dropFolders : plain).add(s);
      }
      if (dropFolders.isEmpty()) {
        return new Listing(plain, null);
      }
      if (!plain.isEmpty()) {
        throw new InputError("Cannot read table '" + contract.name() + "': folder " + folder + " mixes daily drops ("
            + dropFolders.get(0).getPath().getName() + ") with files (" + plain.get(0).getPath().getName()
            + "); a table arrives either as one full extract or as daily drops dt=YYYY-MM-DD/");
      }
      List<FileStatus> out = new ArrayList<>();
      List<String> drops = new ArrayList<>();
      for (FileStatus d : dropFolders) {
        LocalDate day = Drops.dateOf(d.getPath()).orElseThrow();
        if (day.isAfter(runDate) || (since != null && !day.isAfter(since))) {
          continue;
        }
        drops.add(d.getPath().getName());
        out.addAll(listFolder(fs, d.getPath(), contract, false));
      }
      return new Listing(out, drops);
    } catch (IOException e) {
      throw new InputError("Cannot list input folder " + folder + ": " + e.getMessage(), e);
    }
  }

  /** A folder's data files (and, when {@code dropsAllowed}, its drop folders), sorted by name. */
  private List<FileStatus> listFolder(FileSystem fs, Path folder, TableContract contract, boolean dropsAllowed) {
    try {
      if (!fs.exists(folder)) {
        throw new InputError("Cannot read table '" + contract.name() + "': input folder not found: " + folder
            + " (set leeway.paths.input_root or --input-root)");
      }
      if (!fs.getFileStatus(folder).isDirectory()) {
        throw new InputError("Cannot read table '" + contract.name() + "': " + folder + " is a file; expected a folder of CSV or Parquet files");
      }
      List<FileStatus> out = new ArrayList<>();
      for (FileStatus s : fs.listStatus(folder)) {
        String n = s.getPath().getName();
        if (n.startsWith("_") || n.startsWith(".")) {
          continue;
        }
        if (s.isDirectory()) {
          if (!dropsAllowed || Drops.dateOf(s.getPath()).isEmpty()) {
            throw new InputError("Cannot read table '" + contract.name() + "': unexpected folder " + s.getPath()
                + (dropsAllowed ? " (a table's folder holds data files, or daily drops named dt=YYYY-MM-DD)"
                    : " inside a daily drop (a drop holds data files only)"));
          }
          out.add(s);
          continue;
        }
        String lower = n.toLowerCase(Locale.ROOT);
        if (!(lower.endsWith(".csv") || lower.endsWith(".csv.gz") || lower.endsWith(".parquet"))) {
          throw new InputError("Cannot read table '" + contract.name() + "': unsupported file " + s.getPath()
              + " (expected .csv, .csv.gz or .parquet)");
        }
        out.add(s);
      }
      out.sort((a, b) -> a.getPath().getName().compareTo(b.getPath().getName()));
      return out;
    } catch (IOException e) {
      throw new InputError("Cannot list input folder " + folder + ": " + e.getMessage(), e);
    }
  }

  private void checkColumns(TableContract contract, Path file, List<String> columns) {
    Set<String> seen = new LinkedHashSet<>();
    for (String c : columns) {
      if (!seen.add(c)) {
        throw new InputError("Cannot read table '" + contract.name() + "': file " + file
            + " has column '" + c + "' twice");
      }
    }
    for (ColumnSpec spec : contract.columns()) {
      if (!seen.contains(spec.name())) {
        String fix = spec.setting() == null ? "rename the column or fix the export"
            : "the column is named in " + spec.setting() + ": add it to the export or remove it there";
        throw new InputError("Cannot read table '" + contract.name() + "': file " + file
            + " has no column '" + spec.name() + "' (found: " + String.join(", ", columns) + "); " + fix);
      }
    }
  }

  private CSVFormat headerFormat() {
    CSVFormat.Builder b = CSVFormat.RFC4180.builder()
        .setDelimiter(csv.delimiter().charAt(0))
        .setQuote(csv.quote().charAt(0));
    if (!csv.escape().equals(csv.quote())) {
      b.setEscape(csv.escape().charAt(0));
    }
    return b.build();
  }

  /** The first record of a CSV file, lower-cased and trimmed; empty when the file holds no record. */
  private List<String> csvHeader(Path file, TableContract contract) {
    try {
      FileSystem fs = file.getFileSystem(spark.sparkContext().hadoopConfiguration());
      CompressionCodec codec = new CompressionCodecFactory(spark.sparkContext().hadoopConfiguration()).getCodec(file);
      try (InputStream in = codec == null ? fs.open(file) : codec.createInputStream(fs.open(file));
           Reader reader = new InputStreamReader(in, Charset.forName(csv.encoding()));
           CSVParser parser = CSVParser.parse(reader, headerFormat())) {
        Iterator<CSVRecord> it = parser.iterator();
        if (!it.hasNext()) {
          return List.of();
        }
        List<String> out = new ArrayList<>();
        for (String name : it.next()) {
          out.add(normalise(name));
        }
        return out.size() == 1 && out.get(0).isEmpty() ? List.of() : out;
      }
    } catch (IOException | RuntimeException e) {
      throw new InputError("Cannot read the header of " + file + " (table '" + contract.name() + "'): "
          + e.getMessage(), e);
    }
  }

  /**
   * A Parquet file's column names; fails (naming both files and the column) when a column's type differs from the
   * type an earlier file of the table gave it, which Spark cannot read as one table.
   */
  private List<String> parquetColumns(Path file, TableContract contract, java.util.Map<String, StructField> types,
      java.util.Map<String, String> typeFiles) {
    List<String> out = new ArrayList<>();
    for (StructField f : spark.read().parquet(file.toString()).schema().fields()) {
      String name = normalise(f.name());
      out.add(name);
      StructField before = types.putIfAbsent(name, f);
      if (before != null && !before.dataType().equals(f.dataType())) {
        throw new InputError("Cannot read table '" + contract.name() + "': file " + file + " has column '" + name
            + "' as " + f.dataType().simpleString() + " but " + typeFiles.get(name) + " has it as "
            + before.dataType().simpleString() + "; all Parquet files of a table must give a column one type");
      }
      typeFiles.putIfAbsent(name, file.toString());
    }
    return out;
  }

  private static String normalise(String name) {
    return name.replace("\uFEFF", "").trim().toLowerCase(Locale.ROOT);
  }

  private Dataset<Row> readCsv(List<String> paths, List<String> header, Set<String> allowed) {
    StructType schema = new StructType();
    for (String c : header) {
      schema = schema.add(c, DataTypes.StringType, true);
    }
    schema = schema.add(ContractValidator.CORRUPT_RECORD, DataTypes.StringType, true);
    Dataset<Row> df = spark.read()
        .schema(schema)
        .option("header", "true")
        .option("enforceSchema", "true")
        .option("multiLine", "true")
        .option("sep", csv.delimiter())
        .option("quote", csv.quote())
        .option("escape", csv.escape())
        .option("encoding", csv.encoding())
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", ContractValidator.CORRUPT_RECORD)
        .csv(paths.toArray(String[]::new));
    List<Column> cols = new ArrayList<>();
    List<Column> dropped = new ArrayList<>();
    List<Integer> headerIndex = new ArrayList<>();
    for (int i = 0; i < header.size(); i++) {
      if (allowed.contains(header.get(i))) {
        cols.add(df.col("`" + header.get(i) + "`"));
        headerIndex.add(i);
      } else {
        // A stray quote in a column that is not kept (a free-text note) swallows the records after it all the
        // same: its text is looked at for that, in the task, and never kept.
        dropped.add(df.col("`" + header.get(i) + "`").as("__dropped_" + i));
      }
    }
    cols.add(df.col(ContractValidator.CORRUPT_RECORD));
    cols.add(df.col("_metadata.file_path").as(Cols.Q_SOURCE_FILE));
    cols.addAll(dropped);
    RunawayRecovery recovery = new RunawayRecovery(header.size(), csv.delimiter(),
        headerIndex.stream().mapToInt(Integer::intValue).toArray());
    return numberRowsWithinFiles(df.select(cols.toArray(Column[]::new)), recovery);
  }

  private Dataset<Row> readParquet(List<String> paths, TableContract contract, Set<String> allowed) {
    Dataset<Row> df = spark.read().parquet(paths.toArray(String[]::new));
    List<Column> cols = new ArrayList<>();
    for (StructField f : df.schema().fields()) {
      String n = normalise(f.name());
      if (!allowed.contains(n)) {
        continue;
      }
      Column c = df.col("`" + f.name() + "`");
      boolean timestamp = contract.column(n).map(s -> s.type() == dev.leeway.contract.ColumnType.TIMESTAMP)
          .orElse(false);
      cols.add((timestamp && isNumber(f.dataType()) ? epochText(c) : c.cast(DataTypes.StringType)).as(n));
    }
    cols.add(df.col("_metadata.file_path").as(Cols.Q_SOURCE_FILE));
    cols.add(df.col("_metadata.row_index").plus(1).as(Cols.Q_SOURCE_ROW));
    return df.select(cols.toArray(Column[]::new));
  }

  private static boolean isNumber(org.apache.spark.sql.types.DataType t) {
    return t instanceof org.apache.spark.sql.types.IntegralType || t instanceof org.apache.spark.sql.types.DoubleType
        || t instanceof org.apache.spark.sql.types.FloatType || t instanceof org.apache.spark.sql.types.DecimalType;
  }

  /**
   * An epoch number as timestamp text: seconds, milliseconds or microseconds since 1970-01-01 UTC, told apart by
   * magnitude (seconds stay below 1e11 until the year 5138; milliseconds after 1973 are above it).
   */
  static Column epochText(Column v) {
    Column n = v.cast(DataTypes.LongType);
    Column a = org.apache.spark.sql.functions.abs(n);
    Column ts = org.apache.spark.sql.functions.when(a.lt(100_000_000_000L),
            org.apache.spark.sql.functions.timestamp_seconds(n))
        .when(a.lt(100_000_000_000_000L), org.apache.spark.sql.functions.timestamp_millis(n))
        .otherwise(org.apache.spark.sql.functions.timestamp_micros(n));
    return org.apache.spark.sql.functions.date_format(ts, "yyyy-MM-dd HH:mm:ss.SSS");
  }

  /**
   * Multi-line CSV files are never split, so a task reads each of its files from the first record to the last
   * in order: counting within a run of the same file gives each record's 1-based position without a shuffle. The
   * whole records a runaway quote swallowed follow their damaged record as rows of their own ({@link
   * RunawayRecovery}); the rows read are the data columns, the corrupt-record text, the file, then the values of
   * columns not kept. Those are dropped here: a runaway quote in one becomes the row's corrupt-record text (which no
   * table keeps), so the record is quarantined as damaged and the records it swallowed are read on their own.
   */
  private static Dataset<Row> numberRowsWithinFiles(Dataset<Row> df, RunawayRecovery recovery) {
    int fileIdx = df.schema().fieldIndex(Cols.Q_SOURCE_FILE);
    int corruptIdx = df.schema().fieldIndex(ContractValidator.CORRUPT_RECORD);
    int width = fileIdx + 1;
    StructType out = new StructType(java.util.Arrays.copyOf(df.schema().fields(), width))
        .add(Cols.Q_SOURCE_ROW, DataTypes.LongType, false);
    MapPartitionsFunction<Row, Row> number = it -> new Iterator<>() {
      private final java.util.ArrayDeque<Row> recovered = new java.util.ArrayDeque<>();
      private String file;
      private long row;

      @Override
      public boolean hasNext() {
        return !recovered.isEmpty() || it.hasNext();
      }

      @Override
      public Row next() {
        if (!recovered.isEmpty()) {
          return recovered.poll();
        }
        Row r = it.next();
        String f = r.getString(fileIdx);
        if (!f.equals(file)) {
          file = f;
          row = 0;
        }
        Object[] values = new Object[width + 1];
        for (int i = 0; i < width; i++) {
          values[i] = r.get(i);
        }
        values[width] = ++row;
        for (Object[] data : swallowed(r, values)) {
          Object[] v = new Object[width + 1];
          System.arraycopy(data, 0, v, 0, data.length);
          v[fileIdx] = f;
          v[width] = ++row;
          recovered.add(RowFactory.create(v));
        }
        return RowFactory.create(values);
      }

      /**
       * The records a runaway field swallowed: in the damaged record's raw text, or in one of its values. A runaway
       * in a column not kept becomes the record's corrupt-record text in {@code values}.
       */
      private List<Object[]> swallowed(Row r, Object[] values) {
        List<Object[]> records = recovery.records(r.getString(corruptIdx));
        for (int i = 0; records.isEmpty() && i < corruptIdx; i++) {
          records = recovery.records(r.getString(i));
        }
        for (int i = width; records.isEmpty() && i < r.length(); i++) {
          records = recovery.records(r.getString(i));
          if (!records.isEmpty() && values[corruptIdx] == null) {
            values[corruptIdx] = r.getString(i);
          }
        }
        return records;
      }
    };
    return df.mapPartitions(number, Encoders.row(out));
  }

  private Dataset<Row> emptyRaw(TableContract contract) {
    List<StructField> fields = new ArrayList<>();
    for (String c : contract.columnNames()) {
      fields.add(DataTypes.createStructField(c, DataTypes.StringType, true));
    }
    fields.add(DataTypes.createStructField(Cols.Q_SOURCE_FILE, DataTypes.StringType, true));
    fields.add(DataTypes.createStructField(Cols.Q_SOURCE_ROW, DataTypes.LongType, true));
    return spark.createDataFrame(List.of(), DataTypes.createStructType(fields));
  }
}
