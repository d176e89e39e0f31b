package dev.leeway.io;

import static org.apache.spark.sql.functions.regexp_extract;

import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Column;

/**
 * Daily drops: an input table may arrive as one folder per day, {@code <table>/dt=YYYY-MM-DD/}, each holding what
 * was new or changed that day. A run of date D knows the drops up to D and nothing after.
 */
public final class Drops {
  public static final String PREFIX = "dt=";

  private Drops() {}

  /** The date of a drop folder's name, empty when the name is not {@code dt=...}; bad dates fail naming the folder. */
  public static Optional<LocalDate> dateOf(Path folder) {
    String n = folder.getName();
    if (!n.startsWith(PREFIX)) {
      return Optional.empty();
    }
    try {
      return Optional.of(LocalDate.parse(n.substring(PREFIX.length())));
    } catch (DateTimeParseException e) {
      throw new InputError("Folder " + folder + " looks like a daily drop but '" + n.substring(PREFIX.length())
          + "' is not a date: name drops dt=YYYY-MM-DD");
    }
  }

  /** True when {@code file} lies in a drop dated after {@code runDate}. */
  public static boolean after(Path file, LocalDate runDate) {
    for (Path p = file.getParent(); p != null; p = p.getParent()) {
      String n = p.getName();
      if (n.startsWith(PREFIX)) {
        try {
          return LocalDate.parse(n.substring(PREFIX.length())).isAfter(runDate);
        } catch (DateTimeParseException e) {
          return false;
        }
      }
    }
    return false;
  }

  /** The drop date (text) of a row's source file, "" for a file that is not in a drop. */
  public static Column dropOf(Column sourceFile) {
    return regexp_extract(sourceFile, "/" + PREFIX + "([0-9]{4}-[0-9]{2}-[0-9]{2})/", 1);
  }
}
