package dev.leeway.cli;

import dev.leeway.config.LeewayConfig;
import java.util.Map;
import org.apache.spark.sql.SparkSession;

/** How a command gets its Spark session: embedded local Spark, the session spark-submit made, or a test's. */
public interface SessionProvider {
  SparkSession open(LeewayConfig config);

  void close(SparkSession session);

  /** Name of the configuration file used when --conf is not given. */
  String defaultConf();

  /** Embedded Spark in this JVM: the default for people and for jobs/leeway. */
  static SessionProvider embedded() {
    return new SessionProvider() {
      @Override
      public SparkSession open(LeewayConfig config) {
        SparkSession.Builder b = SparkSession.builder().master(config.spark().master());
        return configure(b, config).getOrCreate();
      }

      @Override
      public void close(SparkSession session) {
        session.stop();
      }

      @Override
      public String defaultConf() {
        return "conf/local.conf";
      }
    };
  }

  /** Under spark-submit: the master and resources come from spark-submit, the rest from our configuration. */
  static SessionProvider submitted() {
    return new SessionProvider() {
      @Override
      public SparkSession open(LeewayConfig config) {
        return configure(SparkSession.builder(), config).getOrCreate();
      }

      @Override
      public void close(SparkSession session) {
        session.stop();
      }

      @Override
      public String defaultConf() {
        return "conf/cluster.conf";
      }
    };
  }

  static SparkSession.Builder configure(SparkSession.Builder b, LeewayConfig config) {
    b.appName(config.spark().appName());
    // Leeway reasons in UTC throughout (run dates, windows, "future" rows); a setting in conf/ may not change it.
    b.config("spark.sql.session.timeZone", "UTC");
    for (Map.Entry<String, String> e : config.spark().conf().entrySet()) {
      if (!e.getKey().equals("spark.sql.session.timeZone")) {
        b.config(e.getKey(), e.getValue());
      }
    }
    return b;
  }
}
