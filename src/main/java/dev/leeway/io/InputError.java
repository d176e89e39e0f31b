package dev.leeway.io;

/** Input that cannot be read at all (missing folder, missing column, unreadable file): the run stops. */
public final class InputError extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public InputError(String message) {
    super(message);
  }

  public InputError(String message, Throwable cause) {
    super(message, cause);
  }
}
