package dev.leeway.outcomes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.leeway.config.LeewayConfig;
import dev.leeway.support.Tables;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** docs/outcomes-table.md documents every column the outcomes stage writes. */
class OutcomesTableDocTest {
  @Test
  void everyColumnIsDocumented() throws Exception {
    String doc = Files.readString(Path.of("docs/outcomes-table.md")).replaceAll("`<[WHPEC]>`", "<N>");
    // One extra customer column of each kind, so their columns are checked too.
    LeewayConfig cfg = LeewayConfig.load(new File("conf/local.conf"), Map.of(
        "leeway.features.extra_customer_columns", "[loyalty_tier]", "leeway.features.extra_numeric_columns", "[age]"));
    String[] columns = OutcomesJob.requests(new Tables().customer("C1", "2020-01-01", "CONSUMER").build(), cfg,
        LocalDate.of(2025, 1, 1)).columns();
    List<String> missing = new ArrayList<>();
    for (String c : columns) {
      String pattern = c.replaceAll("_\\d+d$", "_<N>d").replaceAll("^(has_)?(loyalty_tier|age)$", "$1<N>");
      if (!doc.contains("| " + pattern + " |") && !doc.contains(" " + pattern + ",") && !doc.contains(", " + pattern + " |")) {
        missing.add(c);
      }
    }
    assertEquals(List.of(), missing, "columns written but not documented in docs/outcomes-table.md");
  }
}
