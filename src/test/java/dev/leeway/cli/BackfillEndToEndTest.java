package dev.leeway.cli;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.date_format;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.to_date;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leeway.support.Cli;
import dev.leeway.support.Outputs;
import dev.leeway.support.SameRows;
import dev.leeway.support.TestSpark;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs that arrive as daily drops ({@code <table>/dt=YYYY-MM-DD/}): a three-date backfill adds each date's new
 * drops to the previous date's conformed tables, stops at a date with a bad drop and, run again once it is fixed,
 * carries on where it stopped; every date's conformed tables and requests equal those of a run of that date alone
 * on a fresh output root (which reads every drop up to the date at once): a backfill reproduces the past.
 */
class BackfillEndToEndTest {
  private static final List<String> DATES = List.of("2026-10-18", "2026-10-25", "2026-11-01");
  private static final Map<String, String> DATE_COLUMN = Map.of("customers", "signup_date", "clv_snapshots",
      "as_of_date", "exceptions", "requested_at", "activity", "event_at", "referrals", "referred_at");

  @TempDir
  Path tmp;

  @Test
  void aBackfillOverDailyDropsResumesWhereItStoppedAndReproducesPerDateRuns() throws Exception {
    Path full = tmp.resolve("full");
    Cli.Run gen = Cli.run("generate", "--customers", "700", "--seed", "21", "--out", full.toString());
    assertEquals(0, gen.exitCode(), gen.context());
    Path drops = tmp.resolve("drops");
    splitIntoDailyDrops(full, drops, DATES.get(0));
    Path out = tmp.resolve("out");
    // Rows that arrive a drop before the customer they reference: a referral that brought a customer who signs up
    // the next day, a request logged before the customer's record is exported.
    addDrop(drops, "customers", "2026-10-19", "LATE1", "2026-10-19", "CONSUMER", "NORTH", "BRANCH", "BRONZE",
        "40");
    addDrop(drops, "referrals", "2026-10-18", "LATE-F1", "C00000001", "LATE1", "2026-10-18 23:10:00", "true");
    addDrop(drops, "customers", "2026-10-26", "LATE2", "2026-10-26", "SMALL_BUSINESS", "SOUTH", "ONLINE", "SILVER",
        "51");
    addDrop(drops, "exceptions", "2026-10-24", "LATE-X1", "LATE2", "2026-10-24 16:00:00", "CHECK_HOLD_RELEASE",
        "DENIED", "E0210", "T02", "PHONE");

    // A drop of the second date's window lacks a contract column: the backfill stops there, exit 3.
    Path bad = drops.resolve("exceptions/dt=2026-10-22/zz-late-export.csv");
    Files.createDirectories(bad.getParent());
    Files.writeString(bad, "exception_id,customer_id,requested_at,policy\nQ1,C1,2026-10-22 10:00:00,FEE_WAIVER\n");
    String[] backfill = {"backfill", "--from", DATES.get(0), "--to", DATES.get(2), "--every-days", "7",
        "--to-stage", "outcomes", "--input-root", drops.toString(), "--output-root", out.toString()};
    Cli.Run first = Cli.run(backfill);
    assertEquals(3, first.exitCode(), first.context());
    assertTrue(first.err().contains("zz-late-export.csv") && first.err().contains("decision"), first.context());
    JsonNode summary = new ObjectMapper().readTree(out.resolve("runs/_backfills/2026-10-18_2026-11-01.json")
        .toFile());
    assertEquals(2, summary.get("runs").size(), summary.toString());
    assertEquals("SUCCEEDED", summary.at("/runs/0/outcome").asText());
    assertEquals("FAILED", summary.at("/runs/1/outcome").asText());
    assertTrue(first.out().contains("1 later date(s) not run"), first.context());

    Files.delete(bad);
    Cli.Run second = Cli.run(backfill);
    assertEquals(0, second.exitCode(), second.context());
    summary = new ObjectMapper().readTree(out.resolve("runs/_backfills/2026-10-18_2026-11-01.json").toFile());
    assertEquals(3, summary.get("runs").size(), summary.toString());
    assertEquals("[]", summary.at("/runs/0/stages_run").toString(), "the first date was complete: " + summary);
    assertEquals("[\"ingest\",\"outcomes\"]", summary.at("/runs/1/stages_run").toString(), summary.toString());
    assertTrue(second.out().contains("all completed before"), second.context());

    // Each later date added only its own drops to the previous date's rows.
    JsonNode d2 = new Outputs(out, DATES.get(1)).status();
    assertEquals(DATES.get(0), d2.at("/stages/0/metrics/exceptions added to").asText(), d2.toString());
    assertEquals(7, d2.at("/stages/0/metrics/activity drops").size(), "one drop a day: " + d2);
    long added = d2.at("/stages/0/tables/exceptions/rows_out").asLong();
    assertTrue(added > 0 && added < Outputs.table(out, "conformed_exceptions", DATES.get(1)).count(), d2.toString());

    for (String d : DATES) {
      Path alone = tmp.resolve("alone-" + d);
      for (String stage : List.of("ingest", "outcomes")) {
        Cli.Run r = Cli.run(stage, "--run-date", d, "--input-root", drops.toString(), "--output-root",
            alone.toString());
        assertEquals(0, r.exitCode(), r.context());
      }
      for (String table : List.of("conformed_customers", "conformed_clv_snapshots", "conformed_exceptions",
          "conformed_activity", "conformed_referrals", "requests")) {
        SameRows.assertSameRows(Outputs.table(alone, table, d), Outputs.table(out, table, d), table + " of " + d);
      }
    }
    // Quarantined while their customer was unknown, conformed on the date it arrived, as a run of that date alone.
    assertEquals(0, Outputs.table(out, "conformed_referrals", DATES.get(0)).filter("referral_id = 'LATE-F1'").count());
    assertEquals(1, Outputs.table(out, "quarantine_referrals", DATES.get(0)).filter("referral_id = 'LATE-F1'").count());
    assertEquals(1, Outputs.table(out, "conformed_referrals", DATES.get(1)).filter("referral_id = 'LATE-F1'").count());
    assertEquals(1, Outputs.table(out, "quarantine_exceptions", DATES.get(1)).filter("exception_id = 'LATE-X1'")
        .count(), "still unknown a date later, so quarantined again and checked again on the next date");
    assertEquals(1, Outputs.table(out, "conformed_exceptions", DATES.get(2)).filter("exception_id = 'LATE-X1'")
        .count());
    long later = Outputs.table(out, "conformed_exceptions", DATES.get(2)).count();
    assertTrue(later > Outputs.table(out, "conformed_exceptions", DATES.get(0)).count(), "history grows");
  }

