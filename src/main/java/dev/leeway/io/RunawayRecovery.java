package dev.leeway.io;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Resynchronises a CSV file after a runaway quote. An unbalanced quote makes the parser read every following line,
 * up to the next quote, as one field of one record: the records it swallowed are lines of that field (or of the
 * damaged record's raw text). Each such line that splits into exactly as many fields as the header is a whole
 * record; it is given back as a row of its own, numbered after the damaged record, and checked like any other. The
 * damaged record itself is still quarantined (it keeps none of its values), as is any line that is not a whole
 * record.
 *
 * <p>A swallowed line holds no quote (the first quote would have ended the field), so splitting it on the
 * delimiter is exact.
 */
final class RunawayRecovery implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Pattern LINE_BREAK = Pattern.compile("\\r?\\n|\\r");

  private final int headerSize;
  private final String delimiter;
  private final int[] headerIndex;

  /**
   * @param headerSize the number of fields in the file's header
   * @param delimiter the field delimiter
   * @param headerIndex for each data column of the rows read, its position in the header
   */
  RunawayRecovery(int headerSize, String delimiter, int[] headerIndex) {
    this.headerSize = headerSize;
    this.delimiter = Pattern.quote(delimiter);
    this.headerIndex = headerIndex.clone();
  }

  /**
   * The data columns' values of each whole record inside a damaged value (lines after its first), in file order;
   * empty when the value holds no line break or no whole record. An empty field is no value (null), as Spark reads
   * it.
   */
  List<Object[]> records(String value) {
    if (value == null || (value.indexOf('\n') < 0 && value.indexOf('\r') < 0)) {
      return List.of();
    }
    String[] lines = LINE_BREAK.split(value, -1);
    List<Object[]> out = new ArrayList<>();
    for (int i = 1; i < lines.length; i++) {
      String[] fields = lines[i].split(delimiter, -1);
      if (fields.length != headerSize) {
        continue;
      }
      Object[] values = new Object[headerIndex.length];
      for (int c = 0; c < headerIndex.length; c++) {
        String v = fields[headerIndex[c]];
        values[c] = v.isEmpty() ? null : v;
      }
      out.add(values);
    }
    return out;
  }
}
