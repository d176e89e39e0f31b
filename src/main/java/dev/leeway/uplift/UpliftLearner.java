package dev.leeway.uplift;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.least;
import static org.apache.spark.sql.functions.greatest;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.leeway.causal.CrossFit;
import dev.leeway.causal.EffectOutcome;
import dev.leeway.causal.nuisance.Nuisance;
import dev.leeway.causal.Psi;
import dev.leeway.config.LeewayConfig.EffectSettings;
import dev.leeway.config.LeewayConfig.TrainSettings;
import dev.leeway.features.ModelFeatures;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.Predictor;
import org.apache.spark.ml.classification.GBTClassificationModel;
import org.apache.spark.ml.classification.GBTClassifier;
import org.apache.spark.ml.feature.VectorAssembler;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.ml.regression.GBTRegressor;
import org.apache.spark.ml.util.MLWritable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * The uplift learners, all on MLlib gradient-boosted trees over the same feature vector. Each fits, for one
 * outcome, models whose prediction is the conditional effect of a grant tau(x) (or, for the response baseline, the
 * outcome itself):
 *
 * <ul>
 *   <li>{@code t_learner}: mu_1 on granted rows, mu_0 on denied rows; tau = mu_1 - mu_0.
 *   <li>{@code s_learner}: one model of the outcome with the treatment as a feature; tau = m(x, 1) - m(x, 0).
 *   <li>{@code dr_learner}: regresses the doubly robust pseudo-outcome psi (cross-fitted propensity and outcome
 *       models of the effects stage) on x.
 *   <li>{@code class_transformation}: classifies Z = YT + (1 - Y)(1 - T); tau = 2 P(Z = 1) - 1. Valid only for a
 *       randomised 50/50 treatment and a 0/1 outcome.
 *   <li>{@code response}: the plain response model (predicts the outcome, not the effect), a baseline.
 * </ul>
 *
 * Input rows carry {@link ModelFeatures#VECTOR}, {@link #T} (0/1 double) and {@link #Y} (double).
 */
public final class UpliftLearner {
  public static final String T = "__t";
  public static final String Y = "__y";
  public static final String RESPONSE = "response";

  private static final String S_T = "__s_t";
  private static final String S_VECTOR = "__s_features";

  private final String name;
  private final TrainSettings settings;
  private final EffectSettings nuisance;
  private final ModelFeatures features;

  /** {@code features}: how the rows' feature vector was built (the DR-learner's nuisance models need its layout). */
  public UpliftLearner(String name, TrainSettings settings, EffectSettings nuisance, ModelFeatures features) {
    this.name = name;
    this.settings = settings;
    this.nuisance = nuisance;
    this.features = features;
  }

  public String name() {
    return name;
  }

  /** A fitted learner: its component models by role. */
  public record Fitted(String learner, Map<String, Model<?>> parts) {
    /** Adds {@code outputCol}: the predicted effect (the predicted outcome for the response baseline). */
    public Dataset<Row> predict(Dataset<Row> rows, String outputCol) {
      return switch (learner) {
        case "t_learner" -> {
          Dataset<Row> d = CrossFit.score(parts.get("mu1"), rows, "__p1");
          d = CrossFit.score(parts.get("mu0"), d, "__p0");
          yield d.withColumn(outputCol, col("__p1").minus(col("__p0"))).drop("__p1", "__p0");
        }
        case "s_learner" -> {
          Dataset<Row> d = CrossFit.score(parts.get("m"), withTreatment(rows, 1.0), "__p1").drop(S_VECTOR, S_T);
          d = CrossFit.score(parts.get("m"), withTreatment(d, 0.0), "__p0").drop(S_VECTOR, S_T);
          yield d.withColumn(outputCol, col("__p1").minus(col("__p0"))).drop("__p1", "__p0");
        }
        case "dr_learner" -> CrossFit.score(parts.get("tau"), rows, outputCol);
        case "class_transformation" -> CrossFit.score(parts.get("z"), rows, "__pz")
            .withColumn(outputCol, col("__pz").multiply(2).minus(1)).drop("__pz");
        case RESPONSE -> CrossFit.score(parts.get("m"), rows, outputCol);
        default -> throw new IllegalStateException("unknown learner " + learner);
      };
    }

    /**
     * The same prediction as {@link #predict} for one feature vector, without Spark: for scoring that has to
     * evaluate many variants of a row (explanations). Serializable, so it can run inside tasks.
     */
    public VectorScorer local() {
      return switch (learner) {
        case "t_learner" -> {
          GBTRegressionModel mu1 = (GBTRegressionModel) parts.get("mu1");
          GBTRegressionModel mu0 = (GBTRegressionModel) parts.get("mu0");
          yield v -> mu1.predict(v) - mu0.predict(v);
        }
        case "s_learner" -> {
          GBTRegressionModel m = (GBTRegressionModel) parts.get("m");
          yield v -> m.predict(append(v, 1.0)) - m.predict(append(v, 0.0));
        }
        case "dr_learner" -> ((GBTRegressionModel) parts.get("tau"))::predict;
        case "class_transformation" -> {
          GBTClassificationModel z = (GBTClassificationModel) parts.get("z");
          yield v -> 2 * z.predictProbability(v).apply(1) - 1;
        }
        case RESPONSE -> ((GBTRegressionModel) parts.get("m"))::predict;
        default -> throw new IllegalStateException("unknown learner " + learner);
      };
    }

    private static Vector append(Vector v, double t) {
      double[] a = java.util.Arrays.copyOf(v.toArray(), v.size() + 1);
      a[v.size()] = t;
      return Vectors.dense(a);
    }

    /** Saves every component under {@code dir/<role>}. */
    public void save(String dir) throws java.io.IOException {
      for (Map.Entry<String, Model<?>> e : parts.entrySet()) {
        ((MLWritable) e.getValue()).write().overwrite().save(dir + "/" + e.getKey());
      }
    }

    /** Loads a learner saved by {@link #save}. */
    public static Fitted load(String learner, String dir) {
      Map<String, Model<?>> parts = new LinkedHashMap<>();
      for (String role : roles(learner)) {
        String path = dir + "/" + role;
        parts.put(role, learner.equals("class_transformation") ? GBTClassificationModel.load(path)
            : GBTRegressionModel.load(path));
      }
      return new Fitted(learner, parts);
    }
  }

  /** A fitted learner's prediction for one feature vector. */
  @FunctionalInterface
  public interface VectorScorer extends java.io.Serializable {
    double score(Vector features);
  }

  static List<String> roles(String learner) {
    return switch (learner) {
      case "t_learner" -> List.of("mu0", "mu1");
      case "s_learner", RESPONSE -> List.of("m");
      case "dr_learner" -> List.of("tau");
      case "class_transformation" -> List.of("z");
      default -> throw new IllegalArgumentException("unknown learner " + learner);
    };
  }

  private static Dataset<Row> withTreatment(Dataset<Row> rows, double t) {
    return new VectorAssembler().setInputCols(new String[] {ModelFeatures.VECTOR, S_T}).setOutputCol(S_VECTOR)
        .transform(rows.withColumn(S_T, lit(t)));
  }

  private GBTRegressor regressor() {
    return new GBTRegressor().setMaxIter(settings.gbtMaxIter()).setMaxDepth(settings.gbtMaxDepth())
        .setStepSize(settings.gbtStepSize()).setMinInstancesPerNode(settings.gbtMinInstancesPerNode())
        .setSubsamplingRate(settings.gbtSubsamplingRate()).setSeed(settings.seed());
  }

  private static Model<?> fit(Predictor<?, ?, ?> learner, Dataset<Row> rows, String featuresCol, String labelCol) {
    learner.setFeaturesCol(featuresCol);
    learner.setLabelCol(labelCol);
    learner.setPredictionCol("__pred");
    return (Model<?>) learner.fit(rows);
  }

  /** Fits on {@code train} (rows with the feature vector, {@link #T}, {@link #Y}, and the cross-fitting fold). */
  public Fitted fit(Dataset<Row> train) {
    Map<String, Model<?>> parts = new LinkedHashMap<>();
    switch (name) {
      case "t_learner" -> {
        parts.put("mu0", fit(regressor(), train.filter(col(T).equalTo(0)), ModelFeatures.VECTOR, Y));
        parts.put("mu1", fit(regressor(), train.filter(col(T).equalTo(1)), ModelFeatures.VECTOR, Y));
      }
      case "s_learner" -> {
        Dataset<Row> d = new VectorAssembler().setInputCols(new String[] {ModelFeatures.VECTOR, T})
            .setOutputCol(S_VECTOR).transform(train);
        parts.put("m", fit(regressor(), d, S_VECTOR, Y));
      }
      case "dr_learner" -> {
        Dataset<Row> psi = pseudoOutcome(train);
        try {
          parts.put("tau", fit(regressor(), psi, ModelFeatures.VECTOR, "__psi"));
        } finally {
          psi.unpersist();
        }
      }
      case "class_transformation" -> {
        Dataset<Row> d = train.withColumn("__z", when(col(T).equalTo(col(Y)), 1.0).otherwise(0.0));
        parts.put("z", fit(new GBTClassifier().setMaxIter(settings.gbtMaxIter()).setMaxDepth(settings.gbtMaxDepth())
            .setStepSize(settings.gbtStepSize()).setMinInstancesPerNode(settings.gbtMinInstancesPerNode())
            .setSubsamplingRate(settings.gbtSubsamplingRate()).setSeed(settings.seed()), d, ModelFeatures.VECTOR,
            "__z"));
      }
      case RESPONSE -> parts.put("m", fit(regressor(), train, ModelFeatures.VECTOR, Y));
      default -> throw new IllegalArgumentException("unknown learner " + name);
    }
    return new Fitted(name, parts);
  }

  /** psi from cross-fitted nuisance models (the effects stage's), with the propensity clipped. */
  private Dataset<Row> pseudoOutcome(Dataset<Row> train) {
    EffectOutcome y = new EffectOutcome("y", Y, 0, EffectOutcome.Kind.RETENTION);
    Dataset<Row> scored = new Nuisance(nuisance, Nuisance.design(train, features, nuisance)).fit(train, T, List.of(y))
        .persist(StorageLevel.MEMORY_AND_DISK());
    org.apache.spark.sql.Column e = least(greatest(col(Nuisance.E_RAW), lit(nuisance.clipLow())),
        lit(nuisance.clipHigh()));
    return scored.withColumn("__psi", Psi.of(col(T), col(Y), e, col(y.mu(0)), col(y.mu(1))));
  }
}
