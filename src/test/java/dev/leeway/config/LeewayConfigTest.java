package dev.leeway.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration is typed and validated at start-up; every wrong key is named. */
class LeewayConfigTest {
  @TempDir
  Path tmp;

  private File envFile(String body) throws Exception {
    Path base = Path.of("conf/base.conf").toAbsolutePath();
    Path f = tmp.resolve("env.conf");
    Files.writeString(f, "include file(\"" + base + "\")\n" + body);
    return f.toFile();
  }

  @Test
  void shippedEnvironmentFilesLoad() {
    for (String env : new String[] {"conf/local.conf", "conf/cluster.conf"}) {
      LeewayConfig c = LeewayConfig.load(new File(env), Map.of());
      assertEquals("UTC", c.spark().conf().get("spark.sql.session.timeZone"), env + " keeps UTC");
      assertEquals(java.util.List.of(), c.ingest().keepColumns().get("customers"), env + " keeps no extra columns");
    }
  }

  @Test
  void flagsOverrideTheFile() {
    LeewayConfig c = LeewayConfig.load(new File("conf/local.conf"), Map.of("leeway.paths.input_root", "/data/raw"));
    assertEquals("/data/raw", c.paths().inputRoot(), "override wins");
    assertEquals("out", c.paths().outputRoot(), "the rest from the file");
  }

  @Test
  void listsAndNumbersCanBeSetFromTheCommandLine() {
    LeewayConfig c = LeewayConfig.load(new File("conf/local.conf"), Map.of(
        "leeway.outcomes.horizons_days", "[365, 90]", "leeway.effects.folds", "3",
        "leeway.paths.output_root", "hdfs://nn:8020/leeway/out"));
    assertEquals(java.util.List.of(90, 365), c.outcomes().horizonsDays(), "a list, sorted");
    assertEquals(3, c.effects().folds(), "a number");
    assertEquals("hdfs://nn:8020/leeway/out", c.paths().outputRoot(), "a URL stays whole");
  }

  @Test
  void anUnknownKeyIsNamedWithItsFile() throws Exception {
    ConfigError e = assertThrows(ConfigError.class,
        () -> LeewayConfig.load(envFile("leeway.ingest.pii_colums = [email]"), Map.of()));
    assertTrue(e.getMessage().contains("leeway.ingest.pii_colums") && e.getMessage().contains("env.conf"),
        e.getMessage());
  }

  @Test
  void aMissingKeyIsNamed() throws Exception {
    Path f = tmp.resolve("bare.conf");
    Files.writeString(f, "leeway.paths.input_root = x\n");
    ConfigError e = assertThrows(ConfigError.class, () -> LeewayConfig.load(f.toFile(), Map.of()));
    assertTrue(e.getMessage().contains("leeway.paths.output_root"), e.getMessage());
  }

  @Test
  void aWrongTypeOrValueIsNamed() throws Exception {
    ConfigError e = assertThrows(ConfigError.class,
        () -> LeewayConfig.load(envFile("leeway.ingest.max_reason_value_chars = many"), Map.of()));
    assertTrue(e.getMessage().contains("leeway.ingest.max_reason_value_chars"), e.getMessage());
    ConfigError e2 = assertThrows(ConfigError.class,
        () -> LeewayConfig.load(envFile("leeway.ingest.csv.delimiter = \";;\""), Map.of()));
    assertTrue(e2.getMessage().contains("leeway.ingest.csv.delimiter"), e2.getMessage());
  }

  @Test
  void extraNumericColumnsAreLowerCaseDistinctAndNotAlsoCategorical() {
    LeewayConfig ok = LeewayConfig.load(new File("conf/local.conf"),
        Map.of("leeway.features.extra_numeric_columns", "[age, credit_score]"));
    assertEquals(java.util.List.of("age", "credit_score"), ok.features().extraNumericColumns(), "read in order");
    assertEquals(java.util.List.of(), LeewayConfig.load(new File("conf/local.conf"), Map.of()).features()
        .extraNumericColumns(), "none by default");
    for (Map<String, String> bad : java.util.List.of(
        Map.of("leeway.features.extra_numeric_columns", "[Age]"),
        Map.of("leeway.features.extra_numeric_columns", "[age, age]"),
        Map.of("leeway.features.extra_numeric_columns", "[age]", "leeway.features.extra_customer_columns", "[age]"))) {
      ConfigError e = assertThrows(ConfigError.class, () -> LeewayConfig.load(new File("conf/local.conf"), bad),
          "rejected: " + bad);
      assertTrue(e.getMessage().contains("leeway.features.extra_numeric_columns"), bad + ": " + e.getMessage());
    }
  }

  @Test
  void maxCategoryLevelsIsAtLeastOne() {
    assertEquals(25, LeewayConfig.load(new File("conf/local.conf"), Map.of()).features().maxCategoryLevels(),
        "default");
    ConfigError e = assertThrows(ConfigError.class, () -> LeewayConfig.load(new File("conf/local.conf"),
        Map.of("leeway.features.max_category_levels", "0")));
    assertTrue(e.getMessage().contains("leeway.features.max_category_levels"), e.getMessage());
  }

  @Test
  void aMissingFileIsNamed() {
    ConfigError e = assertThrows(ConfigError.class, () -> LeewayConfig.load(new File("conf/nope.conf"), Map.of()));
    assertTrue(e.getMessage().contains("conf/nope.conf"), e.getMessage());
  }
}
