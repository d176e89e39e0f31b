package dev.leeway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.leeway.support.Cli;
import dev.leeway.support.Outputs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real command line, end to end: generate dirty data, run the nightly pipeline, read its status. */
class NightlyEndToEndTest {
  @TempDir
  Path tmp;

  @Test
  void nightlyOnDirtyGeneratedDataQuarantinesEveryKindOfDirtAndReconciles() {
    Path in = tmp.resolve("in");
    Cli.Run gen = Cli.run("generate", "--customers", "3000", "--seed", "3", "--dirty-rate", "0.05", "--out",
        in.toString());
    assertEquals(0, gen.exitCode(), gen.context());
    Cli.Run run = Cli.run("nightly", "--run-date", "2026-11-01", "--input-root", in.toString(), "--output-root",
        tmp.resolve("out").toString());
    assertEquals(0, run.exitCode(), run.context());
    JsonNode status = new Outputs(tmp.resolve("out"), "2026-11-01").status();
    assertEquals("SUCCEEDED", status.get("outcome").asText(), status.toString());
    Map<String, List<String>> expected = Map.of(
        "customers", List.of("invalid signup_date", "missing customer_id", "duplicate customer_id",
            "signup_date after run date"),
        "clv_snapshots", List.of("negative clv", "invalid clv", "missing as_of_date", "unknown customer_id",
            "duplicate customer_id, as_of_date"),
        "exceptions", List.of("invalid requested_at", "invalid cost", "negative cost", "unknown decision",
            "missing policy", "duplicate exception_id", "unknown customer_id", "requested_at after run date"),
        "activity", List.of("invalid event_at", "invalid amount", "missing event_type", "unknown customer_id",
            "event_at after run date"),
        "referrals", List.of("invalid referred_at", "missing referrer_id", "unknown referrer_id",
            "invalid converted", "duplicate referral_id"));
    expected.forEach((table, codes) -> {
      JsonNode t = status.at("/stages/0/tables/" + table);
      assertTrue(t.get("reconciled").asBoolean(), table + " reconciles: " + t);
      assertTrue(t.get("rows_quarantined").asLong() > 0, table + " has quarantined rows: " + t);
      List<String> missing = new ArrayList<>();
      for (String code : codes) {
        if (!t.get("quarantine_reasons").has(code)) {
          missing.add(code);
        }
      }
      assertEquals(List.of(), missing, table + ": every planted kind of dirt is caught; got " + t.get("quarantine_reasons"));
    });
    assertTrue(run.out().contains("Outputs: ") && run.out().contains("runs/2026-11-01"), run.out());
  }

  @Test
  void everyCommandHasHelpAndBadUsageExitsWithTwo() {
    for (String cmd : List.of("generate", "ingest", "nightly")) {
      Cli.Run help = Cli.run(cmd, "--help");
      assertEquals(0, help.exitCode(), cmd + " --help");
      assertTrue(help.out().contains("Usage: leeway " + cmd), help.context());
    }
    Cli.Run top = Cli.run("--help");
    assertTrue(top.out().contains("nightly") && top.out().contains("ingest") && top.out().contains("generate"),
        top.context());
    assertEquals(2, Cli.run("nightly", "--run-date", "yesterday").exitCode(), "unparseable run date");
    Cli.Run badConf = Cli.run("nightly", "--set", "leeway.paths.typo=1");
    assertEquals(2, badConf.exitCode(), badConf.context());
    assertTrue(badConf.err().contains("leeway.paths.typo"), badConf.context());
  }
}
