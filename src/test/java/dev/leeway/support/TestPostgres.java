package dev.leeway.support;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A throwaway PostgreSQL server for tests: initdb into a temporary folder, started on a free loopback port with
 * trust authentication, stopped and deleted when the JVM exits. Uses the server binaries of Debian's postgresql
 * package (.ci/run installs it); as root, the server runs as the postgres user. LEEWAY_TEST_PG_URL (with
 * LEEWAY_TEST_PG_USER / _PASSWORD) points the tests at an existing server instead.
 */
public final class TestPostgres {
  public record Server(String url, String user, String password) {}

  private static Server server;

  private TestPostgres() {}

  public static synchronized Server get() {
    if (server == null) {
      String url = System.getenv("LEEWAY_TEST_PG_URL");
      server = url != null && !url.isBlank()
          ? new Server(url, System.getenv().getOrDefault("LEEWAY_TEST_PG_USER", ""),
              System.getenv().getOrDefault("LEEWAY_TEST_PG_PASSWORD", ""))
          : start();
    }
    return server;
  }

  private static Server start() {
    try {
      Path bin = binaries();
      Path dir = Files.createTempDirectory("leeway-pg-");
      boolean root = "root".equals(System.getProperty("user.name"));
      if (root) {
        run(List.of("chown", "postgres:postgres", dir.toString()));
        run(List.of("chmod", "700", dir.toString()));
      }
      Path data = dir.resolve("data");
      run(asServerUser(root, List.of(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", "leeway",
          "--auth=trust", "-E", "UTF8", "--no-sync")));
      int port;
      try (ServerSocket s = new ServerSocket(0)) {
        port = s.getLocalPort();
      }
      run(asServerUser(root, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-w", "-l",
          dir.resolve("server.log").toString(), "-o", "-p " + port + " -k " + dir + " -c listen_addresses=127.0.0.1 "
              + "-c fsync=off -c synchronous_commit=off -c full_page_writes=off", "start")));
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          run(asServerUser(root, List.of(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate",
              "stop")));
          try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
          }
        } catch (Exception ignored) {
          // The temporary folder is left behind at worst.
        }
      }));
      return new Server("jdbc:postgresql://127.0.0.1:" + port + "/postgres", "leeway", "");
    } catch (IOException e) {
      throw new IllegalStateException("Cannot start a test PostgreSQL server: " + e.getMessage(), e);
    }
  }

  private static Path binaries() throws IOException {
    Path base = Path.of("/usr/lib/postgresql");
    if (Files.isDirectory(base)) {
      try (Stream<Path> versions = Files.list(base)) {
        for (Path v : versions.sorted(Comparator.reverseOrder()).toList()) {
          if (Files.isExecutable(v.resolve("bin/initdb"))) {
            return v.resolve("bin");
          }
        }
      }
    }
    throw new IllegalStateException("The PostgreSQL tests need the server binaries: apt-get install postgresql "
        + "(.ci/run does), or set LEEWAY_TEST_PG_URL to an existing server");
  }

  private static List<String> asServerUser(boolean root, List<String> command) {
    if (!root) {
      return command;
    }
    List<String> out = new ArrayList<>(List.of("runuser", "-u", "postgres", "--"));
    out.addAll(command);
    return out;
  }

  private static void run(List<String> command) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes());
      if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IOException(String.join(" ", command) + " failed: " + out);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    }
  }
}
