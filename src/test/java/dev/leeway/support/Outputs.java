package dev.leeway.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** Reads what a run wrote under an output root. */
public final class Outputs {
  private final Path root;
  private final String runDate;

  public Outputs(Path root, String runDate) {
    this.root = root;
    this.runDate = runDate;
  }

  public Path runDir() {
    return root.resolve("runs").resolve(runDate);
  }

  public Dataset<Row> conformed(String table) {
    return TestSpark.session().read().parquet(runDir().resolve("ingest/conformed").resolve(table).toString());
  }

  public Dataset<Row> quarantine(String table) {
    return TestSpark.session().read().parquet(runDir().resolve("ingest/quarantine").resolve(table).toString());
  }

  public JsonNode status() {
    try {
      return new ObjectMapper().readTree(runDir().resolve("status.json").toFile());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
