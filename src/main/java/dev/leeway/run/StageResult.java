package dev.leeway.run;

import java.util.List;
import java.util.Map;

/** What a finished stage reports: per-table counts, published output folders, and warnings worth reading. */
public record StageResult(String stage, Map<String, TableCounts> tables, List<String> outputs, List<String> warnings) {}
