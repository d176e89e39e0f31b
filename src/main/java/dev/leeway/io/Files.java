package dev.leeway.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/** File-system access for Leeway's own small files and renames, without Hadoop's local .crc side files. */
public final class Files {
  private Files() {}

  public static FileSystem of(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    return fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs;
  }

  /** Writes a small text file atomically: a hidden temporary file beside it, then a rename over it. */
  public static void writeAtomically(FileSystem fs, Path file, String text) throws IOException {
    fs.mkdirs(file.getParent());
    Path tmp = new Path(file.getParent(), "." + file.getName() + "." + UUID.randomUUID() + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    if (fs.exists(file)) {
      fs.delete(file, false);
    }
    if (!fs.rename(tmp, file)) {
      throw new IOException("Cannot write " + file + ": rename of " + tmp + " failed");
    }
  }

  /** The trimmed text of a small file, or empty when it does not exist or is blank. */
  public static Optional<String> readSmall(FileSystem fs, Path file) throws IOException {
    if (!fs.exists(file)) {
      return Optional.empty();
    }
    try (InputStream in = fs.open(file)) {
      String v = new String(in.readAllBytes(), StandardCharsets.UTF_8).trim();
      return v.isEmpty() ? Optional.empty() : Optional.of(v);
    }
  }

  /**
   * Moves a finished folder into place, replacing an earlier one: the earlier folder is first renamed into
   * {@code asideDir}, then deleted once the new one is in place.
   */
  public static void moveIntoPlace(FileSystem fs, Path finished, Path target, Path asideDir) throws IOException {
    fs.mkdirs(target.getParent());
    Path old = null;
    if (fs.exists(target)) {
      old = new Path(asideDir, target.getName() + "-replaced-" + UUID.randomUUID());
      fs.mkdirs(asideDir);
      if (!fs.rename(target, old)) {
        throw new IOException("Cannot publish: could not move " + target + " aside to " + old);
      }
    }
    if (!fs.rename(finished, target)) {
      throw new IOException("Cannot publish: rename of " + finished + " to " + target + " failed");
    }
    if (old != null) {
      fs.delete(old, true);
    }
  }
}
