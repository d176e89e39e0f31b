package dev.leeway.ingest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.Cli;
import dev.leeway.support.Outputs;
import dev.leeway.support.RawFiles;
import dev.leeway.support.TestSpark;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Input as real exports get it wrong, each case with its quarantine reason or a clear error: white space and
 * control characters in ids, null tokens, a runaway quote, an overlong field, bytes that are not UTF-8, exact
 * duplicate events, a mistyped policy code, a malformed record next to PII, epoch numbers and clashing types in
 * Parquet.
 */
class HostileInputTest {
  private static final String D = "2026-11-01";

  @TempDir
  Path tmp;

  private Cli.Run ingest(Path in, String... sets) {
    List<String> args = new java.util.ArrayList<>(List.of("ingest", "--run-date", D, "--input-root", in.toString(),
        "--output-root", tmp.resolve("out").toString()));
    for (String s : sets) {
      args.add("--set");
      args.add(s);
    }
    return Cli.run(args.toArray(String[]::new));
  }

  /** Quarantine reasons by the first field of the row ({@code key} column). */
  private Map<String, String> reasons(String table, String key) {
    Map<String, String> out = new TreeMap<>();
    for (Row r : new Outputs(tmp.resolve("out"), D).quarantine(table).collectAsList()) {
      out.put(r.getAs(key) + "@" + r.getAs("source_row"), r.getAs("quarantine_reason"));
    }
    return out;
  }

  @Test
  void dirtyCsvIsCleanedOrQuarantinedWithReasonsAndNeverSwallowsSilently() throws Exception {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"))
        .csv("customers",
            "customer_id,signup_date,segment,region,channel,full_name,email,phone",
            // No-break space and tab around ids are white space, not part of the id.
            "\u00A0C1\t,2020-01-15,CONSUMER,NORTH,ONLINE,Zoë,zoe@example.com,1",
            "C2\u200B,2019-06-01,ENTERPRISE,SOUTH,BRANCH,Jo,js@example.com,2",
            // A tab or a carriage return inside an id is not white space around it.
            "C\t3,2019-06-01,ENTERPRISE,SOUTH,BRANCH,Al,al@example.com,3",
            "\"C\r4\",2019-06-01,ENTERPRISE,SOUTH,BRANCH,Bo,bo@example.com,4",
            // A record with a field too many: its values are shifted, the e-mail lands in a kept column.
            "C5,2019-06-01,ENTERPRISE,SOUTH,BRANCH,Cy,extra,cy@example.com,5",
            "C6,2019-06-01,ENTERPRISE," + "N".repeat(20_000) + ",BRANCH,Di,di@example.com,6",
            "C7,NULL,ENTERPRISE,SOUTH,BRANCH,Ed,ed@example.com,7")
        .csv("activity",
            "customer_id,event_at,event_type,amount",
            "C1,2024-02-02 08:00:00,PURCHASE,25.10",
            "C1,2024-02-02 08:00:00,PURCHASE,25.10",
            "C2,2024-03-05 12:00:00,LOGIN,n/a",
            "C2,2024-03-05 12:00:00,LOGIN,")
        .file("exceptions", "part-1.csv",
            "exception_id,customer_id,requested_at,policy,decision,employee_id,team,channel,cost,note",
            "X3,C1,2024-02-01 10:00:00,FEE_WAIVR,GRANTED,E1,T01,PHONE,15.00,",
            "X4,C2,2024-03-01 10:00:00,FEE_WAIVER,GRANTED,E1,\"T01,PHONE,15.00,",
            "X5,C1,2024-03-02 10:00:00,FEE_WAIVER,DENIED,E1,T01,PHONE,,",
            "X6,C2,2024-03-03 10:00:00,FEE_WAIVER,DENIED,E1,T01,PHONE,,");
    // A Latin-1 export among UTF-8 ones: 0xE9 is no UTF-8 character.
    Files.write(in.root().resolve("customers/part-1.csv"), concat(
        "customer_id,signup_date,segment,region,channel,full_name,email,phone\nC8,2019-06-01,CAF".getBytes(
            StandardCharsets.US_ASCII), new byte[] {(byte) 0xE9}, ",SOUTH,BRANCH,Fe,fe@example.com,8\n".getBytes(
            StandardCharsets.US_ASCII)));
    Cli.Run run = ingest(in.root(), "leeway.ingest.policies=[FEE_WAIVER, LATE_RETURN]",
        "leeway.gates.quarantine_share.severity=off", "leeway.gates.key_null_share.severity=off");
    assertEquals(0, run.exitCode(), run.context());
    Outputs o = new Outputs(tmp.resolve("out"), D);

    List<String> ids = o.conformed("customers").select("customer_id").orderBy("customer_id").collectAsList().stream()
        .map(r -> r.getString(0)).toList();
    assertEquals(List.of("C1", "C2"), ids, "white space around ids is removed; every damaged row quarantined");
    Map<String, String> customers = reasons("customers", "customer_id");
    assertTrue(customers.get("C\t3@3").startsWith("control character in customer_id ('C?3')"), customers.toString());
    assertTrue(customers.get("C\r4@4").startsWith("control character in customer_id ('C?4')"), customers.toString());
    String shifted = customers.get("null@5");
    assertEquals("malformed record (field count differs from the header)", shifted, customers.toString());
    assertTrue(customers.get("null@6").startsWith("field too long (region: 20000 characters, limit 10000)"),
        customers.toString());
    assertEquals("missing signup_date (empty value)", customers.get("C7@7"), "NULL is no value: " + customers);
    assertTrue(customers.get("C8@1").startsWith("invalid encoding (segment"), customers.toString());
    for (Row r : o.quarantine("customers").collectAsList()) {
      assertFalse(r.toString().contains("@example.com"), "no e-mail reaches the quarantine: " + r);
    }

    assertEquals(1, o.conformed("activity").where("customer_id = 'C1'").count(), "an exact copy is kept once");
    Map<String, String> activity = reasons("activity", "customer_id");
    assertTrue(activity.get("C1@2").startsWith("duplicate customer_id, event_at, event_type, amount (first kept at "),
        activity.toString());
    assertTrue(activity.get("C2@4").startsWith("duplicate customer_id"), "n/a is no value, so the two C2 events are "
        + "the same event: " + activity);
    assertEquals(1, o.conformed("activity").where("customer_id = 'C2' and amount is null").count());

    Map<String, String> exceptions = reasons("exceptions", "exception_id");
    assertTrue(exceptions.get("X3@1").startsWith("unknown policy ('FEE_WAIVR', expected one of FEE_WAIVER, "
        + "LATE_RETURN)"), exceptions.toString());
    String runaway = exceptions.get("null@2");
    assertTrue(runaway != null && runaway.startsWith("runaway quoted field (the record spans 3 lines"), exceptions.toString());
    // The two whole records the quote ran into are read on their own, and pass.
    assertEquals(2, o.conformed("exceptions").where("exception_id in ('X5', 'X6')").count(), exceptions.toString());
  }

