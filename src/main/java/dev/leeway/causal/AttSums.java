package dev.leeway.causal;

/**
 * Sufficient statistics of one cell and outcome, summed over its mature rows inside the overlap region, from
 * which the naive difference, the IPW ATT and the AIPW ATT and their influence-function errors follow. With
 * T treated, Y outcome, e the clipped propensity, w = e/(1-e) the control weight and psi the AIPW pseudo-outcome.
 */
public record AttSums(
    double n, double nT, double sumTY, double sumTY2,
    double nC, double sumCY, double sumCY2,
    double sumCw, double sumCwY, double sumCw2, double sumCw2Y, double sumCw2Y2,
    double sumE, double sumEpsi, double sumE2psi, double sumE2psi2, double sumE2) {

  static final double Z95 = 1.959963984540054;

  /** An estimate with its standard error and 95% interval. */
  public record Estimate(double value, double se) {
    public double low() {
      return value - Z95 * se;
    }

    public double high() {
      return value + Z95 * se;
    }

    /** The interval excludes zero. */
    public boolean significant() {
      return low() > 0 || high() < 0;
    }
  }

  /** Treated mean minus control mean, with the Welch standard error. */
  public Estimate naive() {
    double mT = sumTY / nT;
    double mC = sumCY / nC;
    double vT = Math.max(0, (sumTY2 - nT * mT * mT) / Math.max(1, nT - 1));
    double vC = Math.max(0, (sumCY2 - nC * mC * mC) / Math.max(1, nC - 1));
    return new Estimate(mT - mC, Math.sqrt(vT / nT + vC / nC));
  }

  /** IPW for the ATT: treated weight 1, control weight e/(1-e), each arm normalised. */
  public Estimate ipw() {
    double a = sumTY / nT;
    double b = sumCwY / sumCw;
    double pBar = nT / n;
    double wBar = sumCw / n;
    double treated = (sumTY2 - nT * a * a) / (pBar * pBar);
    double control = (sumCw2Y2 - 2 * b * sumCw2Y + b * b * sumCw2) / (wBar * wBar);
    return new Estimate(a - b, Math.sqrt(Math.max(0, treated + control)) / n);
  }

  /** AIPW for the ATT: the mean of psi weighted by e, with the influence-function standard error. */
  public Estimate aipw() {
    double att = sumEpsi / sumE;
    double eBar = sumE / n;
    double sumIf2 = (sumE2psi2 - 2 * att * sumE2psi + att * att * sumE2) / (eBar * eBar);
    return new Estimate(att, Math.sqrt(Math.max(0, sumIf2)) / n);
  }
}
