package dev.leeway.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The bucketing of categorical model features: each column keeps its most frequent levels, {@code UNKNOWN} stays
 * a level of its own, and every other level (rare when fitting, or new when scoring) becomes {@code OTHER}. The
 * mapping is an {@link SQLTransformer} stage so that it is saved and reloaded with the fitted encoding.
 */
final class CategoryBuckets {
  /** The placeholder SQLTransformer replaces with its input table; a literal must never contain it. */
  private static final String THIS = "__THIS__";
  private static final String LEVEL = "__level";
  private static final String COUNT = "count";

  private CategoryBuckets() {}

  /**
   * The {@code max} most frequent levels of {@code column} (ties broken by level name), {@code UNKNOWN} aside. A
   * grouped count with an ordered limit: at most {@code max} rows reach the driver, however many distinct values
   * the column has.
   */
  static List<String> topLevels(Dataset<Row> data, String column, int max) {
    Column v = col(identifier(column));
    Dataset<Row> ranked = data.filter(v.isNotNull().and(v.notEqual(lit(FeatureCols.UNKNOWN))))
        .groupBy(v.cast("string").as(LEVEL)).count()
        .orderBy(col(COUNT).desc(), col(LEVEL).asc());
    List<String> out = new ArrayList<>();
    for (Row r : (max == Integer.MAX_VALUE ? ranked : ranked.limit(max)).collectAsList()) {
      out.add(r.getString(0));
    }
    return out;
  }

  /** The stage that writes each {@code outputs[i]}: {@code inputs[i]} bucketed to {@code kept[i]}. */
  static SQLTransformer stage(List<String> inputs, List<String> outputs, List<List<String>> kept) {
    StringBuilder sql = new StringBuilder("SELECT *");
    for (int i = 0; i < inputs.size(); i++) {
      List<String> literals = withUnknown(kept.get(i)).stream().map(CategoryBuckets::literal).toList();
      String in = identifier(inputs.get(i));
      sql.append(", CASE WHEN ").append(in).append(" IN (").append(String.join(", ", literals)).append(") THEN ")
          .append(in).append(" ELSE ").append(literal(FeatureCols.OTHER)).append(" END AS ")
          .append(identifier(outputs.get(i)));
    }
    return new SQLTransformer().setStatement(sql.append(" FROM ").append(THIS).toString());
  }

  /** The same mapping as a column expression, for data outside the pipeline (a null counts as UNKNOWN). */
  static Column bucketed(Column value, List<String> levels) {
    return when(value.isNull(), lit(FeatureCols.UNKNOWN))
        .when(value.isin(withUnknown(levels).toArray()), value)
        .otherwise(lit(FeatureCols.OTHER));
  }

  private static List<String> withUnknown(List<String> levels) {
    Set<String> out = new LinkedHashSet<>(levels);
    out.add(FeatureCols.UNKNOWN);
    return List.copyOf(out);
  }

  /**
   * A SQL string literal that reads back as {@code s}. Plain text is quoted as is. Text with a quote, a backslash,
   * a {@code $}, a control character or {@code __THIS__} is written as its UTF-8 bytes in a hex literal cast to
   * a string: quote and backslash escapes read differently under {@code spark.sql.parser.escapedStringLiterals},
   * {@code ${...}} is replaced by variable substitution, and {@code __THIS__} by SQLTransformer itself, and a
   * saved model must bucket the same way whatever the session that reloads it.
   */
  static String literal(String s) {
    boolean plain = !s.contains(THIS)
        && s.chars().noneMatch(ch -> ch == '\'' || ch == '\\' || ch == '$' || Character.isISOControl(ch));
    if (plain) {
      return "'" + s + "'";
    }
    return "CAST(X'" + HexFormat.of().withUpperCase().formatHex(s.getBytes(StandardCharsets.UTF_8)) + "' AS STRING)";
  }

  /** A quoted SQL identifier (backticks doubled). */
  static String identifier(String name) {
    return "`" + name.replace("`", "``") + "`";
  }
}
