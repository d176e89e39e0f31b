package dev.leeway.generate;

import java.util.SplittableRandom;

/** Deterministic random streams: one per (seed, customer, purpose), so adding a draw in one place moves no other. */
final class Rng {
  private final SplittableRandom r;

  Rng(long seed, long customer, long purpose) {
    this.r = new SplittableRandom(mix(mix(seed * 0x9E3779B97F4A7C15L + customer) + purpose));
  }

  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  double uniform() {
    return r.nextDouble();
  }

  double uniform(double lo, double hi) {
    return lo + (hi - lo) * r.nextDouble();
  }

  int below(int n) {
    return r.nextInt(n);
  }

  boolean chance(double p) {
    return r.nextDouble() < p;
  }

  double exponential(double rate) {
    return -Math.log(1 - r.nextDouble()) / rate;
  }

  double normal() {
    double u1 = 1 - r.nextDouble();
    double u2 = r.nextDouble();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  int categorical(double[] shares) {
    double u = r.nextDouble();
    double acc = 0;
    for (int i = 0; i < shares.length; i++) {
      acc += shares[i];
      if (u < acc) {
        return i;
      }
    }
    return shares.length - 1;
  }

  <T> T pick(java.util.List<T> items) {
    return items.get(r.nextInt(items.size()));
  }
}
