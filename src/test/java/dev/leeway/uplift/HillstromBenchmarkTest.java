package dev.leeway.uplift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.config.LeewayConfig;
import dev.leeway.io.InputError;
import dev.leeway.support.TestSpark;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Hillstrom benchmark reads the published file's format and reproduces its published ATEs exactly. */
class HillstromBenchmarkTest {
  @TempDir
  Path tmp;

  private static LeewayConfig config() {
    return LeewayConfig.load(new File("conf/local.conf"), Map.of());
  }

  @Test
  void quotedSegmentsWithCommasAreReadAndTheAteIsTheDifferenceOfVisitRates() throws Exception {
    StringBuilder csv = new StringBuilder(
        "recency,history_segment,history,mens,womens,zip_code,newbie,channel,segment,visit,conversion,spend\n");
    String[] arms = {"Womens E-Mail", "Mens E-Mail", "No E-Mail"};
    for (int i = 0; i < 300; i++) {
      String arm = arms[i % 3];
      int visit = arm.equals("No E-Mail") ? (i % 10 == 0 ? 1 : 0) : arm.equals("Mens E-Mail") ? (i % 4 == 0 ? 1 : 0)
          : (i % 5 == 0 ? 1 : 0);
      csv.append(i % 12 + 1).append(",\"6) $750 - $1,000\",").append(100 + i).append(",1,0,Surburban,")
          .append(i % 2).append(",Web,").append(arm).append(',').append(visit).append(",0,0\n");
    }
    Path file = tmp.resolve("hill.csv");
    Files.writeString(file, csv.toString().strip());
    HillstromBenchmark.Result r = new HillstromBenchmark(config(), 1).run(TestSpark.session(), file.toString(),
        List.of());
    assertEquals(300, r.rows());
    assertEquals(Map.of("Womens E-Mail", 100L, "Mens E-Mail", 100L, "No E-Mail", 100L), r.arms());
    double control = rate(300, 2, 10);
    assertEquals(rate(300, 0, 5) - control, r.ate().get("Womens E-Mail").get("visit"), 1e-12);
    assertEquals(rate(300, 1, 4) - control, r.ate().get("Mens E-Mail").get("visit"), 1e-12);
    assertEquals(1, r.learners().size(), "only the random ranking was asked for");
    assertEquals(r.testRows(), ((Number) r.learners().get(0).get("n")).longValue());
  }

  /** The visit rate of rows i = arm mod 3 with visit when i % every == 0. */
  private static double rate(int n, int arm, int every) {
    int rows = 0;
    int visits = 0;
    for (int i = arm; i < n; i += 3) {
      rows++;
      visits += i % every == 0 ? 1 : 0;
    }
    return (double) visits / rows;
  }

  @Test
  void aFileWithoutTheArmColumnIsRejectedByName() throws Exception {
    Path file = tmp.resolve("bad.csv");
    Files.writeString(file, "recency,history\n1,2\n");
    InputError e = assertThrows(InputError.class,
        () -> new HillstromBenchmark(config(), 1).run(TestSpark.session(), file.toString(), List.of()));
    assertTrue(e.getMessage().contains("segment"), e.getMessage());
  }

  @Test
  void thePublishedFileGivesThePublishedAtes() {
    // Beside the checkout, or where LEEWAY_HILLSTROM points (a CI clone may live elsewhere).
    String env = System.getenv("LEEWAY_HILLSTROM");
    File file = java.util.stream.Stream.of(env, "../shared/datasets/hillstrom/hillstrom.csv",
            "/work/shared/datasets/hillstrom/hillstrom.csv")
        .filter(java.util.Objects::nonNull).map(File::new).filter(File::isFile).findFirst().orElse(null);
    Assumptions.assumeTrue(file != null, "the shared Hillstrom file is not found (set LEEWAY_HILLSTROM)");
    HillstromBenchmark.Result r = new HillstromBenchmark(config(), 2026).run(TestSpark.session(), file.getPath(),
        List.of());
    assertEquals(64_000, r.rows());
    assertEquals(Map.of("Womens E-Mail", 21_387L, "Mens E-Mail", 21_307L, "No E-Mail", 21_306L), r.arms());
    assertEquals(0.045233, r.ate().get("Womens E-Mail").get("visit"), 5e-7);
    assertEquals(0.003111, r.ate().get("Womens E-Mail").get("conversion"), 5e-7);
    assertEquals(0.076590, r.ate().get("Mens E-Mail").get("visit"), 5e-7);
    assertEquals(0.006805, r.ate().get("Mens E-Mail").get("conversion"), 5e-7);
    assertEquals(42_693, r.trainRows() + r.testRows(), "Womens E-Mail vs No E-Mail");
  }
}
