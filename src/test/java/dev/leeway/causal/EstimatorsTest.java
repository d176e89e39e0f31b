package dev.leeway.causal;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.leeway.support.TestSpark;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

/**
 * The naive, IPW and doubly robust ATT computed from Spark's clustered sums agree with their definitions written
 * out row by row, with standard errors that sum the influence function within each customer before squaring.
 */
class EstimatorsTest {
  private static final EffectOutcome Y = new EffectOutcome("y", "y", 90, EffectOutcome.Kind.RETENTION);
  // customer, t, y, e, mu0, mu1
  private static final Object[][] ROWS = {
      {"C1", 1.0, 1.0, 0.8, 0.6, 0.9}, {"C1", 0.0, 0.0, 0.6, 0.5, 0.7}, {"C2", 1.0, 1.0, 0.7, 0.4, 0.8},
      {"C3", 0.0, 0.0, 0.3, 0.3, 0.6}, {"C3", 0.0, 1.0, 0.5, 0.5, 0.7}, {"C4", 0.0, 0.0, 0.2, 0.2, 0.5},
      {"C5", 0.0, 1.0, 0.4, 0.6, 0.8}, {"C5", 1.0, 1.0, 0.9, 0.7, 0.9}, {"C6", 1.0, 0.0, 0.5, 0.4, 0.6},
      {"C7", 0.0, 1.0, 0.35, 0.5, 0.6}, {"C7", 1.0, 0.0, 0.45, 0.3, 0.5}, {"C8", 0.0, 0.0, 0.6, 0.4, 0.6}};

  private static AttMoments moments() {
    StructType s = new StructType().add("customer_id", DataTypes.StringType).add("t", DataTypes.DoubleType)
        .add("y", DataTypes.DoubleType).add("e", DataTypes.DoubleType).add(Y.mu(0), DataTypes.DoubleType)
        .add(Y.mu(1), DataTypes.DoubleType).add("policy", DataTypes.StringType).add("segment", DataTypes.StringType)
        .add("team", DataTypes.StringType);
    List<Row> rows = new ArrayList<>();
    for (Object[] r : ROWS) {
      rows.add(RowFactory.create(r[0], r[1], r[2], r[3], r[4], r[5], "P", "S", "T1"));
    }
    Dataset<Row> d = TestSpark.session().createDataFrame(rows, s);
    List<Row> out = CellMoments.aggregate(d, "t", "e", List.of(Y), List.of(Level.POLICY)).collectAsList();
    assertEquals(1, out.size(), "one cell, one outcome");
    return CellMoments.read(out.get(0));
  }

  /** sqrt(G/(G-1) * sum over customers of (sum of the customer's influence terms)^2). */
  private static double clusterSe(double[] influence) {
    Map<Object, Double> byCustomer = new LinkedHashMap<>();
    for (int i = 0; i < ROWS.length; i++) {
      byCustomer.merge(ROWS[i][0], influence[i], Double::sum);
    }
    double ss = byCustomer.values().stream().mapToDouble(v -> v * v).sum();
    int g = byCustomer.size();
    return Math.sqrt(ss * g / (g - 1.0));
  }

  private static double col(int i, int c) {
    return (double) ROWS[i][c];
  }

  @Test
  void sumsCountRowsAndCustomers() {
    AttMoments m = moments();
    assertEquals(12, m.rows(), "rows");
    assertEquals(8, m.clusters(), "customers");
    assertEquals(5, m.treated(), 1e-12, "granted rows");
  }

  @Test
  void naiveIsTheDifferenceOfArmMeans() {
    double nT = 0, nC = 0, sT = 0, sC = 0;
    for (int i = 0; i < ROWS.length; i++) {
      nT += col(i, 1);
      nC += 1 - col(i, 1);
      sT += col(i, 1) * col(i, 2);
      sC += (1 - col(i, 1)) * col(i, 2);
    }
    double mT = sT / nT;
    double mC = sC / nC;
    double[] inf = new double[ROWS.length];
    for (int i = 0; i < ROWS.length; i++) {
      double t = col(i, 1);
      inf[i] = t * (col(i, 2) - mT) / nT - (1 - t) * (col(i, 2) - mC) / nC;
    }
    Interval naive = moments().naive();
    assertEquals(mT - mC, naive.value(), 1e-12, "naive difference");
    assertEquals(clusterSe(inf), naive.se(), 1e-12, "cluster-robust standard error");
  }