  /**
   * Adds a one-row CSV to a table's drop of {@code date}, under the header of the table's generated files; the values
   * fill the first columns, the rest stay empty.
   */
  private static void addDrop(Path drops, String table, String date, String... values) throws Exception {
    Path any;
    try (var files = Files.walk(drops.resolve(table))) {
      any = files.filter(f -> f.toString().endsWith(".csv")).findFirst().orElseThrow();
    }
    String header = Files.readAllLines(any).get(0);
    String[] row = new String[header.split(",", -1).length];
    java.util.Arrays.fill(row, "");
    System.arraycopy(values, 0, row, 0, values.length);
    Path f = drops.resolve(table + "/dt=" + date + "/late.csv");
    Files.createDirectories(f.getParent());
    Files.writeString(f, header + "\n" + String.join(",", row) + "\n");
  }

  /**
   * Writes each generated table as daily drops: everything dated up to {@code first} in that day's drop (the
   * initial load), every later row in the drop of its own day.
   */
  private static void splitIntoDailyDrops(Path full, Path drops, String first) {
    SparkSession spark = TestSpark.session();
    DATE_COLUMN.forEach((table, column) -> {
      Dataset<Row> rows = spark.read().option("header", "true").option("multiLine", "true").option("escape", "\"")
          .csv(full.resolve(table).toString());
      rows.withColumn("dt", date_format(greatest(to_date(col(column)), lit(first).cast("date")), "yyyy-MM-dd"))
          .coalesce(1).write().partitionBy("dt").option("header", "true").option("escape", "\"")
          .csv(drops.resolve(table).toString());
    });
    assertFalse(Files.exists(drops.resolve("customers/part-00000.csv")));
  }
}
