package dev.leeway.cli;

import dev.leeway.causal.EffectsJob;
import dev.leeway.run.Stage;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code leeway effects}: causal effects of granting and ROI, per policy, segment and team. */
@Command(name = "effects", mixinStandardHelpOptions = true,
    description = "Estimates the effect of granting on retention and converted referrals (naive, IPW and doubly "
        + "robust ATT with 95%% intervals, balance, placebo) and ROI with bootstrap intervals: tables effects_* and "
        + "<output_root>/runs/<run-date>/effects/summary.json. Needs that date's outcomes output.")
final class EffectsCommand extends StageCommand {
  @Override
  List<Stage> stages() {
    return List.of(new EffectsJob());
  }
}
