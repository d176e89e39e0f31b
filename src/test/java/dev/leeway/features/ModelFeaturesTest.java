package dev.leeway.features;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.leeway.support.TestSpark;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.attribute.AttributeGroup;
import org.apache.spark.ml.feature.SQLTransformer;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The model input encoding: categorical features keep their most frequent levels, saved with the model. */
class ModelFeaturesTest {
  private static final String ZIP = "zip";

  @TempDir
  Path tmp;

  /** One string column {@code zip}, a row per value (null for a missing one). */
  private static Dataset<Row> rows(List<String> values) {
    List<Row> rows = new ArrayList<>();
    values.forEach(v -> rows.add(RowFactory.create(v)));
    return TestSpark.session().createDataFrame(rows, new StructType().add(ZIP, DataTypes.StringType));
  }

  private static Dataset<Row> rows(String... values) {
    return rows(Arrays.asList(values));
  }

  private static List<String> repeat(String value, int times) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < times; i++) {
      out.add(value);
    }
    return out;
  }

  /** Each probe value's vector, by value ("null" for a missing one). */
  private static Map<String, Vector> vectors(PipelineModel encoding, ModelFeatures features, String... probes) {
    Map<String, Vector> out = new LinkedHashMap<>();
    for (Row r : ModelFeatures.transform(encoding, features.prepare(rows(probes))).collectAsList()) {
      out.put(String.valueOf(r.<String>getAs(ZIP)), r.getAs(ModelFeatures.VECTOR));
    }
    return out;
  }

  /** The vector's slot of one level of {@code zip}, from the vector's ML attributes. */
  private static int slot(PipelineModel encoding, ModelFeatures features, String level) {
    Dataset<Row> v = ModelFeatures.transform(encoding, features.prepare(rows("x")));
    return AttributeGroup.fromStructField(v.schema().apply(ModelFeatures.VECTOR)).indexOf("__o_" + ZIP + "_" + level);
  }

  private static void assertOneHot(Vector v, int slot, String context) {
    assertEquals(1.0, v.apply(slot), context + ": 1 in its slot");
    assertEquals(1, v.numNonzeros(), context + ": and nowhere else (" + v + ")");
  }

  @Test
  void aColumnWithThousandsOfLevelsKeepsItsMostFrequentAndBucketsTheRestAsOther() {
    List<String> values = new ArrayList<>();
    values.addAll(repeat("A", 6));
    values.addAll(repeat("B", 5));
    values.addAll(repeat("C", 4));
    values.addAll(repeat("D", 4));
    for (int i = 0; i < 5_000; i++) {
      values.add(String.format("L%04d", i));
    }
    values.add(null);
    int n = 3;
    ModelFeatures features = new ModelFeatures(List.of(), List.of(ZIP), n);
    PipelineModel encoding = features.fit(features.prepare(rows(values)));

    List<String> levels = ModelFeatures.levels(encoding).get(ZIP);
    assertEquals(List.of("A", "B", "C", FeatureCols.OTHER, FeatureCols.UNKNOWN), levels,
        "the 3 most frequent (C beats D, equally frequent, by name), then OTHER and UNKNOWN, in slot order");
    Map<String, Vector> v = vectors(encoding, features, "A", "D", "L0042", "NEW", null);
    // The indexer's own slot for a level it never saw stays (OTHER when the fitting data had no rare level).
    assertEquals(n + 3, v.get("A").size(),
        "5,004 levels in, " + n + " kept + OTHER + UNKNOWN + the indexer's unseen slot out");
    int other = slot(encoding, features, FeatureCols.OTHER);
    assertOneHot(v.get("A"), slot(encoding, features, "A"), "a kept level");
    assertOneHot(v.get("D"), other, "a level that lost the tie");
    assertOneHot(v.get("L0042"), other, "a rare level");
    assertOneHot(v.get("NEW"), other, "a level not seen when fitting");
    assertOneHot(v.get("null"), slot(encoding, features, FeatureCols.UNKNOWN), "a missing value");

    Map<String, String> bucketed = new LinkedHashMap<>();
    for (Row r : ModelFeatures.bucket(rows("A", "L0042", null).withColumn("raw", org.apache.spark.sql.functions
        .col(ZIP)), Map.of(ZIP, levels)).collectAsList()) {
      bucketed.put(String.valueOf(r.<String>getAs("raw")), r.getAs(ZIP));
    }
    assertEquals(Map.of("A", "A", "L0042", FeatureCols.OTHER, "null", FeatureCols.UNKNOWN), bucketed,
        "bucket() maps rows the way the encoding does (the effects stage's balance check uses it)");
  }

  @Test
  void theSavedEncodingBucketsExactlyAsTrainingDidEvenForLevelsWithQuotesAndBackslashes() throws Exception {
    // Each would break a naively quoted SQL literal, variable substitution or SQLTransformer's __THIS__.
    List<String> odd = List.of("O'Brien", "back\\slash", "both \\' at once", "${env:HOME}", "x__THIS__y", "Zoë");
    List<String> values = new ArrayList<>();
    odd.forEach(l -> values.addAll(repeat(l, 3)));
    values.addAll(List.of("rare1", "rare2"));
    ModelFeatures features = new ModelFeatures(List.of(), List.of(ZIP), odd.size());
    PipelineModel encoding = features.fit(features.prepare(rows(values)));
    String dir = tmp.resolve("encoding").toString();
    encoding.write().overwrite().save(dir);
    PipelineModel loaded = PipelineModel.load(dir);

    assertTrue(Arrays.stream(loaded.stages()).anyMatch(s -> s instanceof SQLTransformer),
        "the bucketing is a stage of the saved encoding");
    assertEquals(ModelFeatures.levels(encoding), ModelFeatures.levels(loaded), "same levels after reload");
    List<String> expected = new ArrayList<>(odd);
    expected.add(FeatureCols.OTHER);
    assertEquals(expected.stream().sorted().toList(), ModelFeatures.levels(loaded).get(ZIP),
        "every odd level kept as written, rare ones as OTHER");
    String[] probes = {"O'Brien", "back\\slash", "both \\' at once", "${env:HOME}", "x__THIS__y", "Zoë", "rare1",
        "unseen"};
    Map<String, Vector> before = vectors(encoding, features, probes);
    Map<String, Vector> after = vectors(loaded, features, probes);
    assertEquals(before, after, "the reloaded encoding gives every row the vector training gave it");
    for (String l : odd) {
      assertOneHot(after.get(l), slot(loaded, features, l), "level " + l + " after reload");
    }
    int other = slot(loaded, features, FeatureCols.OTHER);
    assertOneHot(after.get("rare1"), other, "a rare level after reload");
    assertOneHot(after.get("unseen"), other, "an unseen level after reload");

    // A session that reads string literals differently still buckets the same way.
    var conf = TestSpark.session().conf();
    conf.set("spark.sql.parser.escapedStringLiterals", "true");
    try {
      assertEquals(before, vectors(PipelineModel.load(dir), features, probes),
          "same vectors with spark.sql.parser.escapedStringLiterals=true");
    } finally {
      conf.unset("spark.sql.parser.escapedStringLiterals");
    }
  }

  @Test
  void levelsReadsEncodingsSavedBeforeBucketing() {
    // Models saved before bucketing indexed the cleaned column directly; scoring still lists their policies.
    Dataset<Row> prepared = rows("P1", "P2").withColumn("__c_policy", org.apache.spark.sql.functions.col(ZIP));
    PipelineModel old = new Pipeline().setStages(new PipelineStage[] {new StringIndexer()
        .setInputCols(new String[] {"__c_policy"}).setOutputCols(new String[] {"__i_policy"})
        .setStringOrderType("alphabetAsc")}).fit(prepared);
    assertEquals(Map.of("policy", List.of("P1", "P2")), ModelFeatures.levels(old), "levels by feature name");
  }
}
