package dev.leeway.io;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.ChecksumFileSystem;
import org.apache.hadoop.fs.FileContext;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Options;
import org.apache.hadoop.fs.Path;

/** File-system access for Leeway's own small files and renames, without Hadoop's local .crc side files. */
public final class Files {
  private Files() {}

  public static FileSystem of(Path path, Configuration conf) throws IOException {
    FileSystem fs = path.getFileSystem(conf);
    return fs instanceof ChecksumFileSystem c ? c.getRawFileSystem() : fs;
  }

  /**
   * Writes a small text file so that a reader sees the old content or the new, never none and never a part: on a
   * local disk a temporary file moved over it in one step, on HDFS a rename with overwrite (one step there), on an
   * object store one upload (an object appears whole).
   */
  public static void writeAtomically(FileSystem fs, Path file, String text) throws IOException {
    byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
    String scheme = fs.getUri().getScheme();
    if (isObjectStore(scheme)) {
      try (OutputStream out = fs.create(file, true)) {
        out.write(bytes);
      }
      return;
    }
    fs.mkdirs(file.getParent());
    Path tmp = new Path(file.getParent(), "." + file.getName() + "." + UUID.randomUUID() + ".tmp");
    try (OutputStream out = fs.create(tmp, true)) {
      out.write(bytes);
    }
    try {
      if ("file".equals(scheme)) {
        java.nio.file.Files.move(local(fs, tmp), local(fs, file), StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } else {
        FileContext.getFileContext(fs.getUri(), fs.getConf()).rename(tmp, file, Options.Rename.OVERWRITE);
      }
    } catch (IOException e) {
      fs.delete(tmp, false);
      throw new IOException("Cannot write " + file + ": moving " + tmp + " over it failed: " + e.getMessage(), e);
    }
  }

  /** Stores where a rename is a copy: s3a, gs, abfs, wasb, oss. */
  public static boolean isObjectStore(String scheme) {
    return scheme != null && List.of("s3a", "s3", "gs", "abfs", "abfss", "wasb", "wasbs", "oss").contains(scheme);
  }

  /** A path of the local file system as a JDK path. */
  public static java.nio.file.Path local(FileSystem fs, Path p) {
    return java.nio.file.Path.of(fs.makeQualified(p).toUri());
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

}
