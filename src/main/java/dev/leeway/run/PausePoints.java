package dev.leeway.run;

/**
 * Fault injection for kill tests: started with {@code -Dleeway.pause_at=<point>}, the process stops at that named
 * point, says so on standard error ({@code LEEWAY PAUSED AT <point>}) and waits there to be killed. Without the
 * property it does nothing.
 */
public final class PausePoints {
  public static final String PROPERTY = "leeway.pause_at";
  public static final String MARKER = "LEEWAY PAUSED AT ";

  private PausePoints() {}

  public static void at(String point) {
    if (point.equals(System.getProperty(PROPERTY))) {
      System.err.println(MARKER + point);
      System.err.flush();
      while (true) {
        try {
          Thread.sleep(1000);
        } catch (InterruptedException e) {
          // Keep waiting: only a kill ends this.
        }
      }
    }
  }
}
