package dev.leeway.score;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReasonTextTest {
  @Test
  void numbersReadAsFormatterWritesThem() {
    double[] edges = {0, -0.0, 0.5, 1.5, 2.5, -2.5, 0.49999999999999994, 1.005, 999.5, 999_999.5, -0.3, 1e15, 12_345.675,
        0.125, -1234.5678, Long.MAX_VALUE, 1e300, Double.NaN, Double.POSITIVE_INFINITY};
    for (double v : edges) {
      assertSame(v);
    }
    SplittableRandom r = new SplittableRandom(17);
    for (int i = 0; i < 50_000; i++) {
      // Money-like values (cents), values of every magnitude, and halves, where rounding is decided.
      assertSame(Math.round(r.nextDouble(-1e7, 1e7)) / 100.0);
      assertSame(r.nextDouble() * Math.pow(10, r.nextInt(-3, 16)) * (r.nextBoolean() ? 1 : -1));
      assertSame(r.nextInt(-100_000, 100_000) + 0.5);
    }
    for (long n : new long[] {0, 1, -1, 999, 1000, -1000, 123_456_789, Long.MAX_VALUE, Long.MIN_VALUE}) {
      assertEquals(String.format(Locale.ROOT, "%,d", n), ReasonText.grouped(n));
    }
  }

  private static void assertSame(double v) {
    assertEquals(String.format(Locale.ROOT, "%,.0f", v), ReasonText.money(v), "money " + v);
    String number = v == Math.rint(v) ? String.format(Locale.ROOT, "%,.0f", v) : String.format(Locale.ROOT, "%,.2f", v);
    assertEquals(number, ReasonText.number(v), "number " + v);
  }
}
