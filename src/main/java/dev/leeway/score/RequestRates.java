package dev.leeway.score;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.leeway.contract.Cols;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;

/**
 * How often each customer asks for each policy: the expected requests per day, from the customer's own requests in
 * a window, shrunk towards the policy's rate.
 *
 * <p>Per policy, customer c's requests in their exposure e (days in the window since sign-up) are taken as Poisson
 * with a rate that varies between customers as a gamma distribution with mean r and squared coefficient of variation
 * k. Both are measured per policy by the method of moments: r = sum n / sum e, and k from the excess of the counts'
 * variance over the Poisson's, sum[(n - r e)^2 - n] / sum (r e)^2 (0 when there is none: every customer then gets
 * r). The customer's expected rate is the posterior mean, r (1 + k n) / (1 + k r e): a customer with no history gets
 * less than r when others' counts are spread, and a frequent requester more, by how much the data says counts
 * repeat. A policy nobody asked for in the window gets half a request over all the exposure, not 0. The sums are a
 * handful per policy; no per-customer data reaches the driver.
 */
public final class RequestRates {
  /** One policy's fitted rate (requests per customer-day) and spread (0: Poisson, no customer differences). */
  public record Params(String policy, double rate, double spread, long customers, long requests) {}

  private RequestRates() {}

  /**
   * Fits each policy's rate and spread over {@code rows}: one row per customer and policy, with the customer's
   * request count and exposure in days.
   */
  public static List<Params> fit(Dataset<Row> rows, String countCol, String exposureCol) {
    Column n = col(countCol).cast("double");
    Column e = col(exposureCol).cast("double");
    List<Params> out = new ArrayList<>();
    for (Row r : rows.groupBy(col(Cols.POLICY)).agg(sum(n).as("n"), sum(n.multiply(n)).as("nn"),
        sum(n.multiply(e)).as("ne"), sum(e).as("e"), sum(e.multiply(e)).as("ee"), count(lit(1)).as("customers"))
        .orderBy(Cols.POLICY).collectAsList()) {
      double sn = r.getDouble(1);
      double se = r.getDouble(4);
      // No request in the window is not a rate of 0 (every limit would then let the policy through): half a
      // request over all the exposure, the usual correction for a zero count.
      double rate = se > 0 ? Math.max(sn, 0.5) / se : 0.0;
      double den = rate * rate * r.getDouble(5);
      double excess = r.getDouble(2) - 2 * rate * r.getDouble(3) + den - sn;
      out.add(new Params(r.getString(0), rate, den > 0 ? Math.max(0.0, excess / den) : 0.0, r.getLong(6),
          Math.round(sn)));
    }
    return out;
  }

  /** The expected requests per day of the row's customer and policy (0 for a policy without parameters). */
  public static Column expected(List<Params> params, Column policy, Column count, Column exposure) {
    if (params.isEmpty()) {
      return lit(0.0);
    }
    List<Column> rates = new ArrayList<>();
    List<Column> spreads = new ArrayList<>();
    for (Params p : params) {
      rates.add(lit(p.policy()));
      rates.add(lit(p.rate()));
      spreads.add(lit(p.policy()));
      spreads.add(lit(p.spread()));
    }
    Column r = coalesce(element_at(functions.map(rates.toArray(Column[]::new)), policy), lit(0.0));
    Column k = coalesce(element_at(functions.map(spreads.toArray(Column[]::new)), policy), lit(0.0));
    Column n = coalesce(count.cast("double"), lit(0.0));
    return r.multiply(lit(1.0).plus(k.multiply(n))).divide(lit(1.0).plus(k.multiply(r).multiply(exposure)));
  }
}
