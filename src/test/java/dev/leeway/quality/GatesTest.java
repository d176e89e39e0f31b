package dev.leeway.quality;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.config.LeewayConfig.Gate;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a measurement is judged: pass, warn or fail by severity and threshold, and what a failure says. */
class GatesTest {
  @Test
  void eachSeverityJudgesItsOwnWay() {
    Gates g = new Gates("score");
    g.atMost("scores_volume", "scores", 0.2, new Gate("fail", 0.5), "1200 rows against 1000");
    g.atMost("scores_volume", "scores", 0.7, new Gate("warn", 0.5), "1700 rows against 1000");
    g.atMost("scores_volume", "scores", 0.7, new Gate("off", 0.5), "measured only");
    g.atLeast("min_rows", "exceptions", 3, 1, "fail", null);
    g.measured("rows_change", "activity", null, "no previous ingest");
    assertEquals(List.of("PASS", "WARN", "MEASURED", "PASS", "MEASURED"),
        g.results().stream().map(GateResult::outcome).toList());
    assertEquals(List.of("data-quality gate scores_volume of scores = 0.7, threshold 0.5 (1700 rows against 1000)"),
        g.warnings());
    g.enforce();
  }

  @Test
  void aFailingCheckNamesItselfTheValueAndTheThreshold() {
    Gates g = new Gates("score");
    g.atMost("scores_volume", "scores", 0.75, new Gate("fail", 0.5), "250 rows against 1000 on 2026-10-31");
    g.atLeast("min_rows", "exceptions", 0, 1, "fail", "rows after ingest");
    g.atMost("quarantine_share", "activity", 0.1, new Gate("fail", 0.25), null);
    GateFailure f = assertThrows(GateFailure.class, g::enforce);
    assertEquals("Data-quality gate failed, nothing of score was published: scores_volume of scores = 0.75, "
        + "threshold 0.5 (250 rows against 1000 on 2026-10-31); min_rows of exceptions = 0, threshold 1 (rows after "
        + "ingest) (thresholds under leeway.gates)", f.getMessage());
    assertEquals(3, f.results().size(), "every check of the stage goes to status.json, passed ones too");
    assertTrue(f.details().containsKey("gates"));
  }
}
