package dev.leeway.features;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.log1p;
import static org.apache.spark.sql.functions.when;

import dev.leeway.config.LeewayConfig.FeatureSettings;
import dev.leeway.contract.Cols;
import dev.leeway.outcomes.OutcomeCols;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Pipeline;
import org.apache.spark.ml.PipelineModel;
import org.apache.spark.ml.PipelineStage;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.feature.OneHotEncoder;
import org.apache.spark.ml.feature.StringIndexer;
import org.apache.spark.ml.feature.StringIndexerModel;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Turns the requests table into the model input vector {@link #VECTOR}: numeric features on their own and on a
 * log scale (counts and money are skewed), flags as they are, and categorical features one-hot encoded. Each
 * categorical feature keeps its most frequent levels; the rest, and levels not seen when fitting, share one
 * {@code OTHER} slot, so a column with thousands of levels cannot blow up the vector. The same columns feed
 * propensity, outcome and uplift models.
 */
public final class ModelFeatures {
  public static final String VECTOR = "__features";
  /** Fitting with this many levels keeps every level (only for features whose encoding is already fitted). */
  public static final int ALL_LEVELS = Integer.MAX_VALUE;

  // Helper columns, one set per feature: model value (m), cleaned (c), bucketed (b), indexed (i), one-hot (o).
  private static final String NUM = "__m_";
  private static final String LOG = "__m_log_";
  private static final String CLEAN = "__c_";
  private static final String BUCKET = "__b_";
  private static final String INDEX = "__i_";
  private static final String ONE_HOT = "__o_";

  private final List<String> numeric;
  private final List<String> categorical;
  private final int maxLevels;

  /** Customer features plus the request's policy, team and channel (they shape who is granted). */
  public ModelFeatures(FeatureSettings settings) {
    this(settings, true);
  }

  /**
   * Customer features and the policy, plus the request's team and channel when {@code requestContext} (known when
   * a request is made, not when a customer is scored for a policy ahead of any request).
   */
  public ModelFeatures(FeatureSettings settings, boolean requestContext) {
    List<String> cats = new ArrayList<>(FeatureCols.categorical(settings));
    cats.add(Cols.POLICY);
    if (requestContext) {
      cats.addAll(List.of(Cols.TEAM, OutcomeCols.REQUEST_CHANNEL));
    }
    this.numeric = List.copyOf(FeatureCols.numeric(settings));
    this.categorical = List.copyOf(cats);
    this.maxLevels = settings.maxCategoryLevels();
  }

  /** Named features; a fitted encoding keeps at most {@code maxLevels} levels of each categorical one. */
  public ModelFeatures(List<String> numeric, List<String> categorical, int maxLevels) {
    if (maxLevels < 1) {
      throw new IllegalArgumentException("Cannot bucket categorical features: max levels must be at least 1 ("
          + maxLevels + ")");
    }
    this.numeric = List.copyOf(numeric);
    this.categorical = List.copyOf(categorical);
    this.maxLevels = maxLevels;
  }

  /** The features a saved model was trained with; its saved encoding already holds the bucketing. */
  public ModelFeatures(List<String> numeric, List<String> categorical) {
    this(numeric, categorical, ALL_LEVELS);
  }

  /** Every input column the vector is built from, numeric first. */
  public List<String> inputColumns() {
    List<String> out = new ArrayList<>(numeric());
    out.addAll(categorical);
    return out;
  }

  public List<String> numeric() {
    return numeric;
  }

  public List<String> categorical() {
    return categorical;
  }

  /**
   * Positions in {@link #VECTOR} of the continuous features on their log scale (where models that bend, such as
   * splines, should bend: the numeric block comes first, each feature then its log unless it is a 0/1 flag).
   */
  public int[] logScaleSlots() {
    List<Integer> out = new ArrayList<>();
    int slot = 0;
    for (String c : numeric()) {
      slot++;
      if (!isFlag(c)) {
        out.add(slot++);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  private static boolean isFlag(String c) {
    return c.startsWith("has_") || c.equals(FeatureCols.RISK_FLAG) || c.equals(FeatureCols.CHURNED_BEFORE);
  }

  /** Fits the encoding (category lists) on {@code data} and returns it with the feature vector added. */
  public Dataset<Row> assemble(Dataset<Row> data) {
    Dataset<Row> prepared = prepare(data);
    return transform(fit(prepared), prepared);
  }

  /** Adds the model inputs: numeric features on both scales, categories as text with nulls as {@code UNKNOWN}. */
  public Dataset<Row> prepare(Dataset<Row> data) {
    Dataset<Row> d = data;
    for (String c : numeric()) {
      Column x = col(c).cast("double");
      d = d.withColumn(NUM + c, x);
      if (!isFlag(c)) {
        // Both scales: assignment may be linear in a feature (tenure) or in its order of magnitude (value, spend).
        d = d.withColumn(LOG + c, log1p(greatest(x, lit(0.0))));
      }
    }
    for (String c : categorical) {
      d = d.withColumn(CLEAN + c, when(col(c).isNull(), lit(FeatureCols.UNKNOWN)).otherwise(col(c).cast("string")));
    }
    return d;
  }

  /**
   * Fits the encoding on prepared data: the levels each categorical feature keeps (its {@code maxLevels} most
   * frequent, ties by name), their one-hot slots, and the assembler. A model saves and reloads it whole, bucketing
   * included, so scoring encodes exactly as training did.
   */
  public PipelineModel fit(Dataset<Row> prepared) {
    List<String> inputs = new ArrayList<>();
    for (String c : numeric()) {
      inputs.add(NUM + c);
      if (!isFlag(c)) {
        inputs.add(LOG + c);
      }
    }
    List<PipelineStage> stages = new ArrayList<>();
    if (!categorical.isEmpty()) {
      List<String> cleaned = prefixed(CLEAN);
      List<String> bucketed = prefixed(BUCKET);
      List<String> indexed = prefixed(INDEX);
      List<String> encoded = prefixed(ONE_HOT);
      List<List<String>> kept = new ArrayList<>();
      for (String c : cleaned) {
        kept.add(CategoryBuckets.topLevels(prepared, c, maxLevels));
      }
      stages.add(CategoryBuckets.stage(cleaned, bucketed, kept));
      // "keep" gives OTHER (and UNKNOWN) a slot even when the fitting data had none of them.
      stages.add(new StringIndexer().setInputCols(bucketed.toArray(String[]::new))
          .setOutputCols(indexed.toArray(String[]::new)).setHandleInvalid("keep").setStringOrderType("alphabetAsc"));
      stages.add(new OneHotEncoder().setInputCols(indexed.toArray(String[]::new))
          .setOutputCols(encoded.toArray(String[]::new)).setHandleInvalid("keep"));
      inputs.addAll(encoded);
    }
    stages.add(new VectorAssembler().setInputCols(inputs.toArray(String[]::new)).setOutputCol(VECTOR));
    return new Pipeline().setStages(stages.toArray(PipelineStage[]::new)).fit(prepared);
  }

  private List<String> prefixed(String prefix) {
    return categorical.stream().map(c -> prefix + c).toList();
  }

  /**
   * The levels each categorical feature of a fitted (or reloaded) encoding one-hot encodes, by feature, in slot
   * order: the kept levels, and {@code OTHER} and {@code UNKNOWN} when the fitting data had them. What the model
   * saw; analyses of the same rows (covariate balance) should use these levels rather than collect distinct values.
   */
  public static Map<String, List<String>> levels(PipelineModel encoding) {
    Map<String, List<String>> out = new LinkedHashMap<>();
    for (Transformer t : encoding.stages()) {
      if (t instanceof StringIndexerModel m) {
        String[] inputs = m.getInputCols();
        for (int i = 0; i < inputs.length; i++) {
          // Encodings saved before bucketing index the cleaned column itself.
          String feature = inputs[i].startsWith(BUCKET) ? inputs[i].substring(BUCKET.length())
              : inputs[i].substring(CLEAN.length());
          out.put(feature, List.of(m.labelsArray()[i]));
        }
      }
    }
    return out;
  }

  /**
   * Replaces each feature named in {@code levels} by the level the encoding gives it: itself when it is one of
   * them, {@code UNKNOWN} when missing, {@code OTHER} otherwise.
   */
  public static Dataset<Row> bucket(Dataset<Row> data, Map<String, List<String>> levels) {
    Dataset<Row> out = data;
    for (Map.Entry<String, List<String>> e : levels.entrySet()) {
      out = out.withColumn(e.getKey(), CategoryBuckets.bucketed(col(CategoryBuckets.identifier(e.getKey())),
          e.getValue()));
    }
    return out;
  }

  /** Adds {@link #VECTOR} with a fitted encoding and drops the helper columns. */
  public static Dataset<Row> transform(PipelineModel encoding, Dataset<Row> prepared) {
    Dataset<Row> out = encoding.transform(prepared);
    List<String> helpers = new ArrayList<>();
    for (String c : out.columns()) {
      if (List.of(NUM, CLEAN, BUCKET, INDEX, ONE_HOT).stream().anyMatch(c::startsWith)) {
        helpers.add(c);
      }
    }
    return out.drop(helpers.toArray(String[]::new));
  }
}
