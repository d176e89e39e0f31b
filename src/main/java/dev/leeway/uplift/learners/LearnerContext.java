package dev.leeway.uplift.learners;

import dev.leeway.config.LeewayConfig.EffectSettings;
import dev.leeway.config.LeewayConfig.TrainSettings;
import dev.leeway.features.ModelFeatures;
import java.io.Serializable;

/**
 * What a learner may use besides its input columns: the training settings (tree sizes, seed), the effects stage's
 * nuisance-model settings, and the nuisance models' feature vector: the uplift features plus what is known only
 * when a request is made (team, channel), which shape who is granted and so belong in a propensity model although
 * scoring ahead of a request cannot use them.
 *
 * @param nuisanceFeatures the layout of {@code nuisanceVectorCol} (null: no nuisance vector; learners that need
 *     one use the uplift features)
 * @param nuisanceVectorCol the column holding that vector, or null
 */
public record LearnerContext(TrainSettings train, EffectSettings effects, ModelFeatures nuisanceFeatures,
    String nuisanceVectorCol) implements Serializable {}
