package dev.leeway.causal;

import java.io.Serializable;
import java.util.SplittableRandom;
import org.apache.spark.sql.Encoder;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.expressions.Aggregator;

/**
 * A Poisson bootstrap in one pass: each row gets, per replicate b, a Poisson(1) weight drawn from a generator
 * seeded by the row's id (so the weights do not depend on partitioning), and the aggregator sums K per-row values
 * under every replicate's weights. Slot 0 holds the plain (weight 1) sums; slots 1..B the replicates. The result
 * is a double[(B + 1) * K], small whatever the data size.
 */
public final class PoissonBootstrap extends Aggregator<PoissonBootstrap.Input, double[], double[]> {
  private static final long serialVersionUID = 1L;
  /** Cumulative Poisson(1) probabilities for 0..9. */
  private static final double[] CDF;

  static {
    CDF = new double[10];
    double p = Math.exp(-1);
    double acc = 0;
    for (int k = 0; k < CDF.length; k++) {
      acc += p;
      CDF[k] = acc;
      p /= (k + 1);
    }
  }

  /** One row: the id that seeds its weights, the cell it belongs to, and its K values. */
  public static class Input implements Serializable {
    private static final long serialVersionUID = 1L;
    private String key;
    private String id;
    private double[] values;

    public String getKey() {
      return key;
    }

    public void setKey(String key) {
      this.key = key;
    }

    public String getId() {
      return id;
    }

    public void setId(String id) {
      this.id = id;
    }

    public double[] getValues() {
      return values;
    }

    public void setValues(double[] values) {
      this.values = values;
    }
  }

  private final int replicates;
  private final int width;
  private final long seed;

  public PoissonBootstrap(int replicates, int width, long seed) {
    this.replicates = replicates;
    this.width = width;
    this.seed = seed;
  }

  static int poisson(double u) {
    for (int k = 0; k < CDF.length; k++) {
      if (u < CDF[k]) {
        return k;
      }
    }
    return CDF.length;
  }

  @Override
  public double[] zero() {
    return new double[(replicates + 1) * width];
  }

  @Override
  public double[] reduce(double[] buf, Input in) {
    double[] v = in.values;
    for (int k = 0; k < width; k++) {
      buf[k] += v[k];
    }
    SplittableRandom rng = new SplittableRandom(in.id.hashCode() * 0x9E3779B97F4A7C15L ^ seed);
    for (int b = 1; b <= replicates; b++) {
      int m = poisson(rng.nextDouble());
      if (m > 0) {
        int base = b * width;
        for (int k = 0; k < width; k++) {
          buf[base + k] += m * v[k];
        }
      }
    }
    return buf;
  }

  @Override
  public double[] merge(double[] a, double[] b) {
    for (int i = 0; i < a.length; i++) {
      a[i] += b[i];
    }
    return a;
  }

  @Override
  public double[] finish(double[] reduction) {
    return reduction;
  }

  @Override
  public Encoder<double[]> bufferEncoder() {
    return Encoders.kryo(double[].class);
  }

  @Override
  public Encoder<double[]> outputEncoder() {
    return Encoders.kryo(double[].class);
  }
}
