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
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code leeway ingest} on small hand-written inputs: every bad-input case of the data contract. */
class IngestCommandTest {
  private static final String RUN_DATE = "2026-11-01";

  @TempDir
  Path tmp;

  private Cli.Run ingest(RawFiles in, String... sets) {
    List<String> args = new java.util.ArrayList<>(List.of("ingest", "--run-date", RUN_DATE, "--input-root",
        in.root().toString(), "--output-root", tmp.resolve("out").toString()));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    return Cli.run(args.toArray(String[]::new));
  }

  private Outputs outputs() {
    return new Outputs(tmp.resolve("out"), RUN_DATE);
  }

  private static List<String> reasons(Outputs o, String table) {
    return o.quarantine(table).select("quarantine_reason").collectAsList().stream().map(r -> r.getString(0))
        .sorted().collect(Collectors.toList());
  }

  @Test
  void cleanInputsAreConformedTypedAndWithoutPii() {
    Cli.Run run = ingest(RawFiles.minimal(tmp.resolve("in")));
    assertEquals(0, run.exitCode(), run.context());
    Outputs o = outputs();
    assertEquals(2, o.conformed("customers").count(), "both customers conformed");
    List<String> cols = List.of(o.conformed("customers").columns());
    assertFalse(cols.contains("full_name") || cols.contains("email") || cols.contains("phone"),
        "PII columns never reach conformed customers: " + cols);
    assertFalse(List.of(o.conformed("exceptions").columns()).contains("note"), "free-text notes are dropped");
    assertFalse(List.of(o.quarantine("customers").columns()).contains("email"), "nor the quarantine");
    Row x2 = o.conformed("exceptions").filter("exception_id = 'X2'").first();
    assertEquals("DENIED", x2.getAs("decision"), "decision upper-cased");
    assertTrue(x2.isNullAt(x2.fieldIndex("cost")), "empty cost of a denied request stays empty");
    assertEquals("timestamp", o.conformed("exceptions").schema().apply("requested_at").dataType().typeName(),
        "requested_at is typed");
    JsonNode status = o.status();
    assertEquals("SUCCEEDED", status.get("outcome").asText(), status.toString());
    for (String t : List.of("customers", "clv_snapshots", "exceptions", "activity", "referrals")) {
      JsonNode c = status.at("/stages/0/tables/" + t);
      assertEquals(c.get("rows_in").asLong(), c.get("rows_out").asLong() + c.get("rows_quarantined").asLong(),
          "counts reconcile for " + t + ": " + c);
      assertTrue(c.get("reconciled").asBoolean(), "status says so for " + t);
    }
    assertTrue(run.out().contains("Status:"), "stdout says where the status is: " + run.out());
  }

  @Test
  void quotedCommasNewlinesAndUtf8SurviveAndRowsAreNumberedByRecord() {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"))
        .csv("customers",
            "customer_id,signup_date,segment,region,channel,nickname",
            "C1,2020-01-15,CONSUMER,NORTH,ONLINE,\"Zoë, \"\"the\"\"\nsecond line\"",
            "C2,2019-06-01,ENTERPRISE,SÃO PAULO,BRANCH,Łukasz",
            "C3,not-a-date,CONSUMER,NORTH,ONLINE,x");
    Cli.Run run = ingest(in, "leeway.ingest.keep_columns.customers=[nickname]");
    assertEquals(0, run.exitCode(), run.context());
    Outputs o = outputs();
    Row c1 = o.conformed("customers").filter("customer_id = 'C1'").first();
    assertEquals("Zoë, \"the\"\nsecond line", c1.getAs("nickname"), "quoted comma, quote and newline kept; extra column kept");
    Row c2 = o.conformed("customers").filter("customer_id = 'C2'").first();
    assertEquals("SÃO PAULO", c2.getAs("region"), "UTF-8 kept");
    Row bad = o.quarantine("customers").first();
    assertEquals(3L, ((Number) bad.getAs("source_row")).longValue(),
        "the quarantined record is the third of its file even though the first spans two lines");
    assertTrue(bad.<String>getAs("source_file").endsWith("customers/part-0.csv"), "names the file");
  }

