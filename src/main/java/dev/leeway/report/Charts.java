package dev.leeway.report;

import static org.apache.spark.sql.functions.col;

import dev.leeway.run.StageContext;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/** The report's charts, as inline SVG strings keyed by name (absent when there is nothing to draw). */
final class Charts {
  private final SparkSession spark;
  private final StageContext ctx;
  private final Map<String, Object> train;

  Charts(SparkSession spark, StageContext ctx, Map<String, Object> train) {
    this.spark = spark;
    this.ctx = ctx;
    this.train = train;
  }

  /** The charts drawn from the report model alone (everything but the Qini curves). */
  @SuppressWarnings("unchecked")
  static Map<String, String> fromModel(Map<String, Object> model) {
    Map<String, String> out = new LinkedHashMap<>();
    List<Svg.Bar> roi = new ArrayList<>();
    for (Map<String, Object> p : (List<Map<String, Object>>) model.get("policies")) {
      boolean known = !ReportModel.TOO_LITTLE.equals(p.get("verdict"));
      roi.add(new Svg.Bar((String) p.get("name"), known ? ReportModel.num(p.get("roi")) : null,
          known ? ReportModel.num(p.get("roi_low")) : null, known ? ReportModel.num(p.get("roi_high")) : null,
          "too little data"));
    }
    out.put("roi_by_policy", Svg.bars("ROI by policy (net value per 1 spent, 95% interval)", roi, "%.2f"));

    List<Map<String, Object>> curve = (List<Map<String, Object>>) model.getOrDefault("retention_curve", List.of());
    if (!curve.isEmpty()) {
      List<Svg.Point> granted = new ArrayList<>();
      List<Svg.Point> denied = new ArrayList<>();
      for (Map<String, Object> c : curve) {
        double h = ReportModel.num(c.get("horizon_days"));
        granted.add(new Svg.Point(h, ReportModel.num(c.get("granted"))));
        denied.add(new Svg.Point(h, ReportModel.num(c.get("comparable_denied"))));
      }
      out.put("retention", Svg.lines("Share still active: granted vs comparable denied customers",
          List.of(new Svg.Series("granted", granted, false),
              new Svg.Series("comparable denied (estimated)", denied, true)),
          "days after the request", "share retained"));
    }

    List<Map<String, Object>> trend = (List<Map<String, Object>>) model.get("trend");
    if (trend.size() >= 2) {
      List<Svg.Point> points = new ArrayList<>();
      java.time.LocalDate first = java.time.LocalDate.parse((String) trend.get(0).get("run_date"));
      for (Map<String, Object> t : trend) {
        Double v = ReportModel.num(t.get("roi"));
        if (v != null) {
          points.add(new Svg.Point(java.time.temporal.ChronoUnit.DAYS.between(first,
              java.time.LocalDate.parse((String) t.get("run_date"))), v));
        }
      }
      out.put("trend", Svg.lines("Overall ROI, run by run", List.of(new Svg.Series("ROI", points, false)),
          "days since " + first, "ROI"));
    }

    Map<String, Object> scores = (Map<String, Object>) model.get("scores");
    if (scores != null && scores.get("by_policy") instanceof List<?> rows) {
      List<Svg.Bar> value = new ArrayList<>();
      for (Object o : rows) {
        Map<String, Object> r = (Map<String, Object>) o;
        Double spent = ReportModel.num(r.get("expected_spend_per_day"));
        Double offered = ReportModel.num(r.get("expected_net_value_per_day"));
        value.add(new Svg.Bar((String) r.get("policy"), spent != null && spent > 0 && offered != null
            ? offered / spent : null, null, null, "nothing offered"));
      }
      out.put("budget", Svg.bars("Expected net value per 1 spent, today's rule on expected requests", value, "%.1f"));
    }

    return out;
  }

  /**
   * Qini curves of the current model's champion and baselines (test part, primary outcome, all policies), read
   * from the training run's curves; null when there are none.
   */
  String qini() throws java.io.IOException {
    if (train == null) {
      return null;
    }
    Dataset<Row> curves = dev.leeway.uplift.TrainJob.publishedTable(ctx, train, "curves");
    if (curves == null) {
      return null;
    }
    String champion = String.valueOf(train.get("champion"));
    String primary = String.valueOf(train.get("primary_outcome"));
    List<Row> rows = curves
        .filter(col("split").equalTo("test").and(col("policy").equalTo("ALL")).and(col("outcome").equalTo(primary)))
        .select("ranking", "fraction", "qini").orderBy("ranking", "fraction").collectAsList();
    Map<String, List<Svg.Point>> byRanking = new LinkedHashMap<>();
    for (Row r : rows) {
      byRanking.computeIfAbsent(r.getString(0), k -> new ArrayList<>(List.of(new Svg.Point(0, 0))))
          .add(new Svg.Point(r.getDouble(1), r.getDouble(2)));
    }
    List<Svg.Series> series = new ArrayList<>();
    for (String ranking : List.of(champion, "oracle", "response", "random")) {
      if (byRanking.containsKey(ranking)) {
        String name = ranking.equals(champion) ? ranking + " (current model)" : ranking;
        series.add(new Svg.Series(name, byRanking.get(ranking), ranking.equals("random")));
      }
    }
    return series.isEmpty() ? null : Svg.lines("Qini curve of the current model (" + primary + ", test customers)",
        series, "share of customers targeted, best-ranked first", "incremental retained");
  }
}
