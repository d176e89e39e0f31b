package dev.leeway.causal;

import static org.apache.spark.sql.functions.lit;

import org.apache.spark.sql.Column;

/** The AIPW pseudo-outcome psi = mu1 - mu0 + T(Y - mu1)/e - (1 - T)(Y - mu0)/(1 - e); also the DR-learner target. */
public final class Psi {
  private Psi() {}

  public static Column of(Column t, Column y, Column e, Column mu0, Column mu1) {
    return mu1.minus(mu0)
        .plus(t.multiply(y.minus(mu1)).divide(e))
        .minus(lit(1.0).minus(t).multiply(y.minus(mu0)).divide(lit(1.0).minus(e)));
  }
}