  @Test
  void onlyContractAndKeptColumnsAreReadWhateverTheOthersAreCalled() {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"))
        .csv("customers",
            "customer_id,signup_date,segment,region,channel,contact_e_mail,loyalty_tier,mobile",
            "C1,2020-01-15,CONSUMER,NORTH,ONLINE,zoe@example.com,GOLD,+1 555 000 0001",
            "C2,not-a-date,ENTERPRISE,SOUTH,BRANCH,js@example.com,SILVER,+1 555 000 0002")
        .csv("exceptions",
            "exception_id,customer_id,requested_at,policy,decision,employee_id,team,channel,cost,agent_remarks",
            "X1,C1,2024-02-01 10:00:00,FEE_WAIVER,GRANTED,E1,T01,PHONE,15.00,\"called from +1 555 000 0001\"");
    Cli.Run run = ingest(in, "leeway.ingest.keep_columns.customers=[loyalty_tier]");
    assertEquals(0, run.exitCode(), run.context());
    Outputs o = outputs();
    assertEquals(List.of("customer_id", "signup_date", "segment", "region", "channel", "loyalty_tier"),
        List.of(o.conformed("customers").columns()), "the contract's columns and the kept one, nothing else");
    assertFalse(o.quarantine("customers").collectAsList().toString().contains("@"), "nor in the quarantine");
    assertFalse(List.of(o.conformed("exceptions").columns()).contains("agent_remarks"));
    JsonNode metrics = o.status().at("/stages/0/metrics");
    assertEquals("[\"contact_e_mail\",\"mobile\"]", metrics.get("customers dropped columns").toString());
    assertEquals("[\"agent_remarks\"]", metrics.get("exceptions dropped columns").toString());
    assertFalse(o.status().toString().contains("555 000"), "names only, never values");
  }

  @Test
  void duplicateIdsKeepTheFirstDeterministicallyAndQuarantineTheRest() {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"));
    in.file("exceptions", "part-1.csv",
        "exception_id,customer_id,requested_at,policy,decision,employee_id,team,channel,cost,note",
        "X1,C2,2024-05-01 10:00:00,LATE_RETURN,DENIED,E9,T09,PHONE,3,later copy");
    Cli.Run run = ingest(in);
    assertEquals(0, run.exitCode(), run.context());
    Outputs o = outputs();
    Row kept = o.conformed("exceptions").filter("exception_id = 'X1'").first();
    assertEquals("C1", kept.getAs("customer_id"), "the row from the first file (by name) is kept");
    assertEquals(1, o.conformed("exceptions").filter("exception_id = 'X1'").count(), "only one X1 conformed");
    List<String> r = reasons(o, "exceptions");
    assertEquals(1, r.size(), "one quarantined: " + r);
    assertTrue(r.get(0).startsWith("duplicate exception_id (first kept at ") && r.get(0).endsWith("part-0.csv row 1)"),
        r.get(0));
  }

  @Test
  void rowsForUnknownCustomersAreQuarantined() {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"))
        .csv("activity", "customer_id,event_at,event_type,amount",
            "C1,2024-02-02 08:00:00,PURCHASE,25.10",
            "GHOST,2024-02-02 08:00:00,LOGIN,",
            "C2,2024-02-03 08:00:00,NEW_KIND_OF_EVENT,")
        .csv("exceptions",
            "exception_id,customer_id,requested_at,policy,decision,employee_id,team,channel,cost,note",
            "X1,GHOST,2024-02-01 10:00:00,FEE_WAIVER,GRANTED,E1,T01,PHONE,15.00,",
            "X2,C1,2024-02-01 10:00:00,FEE_WAIVER,DENIED,E1,T01,PHONE,,");
    Cli.Run run = ingest(in);
    assertEquals(0, run.exitCode(), run.context());
    Outputs o = outputs();
    assertEquals(List.of("unknown customer_id (not in customers: 'GHOST')"), reasons(o, "activity"), "activity");
    assertEquals(List.of("unknown customer_id (not in customers: 'GHOST')"), reasons(o, "exceptions"), "exceptions");
    assertEquals(1, o.conformed("activity").filter("event_type = 'NEW_KIND_OF_EVENT'").count(),
        "unknown event types are kept as activity");
  }

  @Test
  void futureTimestampsAreQuarantined() {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"))
        .csv("activity", "customer_id,event_at,event_type,amount",
            "C1,2026-11-01 23:00:00,LOGIN,",
            "C1,2026-11-02 00:00:01,LOGIN,");
    Cli.Run run = ingest(in);
    assertEquals(0, run.exitCode(), run.context());
    assertEquals(List.of("event_at after run date (2026-11-01: '2026-11-02 00:00:01')"), reasons(outputs(), "activity"),
        "only the event after the run date");
  }

