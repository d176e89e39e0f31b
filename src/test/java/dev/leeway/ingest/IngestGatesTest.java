package dev.leeway.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.leeway.support.Cli;
import dev.leeway.support.Outputs;
import dev.leeway.support.RawFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The data-quality gates of ingest through the real command line: each passes, warns or fails by its threshold; a
 * failing gate stops the run before anything is published (exit code 5), naming the check, the measured value and
 * the threshold on stderr and in status.json; every measurement is kept in the gate_results table.
 */
class IngestGatesTest {
  private static final String D1 = "2026-10-31";
  private static final String D2 = "2026-11-01";

  @TempDir
  Path tmp;

  private Cli.Run ingest(RawFiles in, String date, String... sets) {
    List<String> args = new ArrayList<>(List.of("ingest", "--run-date", date, "--input-root", in.root().toString(),
        "--output-root", tmp.resolve("out").toString()));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    return Cli.run(args.toArray(String[]::new));
  }

  /** The minimal inputs with {@code events} recent activity rows, {@code bad} of them with an invalid amount. */
  private RawFiles withActivity(String dir, int events, int bad, String extraHeader) {
    List<String> lines = new ArrayList<>();
    lines.add("customer_id,event_at,event_type,amount" + extraHeader);
    for (int i = 0; i < events; i++) {
      String amount = i < bad ? "lots" : String.valueOf(i % 17);
      lines.add((i % 2 == 0 ? "C1" : "C2") + ",2026-10-" + String.format("%02d", 1 + i % 30) + " "
          + String.format("%02d:%02d:%02d", i / 3600 % 24, i / 60 % 60, i % 60) + ",PURCHASE," + amount
          + (extraHeader.isEmpty() ? "" : ",x"));
    }
    return RawFiles.minimal(tmp.resolve(dir)).csv("activity", lines.toArray(String[]::new));
  }

  private static JsonNode gate(JsonNode gates, String check, String table) {
    for (JsonNode g : gates) {
      if (g.get("check").asText().equals(check) && g.get("table").asText().equals(table)) {
        return g;
      }
    }
    throw new AssertionError("no " + check + " of " + table + " in " + gates);
  }

  @Test
  void gatesPassWarnAndAreKeptAsATable() {
    Cli.Run run = ingest(withActivity("in", 300, 0, ""), D2);
    assertEquals(0, run.exitCode(), run.context());
    JsonNode gates = new Outputs(tmp.resolve("out"), D2).status().at("/stages/0/metrics/gates");
    assertEquals("PASS", gate(gates, "min_rows", "exceptions").get("outcome").asText(), gates.toString());
    assertEquals("PASS", gate(gates, "quarantine_share", "activity").get("outcome").asText(), gates.toString());
    assertEquals("PASS", gate(gates, "key_null_share", "activity").get("outcome").asText(), gates.toString());
    assertEquals("PASS", gate(gates, "freshness", "activity").get("outcome").asText(), gates.toString());
    // The two hand-written requests are from 2024: far older than the run date, a warning by default.
    JsonNode fresh = gate(gates, "freshness", "exceptions");
    assertEquals("WARN", fresh.get("outcome").asText(), gates.toString());
    assertTrue(fresh.get("measured").asDouble() > 900, fresh.toString());
    assertTrue(run.out().contains("warning: data-quality gate freshness of exceptions = "), run.context());
    assertEquals("MEASURED", gate(gates, "quarantine_share", "customers").get("outcome").asText(),
        "two customers are too few rows to judge a share: " + gates);
    assertEquals("MEASURED", gate(gates, "rows_change", "activity").get("outcome").asText(), "no previous run");
    List<Row> kept = Outputs.table(tmp.resolve("out"), "gate_results", D2).where("check = 'freshness'")
        .orderBy("table_name").collectAsList();
    assertEquals(2, kept.size(), kept.toString());
    assertEquals("exceptions", kept.get(1).getAs("table_name"));
    assertEquals("WARN", kept.get(1).getAs("outcome"));
  }

