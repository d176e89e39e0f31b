package dev.leeway.io;

import java.io.IOException;
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
}