  @Test
  void aMissingInputFolderFailsNamingItAndPublishesNothing() throws Exception {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"));
    deleteTree(in.root().resolve("referrals"));
    Cli.Run run = ingest(in);
    assertEquals(3, run.exitCode(), "bad input exit code\n" + run.context());
    assertTrue(run.err().contains("input folder not found") && run.err().contains("referrals"), run.context());
    assertEquals(1, run.err().strip().lines().count(), "one line on stderr: " + run.err());
    assertFalse(Files.exists(outputs().runDir().resolve("ingest")), "nothing published");
    assertEquals("FAILED", outputs().status().get("outcome").asText(), "status says FAILED");
  }

  @Test
  void aMissingOrRenamedRequiredColumnIsAClearErrorNotAQuarantine() {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"))
        .csv("exceptions",
            "exception_id,customer_id,requested_at,policy,verdict,employee_id,team,channel,cost,note",
            "X1,C1,2024-02-01 10:00:00,FEE_WAIVER,GRANTED,E1,T01,PHONE,15.00,");
    Cli.Run run = ingest(in);
    assertEquals(3, run.exitCode(), run.context());
    assertTrue(run.err().contains("has no column 'decision'") && run.err().contains("exceptions/part-0.csv"),
        "names the file and the column: " + run.err());
    assertFalse(Files.exists(outputs().runDir().resolve("ingest")), "nothing published");
  }

  @Test
  void anExtraNumericColumnIsCheckedAsANumberAndConformedAsADouble() {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"))
        .csv("customers",
            "customer_id,signup_date,segment,region,channel,age",
            "C1,2020-01-15,CONSUMER,NORTH,ONLINE,34",
            "C2,2019-06-01,ENTERPRISE,SOUTH,BRANCH,",
            "C3,2019-06-01,ENTERPRISE,SOUTH,BRANCH,3x");
    Cli.Run run = Cli.run("ingest", "--run-date", RUN_DATE, "--input-root", in.root().toString(),
        "--output-root", tmp.resolve("out").toString(), "--set", "leeway.features.extra_numeric_columns=[age]");
    assertEquals(0, run.exitCode(), run.context());
    Outputs o = outputs();
    assertEquals(List.of("invalid age (not a number: '3x')"), reasons(o, "customers"),
        "a value that is not a number is quarantined with its reason");
    assertEquals("double", o.conformed("customers").schema().apply("age").dataType().typeName(),
        "the conformed column is a number");
    Row c1 = o.conformed("customers").filter("customer_id = 'C1'").first();
    assertEquals(34.0, c1.<Double>getAs("age"), "C1's age as a double");
    Row c2 = o.conformed("customers").filter("customer_id = 'C2'").first();
    assertTrue(c2.isNullAt(c2.fieldIndex("age")), "an empty age is missing, not an error");
    JsonNode c = o.status().at("/stages/0/tables/customers");
    assertEquals(3, c.get("rows_in").asLong(), "three customers read: " + c);
    assertEquals(c.get("rows_in").asLong(), c.get("rows_out").asLong() + c.get("rows_quarantined").asLong(),
        "rows read = conformed + quarantined: " + c);
    assertEquals(1, c.at("/quarantine_reasons/invalid age").asLong(), "counted under its reason code: " + c);
  }

  @Test
  void aConfiguredNumericColumnTheInputLacksIsAClearErrorNamingIt() {
    Cli.Run run = Cli.run("ingest", "--run-date", RUN_DATE, "--input-root",
        RawFiles.minimal(tmp.resolve("in")).root().toString(), "--output-root", tmp.resolve("out").toString(),
        "--set", "leeway.features.extra_numeric_columns=[age]");
    assertEquals(3, run.exitCode(), "bad input exit code\n" + run.context());
    assertTrue(run.err().contains("has no column 'age'") && run.err().contains("customers/part-0.csv")
        && run.err().contains("leeway.features.extra_numeric_columns"),
        "names the file, the column and the key: " + run.err());
    assertFalse(Files.exists(outputs().runDir().resolve("ingest")), "nothing published");
  }

  @Test
  void emptyFilesAndHeaderOnlyTablesGiveZeroRowsNotErrors() {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"))
        .csv("referrals", "referral_id,referrer_id,referred_customer_id,referred_at,converted")
        .file("activity", "part-9.csv");
    Cli.Run run = ingest(in);
    assertEquals(0, run.exitCode(), run.context());
    Outputs o = outputs();
    assertEquals(0, o.conformed("referrals").count(), "a table with no rows is written empty");
    assertEquals(2, o.conformed("activity").count(), "the empty activity file adds nothing");
    assertTrue(run.out().contains("skipped empty file") && run.out().contains("part-9.csv"),
        "the empty file is reported: " + run.out());
  }

