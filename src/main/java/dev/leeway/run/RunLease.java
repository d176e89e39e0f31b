package dev.leeway.run;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.leeway.io.Files;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.file.FileAlreadyExistsException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A lease on one file: created only if absent (an exclusive create), renewed by touching it every heartbeat, and
 * released by deleting it. A lease whose file was not touched for longer than the stale time belongs to a run that
 * was killed: it is moved aside (one rename, so only one of two racing runs wins) and taken over.
 *
 * <p>Exclusive create is atomic on a local disk and on HDFS. On an object store it depends on the store's
 * conditional writes; run one scheduler per output root there (docs/publishing.md).
 */
public final class RunLease implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunLease.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Another live run holds the lease. */
  public static final class Held extends RuntimeException {
    public Held(String message) {
      super(message);
    }
  }

  private final FileSystem fs;
  private final Path file;
  private final String owner;
  private final ScheduledExecutorService heartbeat;
  private final String takenOverFrom;

  private RunLease(FileSystem fs, Path file, String owner, Duration every, String takenOverFrom) {
    this.fs = fs;
    this.file = file;
    this.owner = owner;
    this.takenOverFrom = takenOverFrom;
    this.heartbeat = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "leeway-lease-heartbeat");
      t.setDaemon(true);
      return t;
    });
    long s = Math.max(1, every.toSeconds());
    heartbeat.scheduleAtFixedRate(this::renew, s, s, TimeUnit.SECONDS);
  }

  /**
   * Takes the lease on {@code file} for {@code what} (named in the refusal), or throws {@link Held} when a live run
   * holds it.
   */
  public static RunLease acquire(Path file, Configuration conf, String what, Map<String, Object> holder,
      Duration staleAfter, Duration heartbeat) throws IOException {
    FileSystem fs = Files.of(file, conf);
    fs.mkdirs(file.getParent());
    String owner = UUID.randomUUID().toString();
    Map<String, Object> content = new LinkedHashMap<>(holder);
    content.put("owner", owner);
    content.put("host", hostName());
    content.put("pid", ProcessHandle.current().pid());
    content.put("acquired_at", Instant.now().toString());
    byte[] bytes = JSON.writeValueAsBytes(content);
    if (createExclusively(fs, file, bytes)) {
      return new RunLease(fs, file, owner, heartbeat, null);
    }
    FileStatus st;
    try {
      st = fs.getFileStatus(file);
    } catch (java.io.FileNotFoundException gone) {
      return acquireAfterRelease(fs, file, bytes, owner, what, heartbeat);
    }
    Duration idle = Duration.ofMillis(Math.max(0, System.currentTimeMillis() - st.getModificationTime()));
    String current = Files.readSmall(fs, file).orElse("{}");
    if (idle.compareTo(staleAfter) < 0) {
      throw new Held(what + " is already running (lease " + file + ", renewed " + idle.toSeconds() + " s ago: "
          + current + "). Wait for it to finish; a lease not renewed for " + staleAfter.toMinutes()
          + " minutes (leeway.run.lock_stale_minutes) is taken over.");
    }
    Path aside = new Path(file.getParent(), "." + file.getName() + ".stale-" + UUID.randomUUID());
    if (!fs.rename(file, aside)) {
      throw new Held(what + ": another run is taking over the stale lease " + file + " at this moment");
    }
    fs.delete(aside, false);
    LOG.warn("Took over the lease {} of a run that stopped renewing it {} s ago: {}", file, idle.toSeconds(), current);
    if (!createExclusively(fs, file, bytes)) {
      throw new Held(what + ": another run took the lease " + file + " first");
    }
    return new RunLease(fs, file, owner, heartbeat, current);
  }

  private static RunLease acquireAfterRelease(FileSystem fs, Path file, byte[] bytes, String owner, String what,
      Duration heartbeat) throws IOException {
    if (!createExclusively(fs, file, bytes)) {
      throw new Held(what + ": another run took the lease " + file + " first");
    }
    return new RunLease(fs, file, owner, heartbeat, null);
  }

  /** The holder the lease was taken over from (a killed run), if it was. */
  public java.util.Optional<String> takenOverFrom() {
    return java.util.Optional.ofNullable(takenOverFrom);
  }

  private static boolean createExclusively(FileSystem fs, Path file, byte[] bytes) throws IOException {
    if ("file".equals(fs.getUri().getScheme())) {
      // Hadoop's local create(overwrite=false) checks, then creates; the JDK's CREATE_NEW is one atomic step.
      java.nio.file.Path p = Files.local(fs, file);
      try {
        java.nio.file.Files.write(p, bytes, java.nio.file.StandardOpenOption.CREATE_NEW,
            java.nio.file.StandardOpenOption.WRITE);
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      }
    }
    try (OutputStream out = fs.create(file, false)) {
      out.write(bytes);
      return true;
    } catch (org.apache.hadoop.fs.FileAlreadyExistsException e) {
      return false;
    }
  }

  private void renew() {
    try {
      if (Files.isObjectStore(fs.getUri().getScheme())) {
        // Objects cannot be touched: upload the same content again, which sets a new modification time.
        String content = Files.readSmall(fs, file).orElse("");
        if (!content.contains(owner)) {
          LOG.warn("The lease {} is no longer this run's: {}", file, content);
          return;
        }
        try (OutputStream out = fs.create(file, true)) {
          out.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return;
      }
      fs.setTimes(file, System.currentTimeMillis(), -1);
    } catch (IOException | RuntimeException e) {
      LOG.warn("Could not renew the lease {}: {}", file, e.toString());
    }
  }

  /** Stops renewing and deletes the lease file if it is still ours. */
  @Override
  public void close() {
    heartbeat.shutdownNow();
    try {
      String content = Files.readSmall(fs, file).orElse("");
      if (content.contains(owner)) {
        fs.delete(file, false);
      }
    } catch (IOException e) {
      LOG.warn("Could not release the lease {}: {}", file, e.toString());
    }
  }

  static String hostName() {
    String n = ManagementFactory.getRuntimeMXBean().getName();
    int at = n.indexOf('@');
    return at < 0 ? n : n.substring(at + 1);
  }

}
