package dev.leeway.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.Cli;
import dev.leeway.support.Outputs;
import java.io.BufferedWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One customer with a million activity events and two hundred requests: ingest and outcomes (whose features and
 * outcomes aggregate each request's events) complete, and that customer's windows are counted exactly. A
 * request-by-event join would make 200 million rows of it; the sweep sorts the million once. Prints the time and
 * the JVM's peak heap, for the note.
 */
class SkewSlowTest {
  private static final String D = "2026-11-01";
  private static final int EVENTS = 1_000_000;
  private static final int REQUESTS = 200;
  private static final long START = LocalDateTime.parse("2024-11-01T00:00:00").toEpochSecond(ZoneOffset.UTC);
  private static final long STEP = 59; // seconds between the hot customer's events: about 22 months of them

  @TempDir
  Path tmp;

  @Test
  void oneCustomerWithAMillionEventsIsAggregatedExactlyInBoundedTimeAndMemory() throws Exception {
    Path in = tmp.resolve("in");
    Cli.Run gen = Cli.run("generate", "--customers", "300", "--seed", "5", "--out", in.toString());
    assertEquals(0, gen.exitCode(), gen.context());
    // A customer of its own, so every one of its events is one written here.
    String hot = "HOT-CUSTOMER";
    List<String> customers = Files.readAllLines(in.resolve("customers/part-00000.csv"));
    String[] fields = customers.get(1).split(",", -1);
    fields[0] = hot;
    Files.writeString(in.resolve("customers/part-hot.csv"), customers.get(0) + "\n" + String.join(",", fields) + "\n");
    try (BufferedWriter w = Files.newBufferedWriter(in.resolve("activity/part-hot.csv"), StandardCharsets.UTF_8)) {
      w.write(Files.readAllLines(in.resolve("activity/part-00000.csv")).get(0) + "\n");
      for (int i = 0; i < EVENTS; i++) {
        w.write(hot + "," + ts(START + i * STEP) + ",PURCHASE," + (i % 5) + "\n");
      }
    }
    List<String> header = Files.readAllLines(in.resolve("exceptions/part-00000.csv")).subList(0, 1);
    StringBuilder x = new StringBuilder(header.get(0)).append('\n');
    for (int r = 0; r < REQUESTS; r++) {
      x.append("HOT").append(r).append(',').append(hot).append(',').append(ts(START + 3 * 86_400L * (r + 1) + 30))
          .append(",FEE_WAIVER,").append(r % 2 == 0 ? "GRANTED,E1,T01,PHONE,10," : "DENIED,E1,T01,PHONE,,")
          .append('\n');
    }
    Files.writeString(in.resolve("exceptions/part-hot.csv"), x.toString());

    long t0 = System.nanoTime();
    for (String stage : List.of("ingest", "outcomes")) {
      Cli.Run run = Cli.run(stage, "--run-date", D, "--input-root", in.toString(), "--output-root",
          tmp.resolve("out").toString(), "--set", "leeway.gates.rows_growth.severity=off");
      assertEquals(0, run.exitCode(), run.context());
    }
    double seconds = (System.nanoTime() - t0) / 1e9;

    List<Row> rows = Outputs.table(tmp.resolve("out"), "requests", D).where("exception_id like 'HOT%'")
        .select("exception_id", "requested_at", "events_30d", "spend_30d").collectAsList();
    assertEquals(REQUESTS, rows.size());
    for (Row r : rows) {
      long at = ((java.sql.Timestamp) r.getAs("requested_at")).toInstant().getEpochSecond();
      long[] expected = expectedWindow(at - 30 * 86_400L, at - 1);
      assertEquals(expected[0], ((Number) r.getAs("events_30d")).longValue(), "events in the 30 days before " + r);
      assertEquals(expected[1], ((Number) r.getAs("spend_30d")).doubleValue(), 1e-6, "spend then " + r);
    }
    long peakHeap = 0;
    for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
      if (p.getType() == MemoryType.HEAP && p.getPeakUsage() != null) {
        peakHeap += p.getPeakUsage().getUsed();
      }
    }
    System.out.printf("Skew test: %,d events and %d requests of one customer: ingest + outcomes %.1f s, JVM peak "
        + "heap %.2f GB (sum of pool peaks, the whole test JVM)%n", EVENTS, REQUESTS, seconds, peakHeap / 1e9);
    assertTrue(seconds > 0);
  }

  /** The hot customer's events (count, spend) with seconds in [from, to]: the row-by-row definition. */
  private static long[] expectedWindow(long from, long to) {
    long n = 0;
    long spend = 0;
    for (int i = 0; i < EVENTS; i++) {
      long s = START + i * STEP;
      if (s >= from && s <= to) {
        n++;
        spend += i % 5;
      }
    }
    return new long[] {n, spend};
  }

  private static String ts(long epochSeconds) {
    return Instant.ofEpochSecond(epochSeconds).toString().replace('T', ' ').replace("Z", "");
  }
}