  @Test
  void malformedRecordsAreQuarantined() {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"))
        .csv("activity", "customer_id,event_at,event_type,amount",
            "C1,2024-02-02 08:00:00,PURCHASE,25.10,extra,fields",
            "C1,2024-02-02 09:00:00,LOGIN,");
    Cli.Run run = ingest(in);
    assertEquals(0, run.exitCode(), run.context());
    Outputs o = outputs();
    assertEquals(1, o.conformed("activity").count(), "the good row");
    assertTrue(reasons(o, "activity").get(0).startsWith("malformed record"), reasons(o, "activity").toString());
  }

  @Test
  void aStrayQuoteInAColumnNotKeptIsFoundAndTheRecordsItSwallowedAreRead() {
    // The free-text note is never kept, but its unclosed quote runs to the end of the file all the same.
    RawFiles in = RawFiles.minimal(tmp.resolve("in"))
        .csv("exceptions", "exception_id,customer_id,requested_at,policy,decision,employee_id,team,channel,cost,note",
            "X1,C1,2024-02-01 10:00:00,FEE_WAIVER,GRANTED,E1,T01,PHONE,15.00,\"Upset, called twice",
            "X2,C2,2024-03-01 09:30:00,LATE_RETURN,DENIED,E2,T02,BRANCH,,plain",
            "X3,C1,2024-03-02 09:30:00,LATE_RETURN,DENIED,E2,T02,BRANCH,,plain");
    Cli.Run run = ingest(in);
    assertEquals(0, run.exitCode(), run.context());
    Outputs o = outputs();
    assertEquals(List.of("X2", "X3"), o.conformed("exceptions").select("exception_id").orderBy("exception_id")
        .collectAsList().stream().map(r -> r.getString(0)).toList(), "the swallowed records are read on their own");
    Row damaged = o.quarantine("exceptions").first();
    assertTrue(damaged.<String>getAs("quarantine_reason").startsWith("runaway quoted field"), damaged.toString());
    assertEquals(1L, damaged.<Long>getAs("source_row"));
    assertFalse(damaged.toString().contains("Upset"), "the note's text is kept nowhere: " + damaged);
    JsonNode exceptions = o.status().at("/stages/0/tables/exceptions");
    assertEquals(3, exceptions.get("rows_in").asLong(), exceptions.toString());
    assertEquals(1, exceptions.get("rows_quarantined").asLong(), exceptions.toString());
  }

  @Test
  void parquetInputsAreReadLikeCsv() {
    RawFiles csv = RawFiles.minimal(tmp.resolve("csv"));
    Path parquet = tmp.resolve("pq");
    for (String t : List.of("customers", "clv_snapshots", "exceptions", "activity", "referrals")) {
      dev.leeway.support.TestSpark.session().read().option("header", "true").option("multiLine", "true")
          .option("escape", "\"").csv(csv.root().resolve(t).toString())
          .write().parquet(parquet.resolve(t).toString());
    }
    Cli.Run run = Cli.run("ingest", "--run-date", RUN_DATE, "--input-root", parquet.toString(),
        "--output-root", tmp.resolve("out").toString());
    assertEquals(0, run.exitCode(), run.context());
    assertEquals(2, outputs().conformed("exceptions").count(), "exceptions from Parquet");
    assertEquals(0, outputs().quarantine("exceptions").count(), "nothing quarantined");
  }

  @Test
  void rerunningADateReplacesOnlyThatDate() {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"));
    String out = tmp.resolve("out").toString();
    assertEquals(0, Cli.run("ingest", "--run-date", "2026-10-31", "--input-root", in.root().toString(),
        "--output-root", out).exitCode(), "first date");
    assertEquals(0, ingest(in).exitCode(), "second date");
    in.csv("customers", "customer_id,signup_date,segment,region,channel", "C1,2020-01-15,CONSUMER,NORTH,ONLINE",
        "C2,2019-06-01,ENTERPRISE,SOUTH,BRANCH", "C3,2019-06-01,ENTERPRISE,SOUTH,BRANCH");
    assertEquals(0, ingest(in).exitCode(), "re-run of the second date");
    assertEquals(3, outputs().conformed("customers").count(), "the re-run replaced the date's output");
    assertEquals(2, new Outputs(tmp.resolve("out"), "2026-10-31").conformed("customers").count(),
        "the other date is untouched");
  }

  private static void deleteTree(Path p) throws Exception {
    try (var s = Files.walk(p)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    }
  }
}
