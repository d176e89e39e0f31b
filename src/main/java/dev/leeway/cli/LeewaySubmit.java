package dev.leeway.cli;

/** Entry point under spark-submit on a cluster: uses the session spark-submit configured (getOrCreate). */
public final class LeewaySubmit {
  private LeewaySubmit() {}

  public static void main(String[] args) {
    System.exit(LeewayCommand.execute(SessionProvider.submitted(), args));
  }
}
