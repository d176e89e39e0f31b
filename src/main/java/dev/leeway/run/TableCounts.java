package dev.leeway.run;

import java.util.Map;

/** Rows of one table through a stage: read, written, quarantined (with counts per reason code). */
public record TableCounts(long rowsIn, long rowsOut, long rowsQuarantined, Map<String, Long> quarantineReasons) {
  public boolean reconciled() {
    return rowsIn == rowsOut + rowsQuarantined;
  }
}
