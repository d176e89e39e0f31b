package dev.leeway.run;

/** One step of the nightly run: reads earlier outputs of the same run date, writes and publishes its own. */
public interface Stage {
  String name();

  StageResult run(StageContext context) throws Exception;
}
