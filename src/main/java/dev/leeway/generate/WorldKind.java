package dev.leeway.generate;

import java.util.Locale;

/**
 * Which generated world: EASY, where staff grant by one main-effects logistic rule for every policy, or HARD,
 * where each policy has its own non-linear rule and frequent requesters are commoner. Effects are the same in both.
 */
public enum WorldKind {
  EASY(0.08, 8),
  HARD(0.15, 10);

  /** Share of customers who ask often, and how many times more often they ask. */
  final double frequentShare;
  final double frequentMultiplier;

  WorldKind(double frequentShare, double frequentMultiplier) {
    this.frequentShare = frequentShare;
    this.frequentMultiplier = frequentMultiplier;
  }

  /** The world named on the command line (easy or hard, any case). */
  public static WorldKind parse(String name) {
    for (WorldKind w : values()) {
      if (w.name().equalsIgnoreCase(name.trim())) {
        return w;
      }
    }
    throw new IllegalArgumentException("Cannot generate: --world must be easy or hard, got '" + name + "'");
  }

  /** How the command line and the ground-truth file spell it. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
