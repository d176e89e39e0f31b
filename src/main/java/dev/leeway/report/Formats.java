package dev.leeway.report;

import io.pebbletemplates.pebble.extension.AbstractExtension;
import io.pebbletemplates.pebble.extension.Filter;
import io.pebbletemplates.pebble.template.EvaluationContext;
import io.pebbletemplates.pebble.template.PebbleTemplate;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Number formats for the report template: {@code money}, {@code ratio}, {@code pts} (percentage points), {@code pct}. */
final class Formats extends AbstractExtension {
  @FunctionalInterface
  private interface Format {
    String apply(double v);
  }

  private static Filter filter(Format f) {
    return new Filter() {
      @Override
      public List<String> getArgumentNames() {
        return List.of();
      }

      @Override
      public Object apply(Object input, Map<String, Object> args, PebbleTemplate self, EvaluationContext context,
          int lineNumber) {
        return input instanceof Number n && Double.isFinite(n.doubleValue()) ? f.apply(n.doubleValue()) : "–";
      }
    };
  }

  @Override
  public Map<String, Filter> getFilters() {
    return Map.of(
        "money", filter(v -> String.format(Locale.ROOT, "%,.0f", v)),
        "ratio", filter(v -> String.format(Locale.ROOT, "%.2f", v)),
        "coef", filter(v -> String.format(Locale.ROOT, "%.3f", v)),
        "pts", filter(v -> String.format(Locale.ROOT, "%+.1f", v * 100)),
        "pct", filter(v -> String.format(Locale.ROOT, "%.0f%%", v * 100)),
        "count", filter(v -> String.format(Locale.ROOT, "%,.0f", v)));
  }
}