  @Test
  void ipwWeighsControlsByTheOddsOfTheirPropensity() {
    double nT = 0, sT = 0, sw = 0, swy = 0;
    for (int i = 0; i < ROWS.length; i++) {
      double t = col(i, 1);
      double w = col(i, 3) / (1 - col(i, 3));
      nT += t;
      sT += t * col(i, 2);
      sw += (1 - t) * w;
      swy += (1 - t) * w * col(i, 2);
    }
    double a = sT / nT;
    double b = swy / sw;
    double[] inf = new double[ROWS.length];
    for (int i = 0; i < ROWS.length; i++) {
      double t = col(i, 1);
      double w = col(i, 3) / (1 - col(i, 3));
      inf[i] = t * (col(i, 2) - a) / nT - (1 - t) * w * (col(i, 2) - b) / sw;
    }
    Interval ipw = moments().ipw();
    assertEquals(a - b, ipw.value(), 1e-12, "treated mean minus odds-weighted control mean");
    assertEquals(clusterSe(inf), ipw.se(), 1e-12, "cluster-robust standard error");
  }

  @Test
  void doublyRobustIsTheAtteScoreWithItsInfluenceFunction() {
    double nT = 0, sum = 0;
    for (int i = 0; i < ROWS.length; i++) {
      double t = col(i, 1);
      double w = col(i, 3) / (1 - col(i, 3));
      double r0 = col(i, 2) - col(i, 4);
      nT += t;
      sum += t * r0 - (1 - t) * w * r0;
    }
    double theta = sum / nT;
    double[] inf = new double[ROWS.length];
    for (int i = 0; i < ROWS.length; i++) {
      double t = col(i, 1);
      double w = col(i, 3) / (1 - col(i, 3));
      double r0 = col(i, 2) - col(i, 4);
      inf[i] = (t * (r0 - theta) - (1 - t) * w * r0) / nT;
    }
    Interval dr = moments().doublyRobust();
    assertEquals(theta, dr.value(), 1e-12, "sum[T(Y - mu0) - (1-T) e/(1-e) (Y - mu0)] / n_T");
    assertEquals(clusterSe(inf), dr.se(), 1e-12, "cluster-robust influence-function error");
    assertEquals(theta - Interval.Z95 * dr.se(), dr.low(), 1e-12, "95% interval");
  }

  @Test
  void sensitivityElementsFollowDoubleMlsAtteDefinitions() {
    double n = ROWS.length;
    double nT = 0, sigma = 0, nu = 0;
    for (int i = 0; i < ROWS.length; i++) {
      double t = col(i, 1);
      double e = col(i, 3);
      nT += t;
      double fit = t * col(i, 5) + (1 - t) * col(i, 4);
      sigma += (col(i, 2) - fit) * (col(i, 2) - fit);
    }
    double p = nT / n;
    for (int i = 0; i < ROWS.length; i++) {
      double t = col(i, 1);
      double e = col(i, 3);
      double mAlpha = t / p * (e / p) * (1 / e + 1 / (1 - e));
      double rr = (e / p) * (t / e - (1 - t) / (1 - e));
      nu += 2 * mAlpha - rr * rr;
    }
    AttMoments m = moments();
    assertEquals(sigma, m.sigma(), 1e-9, "sum of squared residuals");
    assertEquals(nu / n, m.nu() / (n * p * p), 1e-9, "nu2 = mean(2 m(alpha) - alpha^2)");
  }

  @Test
  void qValuesFollowBenjaminiHochberg() {
    double[] q = MultipleTesting.benjaminiHochberg(new double[] {0.01, 0.04, 0.03, Double.NaN, 0.5});
    assertEquals(0.04, q[0], 1e-12, "0.01 * 4 / 1");
    assertEquals(0.04 * 4 / 3, q[1], 1e-12, "0.04 * 4 / 3");
    assertEquals(0.04 * 4 / 3, q[2], 1e-12, "monotone: 0.03 * 4 / 2 = 0.06 is lifted to the next q");
    assertEquals(Double.NaN, q[3], "not a test");
    assertEquals(0.5, q[4], 1e-12, "the largest p keeps its value times m / m");
  }

  @Test
  void pValueIsTwoSidedNormal() {
    assertEquals(0.05, new Interval(1.959963984540054, 1.0).pValue(), 1e-9, "z = 1.96");
    assertEquals(1.0, new Interval(0.0, 1.0).pValue(), 1e-12, "z = 0");
    assertEquals(0.3173105078629141, new Interval(-1.0, 1.0).pValue(), 1e-9, "z = -1");
  }
}
