package dev.leeway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a stage prints of its gates: a count per outcome, and each check that did not pass in full. */
class StageCommandTest {
  @Test
  void gatesPrintAsCountsAndTheChecksThatDidNotPass() {
    List<Map<String, Object>> results = List.of(
        Map.of("check", "min_rows", "table", "customers", "measured", 10.0, "threshold", 1.0, "outcome", "PASS",
            "detail", "rows after ingest"),
        Map.of("check", "min_rows", "table", "referrals", "measured", 12.0, "threshold", 1.0, "outcome", "PASS",
            "detail", "rows after ingest"),
        Map.of("check", "freshness", "table", "activity", "measured", 9.0, "threshold", 7.0, "outcome", "WARN",
            "detail", "newest 2026-10-23"));
    assertEquals("2 PASS, 1 WARN\n    WARN freshness of activity = 9.0, threshold 7.0 (newest 2026-10-23)",
        StageCommand.gates(results));
    assertEquals("[]", StageCommand.gates("[]"), "anything else prints as it is");
  }
}
