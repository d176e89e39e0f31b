package dev.leeway.run;

import dev.leeway.config.LeewayConfig;
import dev.leeway.io.RunLayout;
import java.time.LocalDate;
import org.apache.spark.sql.SparkSession;

/** What a stage is given: a ready session, the validated configuration, the run date and its output layout. */
public record StageContext(SparkSession spark, LeewayConfig config, LocalDate runDate, RunLayout layout) {}
