package dev.leeway.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.leeway.support.Cli;
import dev.leeway.support.Outputs;
import dev.leeway.support.RawFiles;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The DuckDB peer of jobs/bench-peer does the work Leeway's ingest and outcomes do, or its timings would compare
 * nothing: on the same dirty rows it keeps and quarantines as many rows per table, builds as many requests, and
 * counts the same activity in their windows.
 */
class DuckDbPeerTest {
  private static final String DATE = "2026-11-01";

  @Test
  void thePeerKeepsQuarantinesAndCountsWhatLeewayDoes(@TempDir Path tmp) throws Exception {
    RawFiles raw = RawFiles.minimal(tmp.resolve("in"))
        .file("customers", "part-1.csv", "customer_id,signup_date,segment,region,channel,full_name,email,phone",
            "C1,2021-01-01,CONSUMER,NORTH,ONLINE,,,", " C3 ,2022-05-01,n/a,EAST,,,,",
            ",2022-05-01,CONSUMER,EAST,ONLINE,,,", "C4,2022-02-30,CONSUMER,EAST,ONLINE,,,",
            "C5,2027-01-01,CONSUMER,EAST,ONLINE,,,")
        .file("exceptions", "part-1.csv",
            "exception_id,customer_id,requested_at,policy,decision,employee_id,team,channel,cost,note",
            "X3,C3,2024-05-01 10:00:00,FEE_WAIVER,GRANTED,E1,T01,PHONE,5,", "X4,C9,2024-05-01 10:00:00,FEE_WAIVER,"
                + "GRANTED,E1,T01,PHONE,5,", "X5,C1,2024-05-01 10:00:00,FEE_WAIVER,MAYBE,E1,T01,PHONE,5,",
            "X1,C1,2024-06-01 10:00:00,FEE_WAIVER,GRANTED,E1,T01,PHONE,5,", "X6,C1,2024-06-01 10:00:00,FEE_WAIVER,"
                + "GRANTED,E1,T01,PHONE,-5,")
        .file("activity", "part-1.csv", "customer_id,event_at,event_type,amount",
            "C1,2024-01-20 08:00:00,PURCHASE,10", "C1,2024-01-20 08:00:00,PURCHASE,10", "C3,2024-04-20 08:00:00,LOGIN,",
            "C3,2024-06-20 08:00:00,CHURN,", "C1,yesterday,LOGIN,", "C9,2024-01-20 08:00:00,LOGIN,",
            "C1,2027-01-20 08:00:00,LOGIN,");
    Path out = tmp.resolve("out");
    for (String stage : new String[] {"ingest", "outcomes"}) {
      Cli.Run r = Cli.run(stage, "--run-date", DATE, "--input-root", raw.root().toString(), "--output-root",
          out.toString());
      assertEquals(0, r.exitCode(), r.context());
    }
    Path peer = tmp.resolve("peer");
    DuckDbPeer.run(raw.root(), peer, LocalDate.parse(DATE));

    Outputs leeway = new Outputs(out, DATE);
    try (Connection db = DriverManager.getConnection("jdbc:duckdb:"); Statement s = db.createStatement()) {
      for (DuckDbPeer.Table t : DuckDbPeer.TABLES) {
        assertEquals(leeway.conformed(t.name()).count(), count(s, peer.resolve("conformed_" + t.name())),
            "conformed " + t.name());
        assertEquals(leeway.quarantine(t.name()).count(), count(s, peer.resolve("quarantine_" + t.name())),
            "quarantined " + t.name());
      }
      assertEquals(leeway.table("requests").count(), count(s, peer.resolve("requests")), "requests");
      for (String column : new String[] {"events_365d", "retained_30d", "prior_requests_365d"}) {
        long expected = leeway.table("requests").selectExpr("coalesce(sum(" + column + "), 0)").first().getLong(0);
        try (ResultSet r = s.executeQuery("SELECT coalesce(sum(" + column + "), 0) FROM '"
            + peer.resolve("requests.parquet") + "'")) {
          r.next();
          assertEquals(expected, r.getLong(1), column);
        }
      }
    }
  }

  private static long count(Statement s, Path table) throws Exception {
    try (ResultSet r = s.executeQuery("SELECT count(*) FROM '" + table + ".parquet'")) {
      r.next();
      return r.getLong(1);
    }
  }
}
