package dev.leeway.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/** The naive, IPW and AIPW estimators computed from Spark sums agree with their definitions written out directly. */
class EstimatorsTest {
  private static final EffectOutcome Y = new EffectOutcome("y", "y", 90, EffectOutcome.Kind.RETENTION);
  // policy, t, y, e, mu0, mu1, overlap
  private static final Object[][] ROWS = {
      {"P", 1.0, 1.0, 0.8, 0.6, 0.9, true}, {"P", 1.0, 0.0, 0.6, 0.5, 0.7, true}, {"P", 1.0, 1.0, 0.7, 0.4, 0.8, true},
      {"P", 0.0, 0.0, 0.3, 0.3, 0.6, true}, {"P", 0.0, 1.0, 0.5, 0.5, 0.7, true}, {"P", 0.0, 0.0, 0.2, 0.2, 0.5, true},
      {"P", 0.0, 1.0, 0.4, 0.6, 0.8, true}, {"P", 1.0, 1.0, 0.99, 0.9, 0.9, false}};

  private static Dataset<Row> rows() {
    StructType s = new StructType().add("policy", DataTypes.StringType).add("t", DataTypes.DoubleType)
        .add("y", DataTypes.DoubleType).add("e", DataTypes.DoubleType).add(Y.mu(0), DataTypes.DoubleType)
        .add(Y.mu(1), DataTypes.DoubleType).add("overlap", DataTypes.BooleanType)
        .add("segment", DataTypes.StringType).add("team", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    for (Object[] r : ROWS) {
      rows.add(RowFactory.create(r[0], r[1], r[2], r[3], r[4], r[5], r[6], "S", "T1"));
    }
    return TestSpark.session().createDataFrame(rows, s);
  }

  private static AttSums sums() {
    List<Row> out = CellStats.sums(rows(), "t", "e", "overlap", List.of(Y), List.of(Level.POLICY)).collectAsList();
    assertEquals(1, out.size(), "one cell, one outcome");
    return CellStats.read(out.get(0));
  }

  @Test
  void naiveIsTheDifferenceOfArmMeansOverTheOverlapRows() {
    AttSums s = sums();
    assertEquals(7, s.n(), 1e-12, "the row outside the overlap is left out");
    double mT = 2.0 / 3;
    double mC = 2.0 / 4;
    assertEquals(mT - mC, s.naive().value(), 1e-12, "naive difference");
    double vT = ((1 - mT) * (1 - mT) * 2 + mT * mT) / 2;
    double vC = (mC * mC * 2 + (1 - mC) * (1 - mC) * 2) / 3;
    assertEquals(Math.sqrt(vT / 3 + vC / 4), s.naive().se(), 1e-12, "Welch standard error");
  }

  @Test
  void ipwWeighsControlsByTheOddsOfTheirPropensity() {
    double num = 0;
    double den = 0;
    for (Object[] r : ROWS) {
      if ((double) r[1] == 0.0 && (boolean) r[6]) {
        double w = (double) r[3] / (1 - (double) r[3]);
        num += w * (double) r[2];
        den += w;
      }
    }
    assertEquals(2.0 / 3 - num / den, sums().ipw().value(), 1e-12, "treated mean minus odds-weighted control mean");
  }

  @Test
  void aipwIsThePropensityWeightedMeanOfPsiWithItsInfluenceFunctionError() {
    double sumE = 0;
    double sumEpsi = 0;
    List<double[]> kept = new ArrayList<>();
    for (Object[] r : ROWS) {
      if (!(boolean) r[6]) {
        continue;
      }
      double t = (double) r[1];
      double y = (double) r[2];
      double e = (double) r[3];
      double mu0 = (double) r[4];
      double mu1 = (double) r[5];
      double psi = mu1 - mu0 + t * (y - mu1) / e - (1 - t) * (y - mu0) / (1 - e);
      sumE += e;
      sumEpsi += e * psi;
      kept.add(new double[] {e, psi});
    }
    double att = sumEpsi / sumE;
    double eBar = sumE / kept.size();
    double ss = 0;
    for (double[] k : kept) {
      double phi = k[0] * (k[1] - att) / eBar;
      ss += phi * phi;
    }
    AttSums.Estimate aipw = sums().aipw();
    assertEquals(att, aipw.value(), 1e-12, "ATT = sum(e psi) / sum(e)");
    assertEquals(Math.sqrt(ss / kept.size()) / Math.sqrt(kept.size()), aipw.se(), 1e-12, "sd(IF) / sqrt(n)");
    assertEquals(att - 1.959963984540054 * aipw.se(), aipw.low(), 1e-12, "95% interval");
  }

  @Test
  void smdIsZeroForEqualConstantsAndStandardisedOtherwise() {
    assertEquals(0.0, Balance.smd(1, 1, 0, 0), 0, "constant and equal");
    assertEquals(0.5 / Math.sqrt(0.25), Balance.smd(1.0, 0.5, 0.25, 0.25), 1e-12, "difference over pooled sd");
    assertTrue(Balance.smd(1, 0, 0, 0) > 1e5, "constant but different is huge, not NaN");
  }

  @Test
  void poissonWeightsHaveMeanOneAndTheBootstrapIsDeterministic() {
    int[] counts = new int[12];
    java.util.SplittableRandom r = new java.util.SplittableRandom(1);
    double sum = 0;
    for (int i = 0; i < 100_000; i++) {
      int m = PoissonBootstrap.poisson(r.nextDouble());
      counts[Math.min(m, 11)]++;
      sum += m;
    }
    assertEquals(1.0, sum / 100_000, 0.01, "Poisson(1) weights average one");
    assertEquals(Math.exp(-1), counts[0] / 100_000.0, 0.005, "P(0) = 1/e");
    assertEquals(0.025, Roi.quantile(new double[] {0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0}, 0.025), 1e-12,
        "interpolated percentile");
  }
}
