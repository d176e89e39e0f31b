package dev.leeway.run;

import dev.leeway.config.LeewayConfig;
import java.util.List;

/** One step of the nightly run: reads earlier outputs of the same run date, writes and publishes its own. */
public interface Stage {
  String name();

  StageResult run(StageContext context) throws Exception;

  /**
   * The settings that shape this stage's results: a completed run of the stage is current only while they are
   * unchanged. Every results-shaping section unless a stage names fewer; what earlier stages' settings changed
   * reaches a stage through its inputs, which resume compares too.
   */
  default List<Object> shapingSettings(LeewayConfig c) {
    return List.of(c.ingest(), c.features(), c.outcomes(), c.effects(), c.train(), c.score());
  }
}
