package dev.leeway.uplift.learners;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.reflect.InvocationTargetException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.ml.util.MLWriter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * A fitted uplift learner: its component models by role and the rule combining them ({@link VectorScorer}).
 * {@link #transform} adds the predicted effect for each row's feature vector. Saved as a unit: a
 * {@code learner.json} naming the learner, its estimator class and each part's model class, and one folder per
 * part; {@link #load} restores it, for any registered learner, built-in or not.
 */
public final class UpliftModel extends Model<UpliftModel> implements MLWritable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String META = "learner.json";

  private final String uid;
  private final String learner;
  private final String estimatorClass;
  private final Map<String, Model<?>> parts;
  private final VectorScorer scorer;
  private final Param<String> featuresCol;
  private final Param<String> predictionCol;

  UpliftModel(String uid, String learner, String estimatorClass, Map<String, Model<?>> parts, VectorScorer scorer) {
    this.uid = uid;
    this.learner = learner;
    this.estimatorClass = estimatorClass;
    this.parts = Collections.unmodifiableMap(new LinkedHashMap<>(parts));
    this.scorer = scorer;
    featuresCol = new Param<>(this, "featuresCol", "feature vector column");
    predictionCol = new Param<>(this, "predictionCol", "predicted effect column");
    setDefault(featuresCol, UpliftEstimator.X);
    setDefault(predictionCol, "uplift");
  }

  @Override
  public String uid() {
    return uid;
  }

  /** The name the learner is registered by. */
  public String learner() {
    return learner;
  }

  public Map<String, Model<?>> parts() {
    return parts;
  }

  /** The prediction for one vector, without Spark. */
  public VectorScorer scorer() {
    return scorer;
  }

  public Param<String> featuresCol() {
    return featuresCol;
  }

  public Param<String> predictionCol() {
    return predictionCol;
  }

  public UpliftModel setFeaturesCol(String v) {
    set(featuresCol, v);
    return this;
  }

  public UpliftModel setPredictionCol(String v) {
    set(predictionCol, v);
    return this;
  }

  @Override
  public Dataset<Row> transform(Dataset<?> dataset) {
    VectorScorer s = scorer;
    UDF1<Vector, Double> f = s::score;
    return dataset.toDF().withColumn(getOrDefault(predictionCol),
        udf(f, DataTypes.DoubleType).asNonNullable().apply(col(getOrDefault(featuresCol))));
  }

  @Override
  public StructType transformSchema(StructType schema) {
    return schema.add(getOrDefault(predictionCol), DataTypes.DoubleType, false);
  }

  @Override
  public UpliftModel copy(ParamMap extra) {
    UpliftModel m = new UpliftModel(uid, learner, estimatorClass, parts, scorer);
    return copyValues(m, extra);
  }

  @Override
  public MLWriter write() {
    return new MLWriter() {
      @Override
      public void saveImpl(String path) {
        try {
          UpliftModel.this.save(path, sparkSession());
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }
    };
  }

  private void save(String path, SparkSession spark) throws IOException {
    Map<String, String> partClasses = new LinkedHashMap<>();
    for (Map.Entry<String, Model<?>> e : parts.entrySet()) {
      ((MLWritable) e.getValue()).write().overwrite().save(new Path(path, e.getKey()).toString());
      partClasses.put(e.getKey(), e.getValue().getClass().getName());
    }
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("learner", learner);
    meta.put("estimator_class", estimatorClass);
    meta.put("uid", uid);
    meta.put("parts", partClasses);
    Path metaPath = new Path(path, META);
    FileSystem fs = metaPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
    try (OutputStream out = fs.create(metaPath, true)) {
      out.write(JSON.writeValueAsBytes(meta));
    }
  }

  /** Loads a model saved by {@link #write()}: its parts, and its learner's rule to combine them. */
  @SuppressWarnings("unchecked")
  public static UpliftModel load(String path) {
    SparkSession spark = SparkSession.active();
    Path metaPath = new Path(path, META);
    Map<String, Object> meta;
    try {
      FileSystem fs = metaPath.getFileSystem(spark.sparkContext().hadoopConfiguration());
      try (InputStream in = fs.open(metaPath)) {
        meta = JSON.readValue(in, new TypeReference<LinkedHashMap<String, Object>>() {});
      }
    } catch (IOException e) {
      throw new IllegalStateException("No saved uplift learner at " + path + ": " + e.getMessage(), e);
    }
    Map<String, Model<?>> parts = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : ((Map<String, String>) meta.get("parts")).entrySet()) {
      parts.put(e.getKey(), loadPart(e.getValue(), new Path(path, e.getKey()).toString()));
    }
    String uid = String.valueOf(meta.get("uid"));
    UpliftEstimator estimator = Learners.instantiate(String.valueOf(meta.get("estimator_class")), uid);
    return new UpliftModel(uid, String.valueOf(meta.get("learner")), estimator.getClass().getName(), parts,
        estimator.scorer(parts));
  }

  private static Model<?> loadPart(String className, String path) {
    try {
      return (Model<?>) Class.forName(className).getMethod("load", String.class).invoke(null, path);
    } catch (ClassNotFoundException | NoSuchMethodException | IllegalAccessException e) {
      throw new IllegalStateException("Cannot load model part " + className + " from " + path, e);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException("Cannot load model part " + className + " from " + path + ": "
          + e.getCause().getMessage(), e.getCause());
    }
  }
}
