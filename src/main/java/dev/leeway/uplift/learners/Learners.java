package dev.leeway.uplift.learners;

import dev.leeway.config.ConfigError;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The uplift learners by name. The built-in ones are listed here; a new one is one {@link UpliftEstimator} class
 * named in configuration ({@code leeway.train.learner_classes { my_learner = "com.example.MyLearner" }}) and added
 * to {@code leeway.train.learners}: training compares it with the others and the registry saves and reloads it
 * without any other change.
 */
public final class Learners {
  /** The plain response model: predicts the outcome, not the effect; a baseline every learner must beat. */
  public static final String RESPONSE = "response";

  private static final Map<String, Class<? extends UpliftEstimator>> BUILT_IN = new LinkedHashMap<>();

  static {
    BUILT_IN.put("t_learner", TLearner.class);
    BUILT_IN.put("s_learner", SLearner.class);
    BUILT_IN.put("x_learner", XLearner.class);
    BUILT_IN.put("dr_learner", DrLearner.class);
    BUILT_IN.put("class_transformation", ClassTransformation.class);
    BUILT_IN.put(RESPONSE, ResponseModel.class);
  }

  private Learners() {}

  /** The learners that can be named: the built-in ones and those configured by class. */
  public static List<String> names(Map<String, String> configured) {
    List<String> out = new ArrayList<>(BUILT_IN.keySet());
    configured.keySet().stream().filter(n -> !out.contains(n)).forEach(out::add);
    return out;
  }

  /**
   * A new, unfitted learner.
   *
   * @param configured learner classes from configuration, by name (they may not replace a built-in name)
   */
  public static UpliftEstimator create(String name, Map<String, String> configured, LearnerContext context) {
    String className;
    if (BUILT_IN.containsKey(name)) {
      className = BUILT_IN.get(name).getName();
    } else if (configured.containsKey(name)) {
      className = configured.get(name);
    } else {
      throw new ConfigError("Configuration key leeway.train.learners: unknown learner '" + name + "'; known: "
          + names(configured) + " (register another in leeway.train.learner_classes)");
    }
    UpliftEstimator e;
    try {
      e = instantiate(className, org.apache.spark.ml.util.Identifiable$.MODULE$.randomUID(name));
    } catch (IllegalStateException ex) {
      throw new ConfigError("Configuration key leeway.train.learner_classes." + name + ": " + ex.getMessage());
    }
    return e.setLearnerName(name).setContext(context);
  }

  /** Checks that every configured class is a learner that can be created. */
  public static void validate(List<String> names, Map<String, String> configured) {
    for (String n : configured.keySet()) {
      if (BUILT_IN.containsKey(n)) {
        throw new ConfigError("Configuration key leeway.train.learner_classes." + n + ": '" + n
            + "' is a built-in learner; give the new one another name");
      }
    }
    for (String n : names) {
      create(n, configured, null);
    }
  }

  static UpliftEstimator instantiate(String className, String uid) {
    try {
      Class<?> c = Class.forName(className);
      if (!UpliftEstimator.class.isAssignableFrom(c)) {
        throw new IllegalStateException(className + " is not an " + UpliftEstimator.class.getName());
      }
      return (UpliftEstimator) c.getConstructor(String.class).newInstance(uid);
    } catch (ClassNotFoundException e) {
      throw new IllegalStateException("no class " + className + " on the classpath", e);
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException(className + " needs a public constructor taking the uid (String)", e);
    } catch (InstantiationException | IllegalAccessException e) {
      throw new IllegalStateException("cannot create " + className + ": " + e.getMessage(), e);
    } catch (InvocationTargetException e) {
      throw new IllegalStateException("cannot create " + className + ": " + e.getCause().getMessage(),
          e.getCause());
    }
  }
}
