package dev.leeway.generate;

import java.io.Serializable;
import java.time.LocalDate;

/**
 * What to generate: how many base customers (converted referrals add customers on top), the seed, the last day
 * of history, the share of extra dirty rows, the inactivity window the planted retention truth assumes, the world
 * (how staff decide), and the strength of a hidden confounder (0: every confounder is observable).
 */
public record GeneratorSpec(long customers, long seed, LocalDate endDate, double dirtyRate, int inactivityDays,
    WorldKind world, double hiddenConfounding) implements Serializable {
  /** The default last day of generated history, fixed so a seed always gives the same data. */
  public static final LocalDate DEFAULT_END_DATE = LocalDate.of(2026, 11, 1);

  public GeneratorSpec {
    if (customers < 1) {
      throw new IllegalArgumentException("Cannot generate: --customers must be at least 1, got " + customers);
    }
    if (dirtyRate < 0 || dirtyRate >= 1) {
      throw new IllegalArgumentException("Cannot generate: --dirty-rate must be in [0, 1), got " + dirtyRate);
    }
    if (world == null) {
      throw new IllegalArgumentException("Cannot generate: --world must be easy or hard");
    }
    if (!(hiddenConfounding >= 0) || Double.isInfinite(hiddenConfounding)) {
      throw new IllegalArgumentException(
          "Cannot generate: --hidden-confounding must be a finite number >= 0, got " + hiddenConfounding);
    }
  }

  double endExclusiveDay() {
    return endDate.toEpochDay() + 1;
  }

  /** Partitions of the customer range: a function of the size only, so output never depends on the machine. */
  int partitions() {
    return (int) Math.max(1, Math.min(400, (customers + 24_999) / 25_000));
  }
}