  @Test
  void anEmptyExceptionsExportFailsTheRunBeforeAnythingIsPublished() throws Exception {
    RawFiles in = withActivity("in", 10, 0, "")
        .csv("exceptions", "exception_id,customer_id,requested_at,policy,decision,employee_id,team,channel,cost,note");
    Cli.Run run = ingest(in, D2);
    assertEquals(5, run.exitCode(), run.context());
    assertTrue(run.err().contains("Data-quality gate failed") && run.err().contains("min_rows of exceptions = 0, "
        + "threshold 1"), run.context());
    Outputs o = new Outputs(tmp.resolve("out"), D2);
    JsonNode status = o.status();
    assertEquals("FAILED", status.get("outcome").asText());
    assertEquals("FAIL", gate(status.at("/stages/0/gates"), "min_rows", "exceptions").get("outcome").asText());
    assertFalse(Files.exists(tmp.resolve("out/runs/" + D2 + "/ingest/_published.json")), "nothing published");
    assertEquals(1, Outputs.table(tmp.resolve("out"), "gate_results", D2)
        .where("outcome = 'FAIL' and check = 'min_rows'").count(), "a failed run's measurements are kept too");
  }

  @Test
  void aTruncatedExportAndAMostlyQuarantinedTableFailAgainstThresholds() {
    assertEquals(0, ingest(withActivity("full", 400, 0, ""), D1).exitCode());
    // The next night's export holds a quarter of the rows.
    Cli.Run truncated = ingest(withActivity("cut", 100, 0, ""), D2);
    assertEquals(5, truncated.exitCode(), truncated.context());
    assertTrue(truncated.err().contains("rows_drop of activity = 0.75, threshold 0.5 ("), truncated.context());
    // A looser threshold lets the same export through, with the drop measured.
    Cli.Run allowed = ingest(withActivity("cut", 100, 0, ""), D2, "leeway.gates.rows_drop.max=0.8");
    assertEquals(0, allowed.exitCode(), allowed.context());

    // 120 of 300 rows have an invalid amount: 40% quarantined, above 25%.
    Cli.Run dirty = ingest(withActivity("dirty", 300, 120, ""), D2, "leeway.gates.rows_growth.severity=off");
    assertEquals(5, dirty.exitCode(), dirty.context());
    assertTrue(dirty.err().contains("quarantine_share of activity = 0.4, threshold 0.25 ("), dirty.context());
    JsonNode gates = new Outputs(tmp.resolve("out"), D2).status().at("/stages/0/gates");
    JsonNode reason = gate(gates, "quarantine_reason_share", "activity");
    assertEquals("WARN", reason.get("outcome").asText(), "one reason code above its warning share: " + reason);
    assertTrue(reason.get("detail").asText().startsWith("invalid amount: 120 of 300"), reason.toString());
  }

  @Test
  void schemaDriftIsNamedAndWarned() {
    assertEquals(0, ingest(withActivity("a", 200, 0, ""), D1).exitCode());
    Cli.Run run = ingest(withActivity("b", 200, 0, ",channel"), D2);
    assertEquals(0, run.exitCode(), run.context());
    JsonNode drift = gate(new Outputs(tmp.resolve("out"), D2).status().at("/stages/0/metrics/gates"),
        "schema_drift", "activity");
    assertEquals("WARN", drift.get("outcome").asText(), drift.toString());
    assertEquals(1.0, drift.get("measured").asDouble());
    assertTrue(drift.get("detail").asText().startsWith("added [channel], gone []"), drift.toString());
    Cli.Run strict = ingest(withActivity("b", 200, 0, ",channel"), D2, "leeway.gates.schema_drift.severity=fail");
    assertEquals(5, strict.exitCode(), strict.context());
  }
}