  private static byte[] concat(byte[]... parts) {
    java.io.ByteArrayOutputStream b = new java.io.ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }

  @Test
  void epochNumbersInParquetAreTimestampsAndAClashOfTypesIsAClearError() throws Exception {
    RawFiles in = RawFiles.minimal(tmp.resolve("in"));
    Path activity = in.root().resolve("activity");
    Files.delete(activity.resolve("part-0.csv"));
    StructType epoch = new StructType().add("customer_id", DataTypes.StringType)
        .add("event_at", DataTypes.LongType).add("event_type", DataTypes.StringType)
        .add("amount", DataTypes.DoubleType);
    var spark = TestSpark.session();
    // 2024-02-02 08:00:00 UTC in seconds, and 2024-03-05 12:00:00.250 UTC in milliseconds.
    spark.createDataFrame(List.of(RowFactory.create("C1", 1706860800L, "PURCHASE", 25.1),
            RowFactory.create("C2", 1709640000250L, "LOGIN", null)), epoch)
        .coalesce(1).write().parquet(activity.resolve("tmp-a").toString());
    moveParquet(activity.resolve("tmp-a"), activity.resolve("part-0.parquet"));
    Cli.Run run = ingest(in.root());
    assertEquals(0, run.exitCode(), run.context());
    List<Row> events = new Outputs(tmp.resolve("out"), D).conformed("activity").orderBy("customer_id")
        .select("event_at").collectAsList();
    assertEquals(java.sql.Timestamp.valueOf("2024-02-02 08:00:00"), events.get(0).getTimestamp(0));
    assertEquals(java.sql.Timestamp.valueOf("2024-03-05 12:00:00.25"), events.get(1).getTimestamp(0));

    // A second file gives amount as text: Spark cannot read both as one table.
    StructType clash = new StructType().add("customer_id", DataTypes.StringType)
        .add("event_at", DataTypes.LongType).add("event_type", DataTypes.StringType)
        .add("amount", DataTypes.StringType);
    spark.createDataFrame(List.of(RowFactory.create("C1", 1706860800L, "PURCHASE", "25.10")), clash)
        .coalesce(1).write().parquet(activity.resolve("tmp-b").toString());
    moveParquet(activity.resolve("tmp-b"), activity.resolve("part-1.parquet"));
    Cli.Run bad = ingest(in.root());
    assertEquals(3, bad.exitCode(), bad.context());
    assertTrue(bad.err().contains("part-1.parquet has column 'amount' as string but ")
        && bad.err().contains("part-0.parquet has it as double"), bad.context());
  }

  private static void moveParquet(Path sparkDir, Path target) throws Exception {
    try (var files = Files.list(sparkDir)) {
      Path part = files.filter(p -> p.getFileName().toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.move(part, target);
    }
    try (var files = Files.walk(sparkDir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
