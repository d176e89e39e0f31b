package dev.leeway.causal;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.leeway.contract.Cols;
import dev.leeway.features.FeatureCols;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** A way of cutting requests into cells: by policy, by policy and segment, by team, ... "ALL" fills the rest. */
public enum Level {
  OVERALL(false, false, false),
  POLICY(true, false, false),
  POLICY_SEGMENT(true, true, false),
  POLICY_TEAM(true, false, true),
  SEGMENT(false, true, false),
  TEAM(false, false, true);

  public static final String LEVEL = "level";
  public static final String POLICY_KEY = "policy";
  public static final String SEGMENT_KEY = "segment";
  public static final String TEAM_KEY = "team";
  public static final String ALL = "ALL";

  private final boolean byPolicy;
  private final boolean bySegment;
  private final boolean byTeam;

  Level(boolean byPolicy, boolean bySegment, boolean byTeam) {
    this.byPolicy = byPolicy;
    this.bySegment = bySegment;
    this.byTeam = byTeam;
  }

  public String label() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  /** The rows once per level, with the level's cell keys in level, policy, segment, team. */
  public static Dataset<Row> expand(Dataset<Row> rows, List<Level> levels) {
    Dataset<Row> out = null;
    List<String> rest = new ArrayList<>();
    for (String c : rows.columns()) {
      if (!List.of(POLICY_KEY, SEGMENT_KEY, TEAM_KEY).contains(c)) {
        rest.add(c);
      }
    }
    for (Level l : levels) {
      List<Column> cols = new ArrayList<>();
      cols.add(lit(l.label()).as(LEVEL));
      cols.add(l.byPolicy ? col(Cols.POLICY).as(POLICY_KEY) : lit(ALL).as(POLICY_KEY));
      cols.add(l.bySegment ? col(FeatureCols.SEGMENT).as(SEGMENT_KEY) : lit(ALL).as(SEGMENT_KEY));
      cols.add(l.byTeam ? coalesce(col(Cols.TEAM), lit(FeatureCols.UNKNOWN)).as(TEAM_KEY) : lit(ALL).as(TEAM_KEY));
      rest.forEach(c -> cols.add(col("`" + c + "`")));
      Dataset<Row> one = rows.select(cols.toArray(Column[]::new));
      out = out == null ? one : out.unionByName(one);
    }
    return out;
  }

  /** The cell key of a row's policy at this level (Java-side twin of {@link #expand}). */
  public String policyKey(String policy) {
    return byPolicy ? policy : ALL;
  }

  public String segmentKey(String segment) {
    return bySegment ? segment : ALL;
  }

  public String teamKey(String team) {
    return byTeam ? (team == null ? FeatureCols.UNKNOWN : team) : ALL;
  }

  /** The cell key columns, in order. */
  public static final List<String> KEY_NAMES = List.of(LEVEL, POLICY_KEY, SEGMENT_KEY, TEAM_KEY);

  public static Column[] keys() {
    return new Column[] {col(LEVEL), col(POLICY_KEY), col(SEGMENT_KEY), col(TEAM_KEY)};
  }
}
