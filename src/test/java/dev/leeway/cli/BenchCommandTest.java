package dev.leeway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The bench's medians over runs, per stage and overall, and the table that shows them. */
class BenchCommandTest {
  private static Map<String, Object> stage(double seconds, long rowsRead) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("seconds", seconds);
    m.put("rows_read", rowsRead);
    m.put("rows_written", 10L);
    m.put("spark_jobs", 4L);
    m.put("heap_peak_bytes", 512L << 20);
    m.put("rss_peak_bytes", null);
    return m;
  }

  private static Map<String, Object> run(double ingest, double train, Double qini) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("exit_code", 0);
    r.put("seconds", ingest + train + 5);
    r.put("rss_peak_bytes", 3L << 30);
    Map<String, Object> stages = new LinkedHashMap<>();
    stages.put("ingest", stage(ingest, 1000));
    stages.put("train", stage(train, 50));
    r.put("stages", stages);
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("qini", qini);
    r.put("model", model);
    return r;
  }

  @Test
  @SuppressWarnings("unchecked")
  void mediansPerStageAndOverall() {
    Map<String, Object> med = BenchCommand.medians(List.of(run(10, 100, 0.03), run(30, 120, 0.01),
        run(20, 500, 0.02)));
    Map<String, Map<String, Object>> stages = (Map<String, Map<String, Object>>) med.get("stages");
    assertEquals(20.0, stages.get("ingest").get("seconds"));
    assertEquals(120.0, stages.get("train").get("seconds"));
    assertEquals(50.0, stages.get("ingest").get("rows_read_per_second"));
    assertNull(stages.get("ingest").get("rss_peak_bytes"), "no figure is not a zero");
    assertEquals(20.0, med.get("stages_seconds_without_train"));
    assertEquals(0.02, med.get("champion_qini"));
    assertEquals(2.5, BenchCommand.median(Arrays.asList(1, 4, null, 2, 3)));

    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("machine", BenchCommand.machine());
    doc.put("scales", Map.of("S", Map.of("customers", 2000L, "median", med, "runs", List.of(1, 2, 3))));
    String table = BenchCommand.table(doc);
    assertTrue(table.contains("scale S (2,000 customers), medians of 3 run(s)"), table);
    assertTrue(table.matches("(?s).*ingest\\s+20\\.0\\s+1,000\\s+10\\s+50\\s+4\\s+512\\s+n/a.*"), table);
    assertTrue(table.contains("champion held-out Qini 0.0200"), table);
  }
}
