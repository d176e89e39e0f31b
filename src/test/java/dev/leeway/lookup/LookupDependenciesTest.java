package dev.leeway.lookup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The lookup library stays embeddable: it imports nothing from Spark or from the rest of Leeway. */
class LookupDependenciesTest {
  @Test
  void importsOnlyTheJdkParquetAndHadoop() throws Exception {
    List<String> bad = new ArrayList<>();
    int files = 0;
    try (Stream<Path> sources = Files.list(Path.of("src/main/java/dev/leeway/lookup"))) {
      for (Path f : sources.toList()) {
        files++;
        for (String line : Files.readAllLines(f)) {
          if (line.startsWith("import ") && !(line.startsWith("import java.") || line.startsWith("import org.apache.parquet.")
              || line.startsWith("import org.apache.hadoop."))) {
            bad.add(f.getFileName() + ": " + line);
          }
        }
      }
    }
    assertTrue(files >= 2, "found the library's sources");
    assertEquals(List.of(), bad);
  }
}
