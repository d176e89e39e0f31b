package dev.leeway.support;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes small raw input folders for tests: one CSV text per table, as a person would type it. */
public final class RawFiles {
  private final Path root;

  public RawFiles(Path root) {
    this.root = root;
  }

  public Path root() {
    return root;
  }

  public RawFiles file(String table, String file, String... lines) {
    try {
      Path dir = root.resolve(table);
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(file), String.join("\n", lines) + (lines.length > 0 ? "\n" : ""),
          StandardCharsets.UTF_8);
      return this;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public RawFiles csv(String table, String... lines) {
    return file(table, "part-0.csv", lines);
  }

  /** A valid, minimal set of all five tables: two customers, a few rows each. */
  public static RawFiles minimal(Path root) {
    return new RawFiles(root)
        .csv("customers",
            "customer_id,signup_date,segment,region,channel,full_name,email,phone",
            "C1,2020-01-15,CONSUMER,NORTH,ONLINE,Zoë Müller,zoe@example.com,+1 555 000 0001",
            "C2,2019-06-01,ENTERPRISE,SOUTH,BRANCH,\"Smith, Jr.\",js@example.com,+1 555 000 0002")
        .csv("clv_snapshots",
            "customer_id,as_of_date,clv,historical_value,risk_flag",
            "C1,2024-01-01,1200.50,300,false",
            "C2,2024-01-01,9000,12000,true")
        .csv("exceptions",
            "exception_id,customer_id,requested_at,policy,decision,employee_id,team,channel,cost,note",
            "X1,C1,2024-02-01 10:00:00,FEE_WAIVER,GRANTED,E1,T01,PHONE,15.00,\"Upset, called twice\"",
            "X2,C2,2024-03-01T09:30:00Z,LATE_RETURN,denied,E2,T02,BRANCH,,")
        .csv("activity",
            "customer_id,event_at,event_type,amount",
            "C1,2024-02-02 08:00:00,PURCHASE,25.10",
            "C2,2024-03-05 12:00:00,LOGIN,")
        .csv("referrals",
            "referral_id,referrer_id,referred_customer_id,referred_at,converted",
            "F1,C1,C2,2024-02-10 10:00:00,true",
            "F2,C2,,2024-04-01 10:00:00,false");
  }
}
