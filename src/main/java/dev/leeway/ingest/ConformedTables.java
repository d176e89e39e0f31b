package dev.leeway.ingest;

import dev.leeway.contract.Contracts;
import dev.leeway.run.StageContext;
import java.io.IOException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The five conformed tables of one run date, as ingest published them. */
public record ConformedTables(
    Dataset<Row> customers, Dataset<Row> clvSnapshots, Dataset<Row> exceptions, Dataset<Row> activity,
    Dataset<Row> referrals) {

  /** Reads what ingest published for the run date; fails naming the command to run when it has not. */
  public static ConformedTables read(StageContext ctx) throws IOException {
    return new ConformedTables(
        read(ctx, Contracts.CUSTOMERS.name()),
        read(ctx, Contracts.CLV_SNAPSHOTS.name()),
        read(ctx, Contracts.EXCEPTIONS.name()),
        read(ctx, Contracts.ACTIVITY.name()),
        read(ctx, Contracts.REFERRALS.name()));
  }

  private static Dataset<Row> read(StageContext ctx, String table) throws IOException {
    return ctx.input(IngestJob.NAME, IngestJob.conformedTable(table), "read conformed inputs");
  }
}
