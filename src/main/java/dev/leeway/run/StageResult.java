package dev.leeway.run;

import java.util.List;
import java.util.Map;

/**
 * What a finished stage reports: per-table counts, published output folders, warnings worth reading, and a few
 * stage-specific figures (small, JSON-friendly values) for the status file.
 */
public record StageResult(
    String stage, Map<String, TableCounts> tables, List<String> outputs, List<String> warnings,
    Map<String, Object> metrics) {}
