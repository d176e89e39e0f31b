package dev.leeway.run;

import dev.leeway.config.ConfigError;
import dev.leeway.io.InputError;

/** Turns exceptions, including Spark's wrapped ones, into one readable line. */
public final class Errors {
  private Errors() {}

  public static String oneLine(Throwable e) {
    Throwable own = find(e);
    Throwable shown = own != null ? own : root(e);
    String msg = shown.getMessage();
    if (msg == null || msg.isBlank()) {
      msg = shown.getClass().getSimpleName();
    } else if (own == null) {
      msg = shown.getClass().getSimpleName() + ": " + msg;
    }
    msg = msg.replaceAll("\\s*\\R\\s*", " ").trim();
    // Foreign messages can carry a whole query plan; the line stays readable and the log has the rest.
    return own == null && msg.length() > MAX_FOREIGN ? msg.substring(0, MAX_FOREIGN) + " ..." : msg;
  }

  static final int MAX_FOREIGN = 400;

  /** Our own errors carry the actionable message; find one anywhere in the cause chain. */
  static Throwable find(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InputError || t instanceof ConfigError || t instanceof FailureDetails) {
        return t;
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return null;
  }

  static Throwable root(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  /** The failure, or one of its causes, of type {@code type}. */
  public static <T> java.util.Optional<T> cause(Throwable e, Class<T> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return java.util.Optional.of(type.cast(t));
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return java.util.Optional.empty();
  }

  /** True when the failure is bad input or configuration rather than a fault in Leeway or Spark. */
  public static boolean isUserError(Throwable e) {
    return find(e) != null;
  }
}
