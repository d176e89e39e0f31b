package dev.leeway.uplift.learners;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.floor;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.rand;

import dev.leeway.causal.CrossFit;
import dev.leeway.causal.EffectOutcome;
import dev.leeway.causal.Psi;
import dev.leeway.causal.nuisance.Nuisance;
import java.util.List;
import java.util.Map;
import org.apache.spark.ml.Model;
import org.apache.spark.ml.regression.GBTRegressionModel;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * DR-learner (Kennedy 2023): regresses the doubly robust pseudo-outcome psi = mu_1 - mu_0 + T (Y - mu_1) / e -
 * (1 - T)(Y - mu_0) / (1 - e) on the features. The nuisance models are the effects stage's (cross-fitted, folds
 * by customer when the rows carry {@link CrossFit#FOLD}), fitted on the nuisance vector of the context, which
 * includes the request's team and channel: they shape who is granted although scoring cannot use them.
 *
 * <p>Rows whose propensity lies outside [trim, 1 - trim] ({@code leeway.train.dr_trim}) are left out of the final
 * regression: there psi is dominated by 1/e or 1/(1 - e) (a clip at 0.01 would make it a hundred times the
 * outcome), so the learner learns the effect where both arms are seen.
 */
public final class DrLearner extends UpliftEstimator {
  private static final String UPLIFT_X = "__uplift_x";

  public DrLearner(String uid) {
    super(uid);
  }

  @Override
  protected Map<String, Model<?>> fitParts(Dataset<Row> rows) {
    LearnerContext ctx = context();
    Dataset<Row> d = List.of(rows.columns()).contains(CrossFit.FOLD) ? rows
        : rows.withColumn(CrossFit.FOLD, floor(rand(ctx.train().seed()).multiply(ctx.effects().folds())).cast("int"));
    String nuisanceX = ctx.nuisanceVectorCol();
    boolean own = nuisanceX != null && List.of(d.columns()).contains(nuisanceX);
    if (own) {
      d = d.withColumnRenamed(X, UPLIFT_X).withColumnRenamed(nuisanceX, X);
    }
    EffectOutcome y = new EffectOutcome("y", Y, 0, EffectOutcome.Kind.RETENTION);
    Dataset<Row> scored = new Nuisance(ctx.effects(), Nuisance.design(d, ctx.nuisanceFeatures(), ctx.effects()))
        .fit(d, T, List.of(y));
    if (own) {
      scored = scored.withColumnRenamed(X, nuisanceX).withColumnRenamed(UPLIFT_X, X);
    }
    double trim = ctx.train().drTrim();
    Column e = col(Nuisance.E_RAW);
    Dataset<Row> psi = scored.filter(e.geq(lit(trim)).and(e.leq(lit(1 - trim))))
        .withColumn("__psi", Psi.of(col(T), col(Y), e, col(y.mu(0)), col(y.mu(1))))
        .persist(StorageLevel.MEMORY_AND_DISK());
    try {
      return Map.of("tau", regress(psi, "__psi"));
    } finally {
      psi.unpersist();
    }
  }

  @Override
  public VectorScorer scorer(Map<String, Model<?>> parts) {
    return VectorScorer.ofArrays(FlatForest.of((GBTRegressionModel) parts.get("tau")));
  }
}
