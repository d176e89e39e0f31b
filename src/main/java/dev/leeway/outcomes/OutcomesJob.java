package dev.leeway.outcomes;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;
import static org.apache.spark.sql.functions.when;

import dev.leeway.config.LeewayConfig;
import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import dev.leeway.features.PointInTimeFeatures;
import dev.leeway.ingest.ConformedTables;
import dev.leeway.run.Stage;
import dev.leeway.run.StageContext;
import dev.leeway.run.StageResult;
import dev.leeway.run.TableCounts;
import dev.leeway.tables.AuditedWrite;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * The analytic table every causal stage stands on: one row per exception request (granted or denied) with the
 * customer's point-in-time features at the request time and the outcomes after it. Written to
 * runs/&lt;date&gt;/outcomes/requests; rows out = conformed requests in, or the stage fails.
 */
public final class OutcomesJob implements Stage {
  public static final String NAME = "outcomes";
  public static final String REQUESTS = "requests";

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public List<Object> shapingSettings(LeewayConfig c) {
    return List.of(c.ingest(), c.features(), c.outcomes());
  }

  /**
   * Reads the run date's published requests table for a later stage, or fails naming the command that makes it.
   *
   * @param purpose what the caller cannot do without it, e.g. "estimate effects"
   */
  public static Dataset<Row> readRequests(StageContext ctx, String purpose) throws java.io.IOException {
    return ctx.input(NAME, REQUESTS, purpose);
  }

  /** Builds the requests table from conformed tables (pure: no I/O beyond reading the given datasets). */
  public static Dataset<Row> requests(ConformedTables t, LeewayConfig cfg, java.time.LocalDate runDate) {
    Dataset<Row> index = t.exceptions().select(
        col(Cols.EXCEPTION_ID), col(Cols.CUSTOMER_ID), col(Cols.REQUESTED_AT), col(Cols.REQUESTED_AT).as(FeatureCols.INDEX_AT),
        col(Cols.POLICY), col(Cols.DECISION),
        when(col(Cols.DECISION).equalTo(Cols.GRANTED), 1).otherwise(0).as(OutcomeCols.TREATED),
        col(Cols.EMPLOYEE_ID), col(Cols.TEAM), col(Cols.CHANNEL).as(OutcomeCols.REQUEST_CHANNEL), col(Cols.COST));
    Outcomes outcomes = new Outcomes(cfg.outcomes(), runDate);
    // The outcome windows over activity are totalled in the features' pass over it.
    Dataset<Row> withFeatures =
        new PointInTimeFeatures(cfg.features()).compute(index, Cols.EXCEPTION_ID, t, outcomes.activityWindows());
    return outcomes.compute(withFeatures, Cols.EXCEPTION_ID, t).drop(FeatureCols.INDEX_AT);
  }

  @Override
  public StageResult run(StageContext ctx) throws Exception {
    ConformedTables t = ConformedTables.read(ctx);
    long in = t.exceptions().count();
    long[] out = new long[1];
    Map<String, Object> maturity = new LinkedHashMap<>();
    AuditedWrite published = ctx.writeAuditPublish(NAME, audit -> {
      Dataset<Row> written = audit.write(REQUESTS, requests(t, ctx.config(), ctx.runDate()));
      out[0] = written.count();
      if (in != out[0]) {
        throw new IllegalStateException("Check 'one row per request' failed: " + in + " conformed requests in but "
            + out[0] + " rows out; nothing was published");
      }
      maturity.putAll(maturity(written, ctx.config()));
      return audit;
    });
    return new StageResult(NAME, Map.of(REQUESTS, new TableCounts(in, out[0], 0, Map.of())),
        ctx.describe(published.published()), List.of(), maturity);
  }

  /** Mature rows per horizon and window: how much of the table each later estimate can use. */
  private static Map<String, Object> maturity(Dataset<Row> written, LeewayConfig cfg) {
    List<Column> aggs = new ArrayList<>();
    for (int h : cfg.outcomes().horizonsDays()) {
      aggs.add(sum(when(col(OutcomeCols.mature(h)), 1L).otherwise(0L)).as(OutcomeCols.mature(h)));
    }
    aggs.add(sum(when(col(OutcomeCols.REFERRED_BY_FLEXED), 1L).otherwise(0L)).as(OutcomeCols.REFERRED_BY_FLEXED));
    Row r = written.agg(count(lit(1)), aggs.toArray(Column[]::new)).first();
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < aggs.size(); i++) {
      m.put(r.schema().fields()[i + 1].name() + "_rows", r.isNullAt(i + 1) ? 0L : r.getLong(i + 1));
    }
    return m;
  }
}
