package dev.leeway.report;

import java.io.IOException;
import java.io.StringWriter;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

/**
 * CSV exports that spreadsheets cannot execute: a text cell that starts with {@code =}, {@code +}, {@code -},
 * {@code @}, a tab or a carriage return gets a leading apostrophe (OWASP's advice against formula injection).
 * Numbers are written as numbers, negative ones included.
 */
public final class Csv {
  private Csv() {}

  /** A cell as written: numbers as they are, text neutralised, null as empty. */
  static Object cell(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof Number || v instanceof Boolean) {
      return v;
    }
    String s = v.toString();
    if (!s.isEmpty() && "=+-@\t\r".indexOf(s.charAt(0)) >= 0) {
      return "'" + s;
    }
    return s;
  }

  public static String write(List<String> header, List<List<Object>> rows) {
    StringWriter out = new StringWriter();
    try (CSVPrinter p = new CSVPrinter(out, CSVFormat.RFC4180.builder().setHeader(header.toArray(String[]::new))
        .build())) {
      for (List<Object> r : rows) {
        p.printRecord(r.stream().map(Csv::cell).toList());
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return out.toString();
  }
}
