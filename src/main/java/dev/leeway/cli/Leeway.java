package dev.leeway.cli;

/** Entry point with embedded local Spark: what jobs/leeway and people run. */
public final class Leeway {
  private Leeway() {}

  public static void main(String[] args) {
    System.exit(LeewayCommand.execute(SessionProvider.embedded(), args));
  }
}
