package dev.leeway.report;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Small inline SVG charts for the report: horizontal bars with intervals, and line charts. Output is a standalone
 * {@code <svg>} element (no scripts, no external references); every text is XML-escaped here, so labels from data
 * (policy, team names) cannot inject markup.
 */
public final class Svg {
  private Svg() {}

  /** One bar: a label, a value, an optional interval, and a note drawn instead when the value is unknown. */
  public record Bar(String label, Double value, Double low, Double high, String note) {}

  /** A point of a line. */
  public record Point(double x, double y) {}

  /** A named line; {@code dashed} draws a reference line (random ranking, for example). */
  public record Series(String name, List<Point> points, boolean dashed) {}

  private static final String[] COLOURS = {"#1f6fb2", "#d9822b", "#2e9e5b", "#9b59b6", "#c0392b", "#7f8c8d"};

  /** XML text escaping. */
  public static String escape(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> {
          if (c >= 0x20 || c == '\n' || c == '\t') {
            b.append(c);
          }
        }
      }
    }
    return b.toString();
  }

  private static String num(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  /**
   * Horizontal bars with whiskers for the interval, a zero line, and the value printed beside each bar.
   *
   * @param format how values are printed, e.g. "%.2f"
   */
  public static String bars(String title, List<Bar> bars, String format) {
    int labelW = 170;
    int plotW = 420;
    int rowH = 28;
    int top = 34;
    int h = top + rowH * Math.max(1, bars.size()) + 24;
    double lo = 0;
    double hi = 0;
    for (Bar b : bars) {
      for (Double v : new Double[] {b.value(), b.low(), b.high()}) {
        if (v != null && Double.isFinite(v)) {
          lo = Math.min(lo, v);
          hi = Math.max(hi, v);
        }
      }
    }
    if (hi - lo < 1e-12) {
      hi = lo + 1;
    }
    double pad = (hi - lo) * 0.08;
    double min = lo - (lo < 0 ? pad : 0);
    double max = hi + pad;
    StringBuilder s = open(labelW + plotW + 90, h, title);
    double zero = labelW + (0 - min) / (max - min) * plotW;
    s.append(line(zero, top - 6, zero, h - 20, "#555", 1, false));
    for (int i = 0; i < bars.size(); i++) {
      Bar b = bars.get(i);
      double y = top + i * rowH;
      s.append(text(labelW - 8, y + rowH / 2.0 + 4, b.label(), "end", 12, "#222"));
      if (b.value() == null || !Double.isFinite(b.value())) {
        s.append(text(zero + 6, y + rowH / 2.0 + 4, b.note() == null ? "no estimate" : b.note(), "start", 11,
            "#777"));
        continue;
      }
      double x = labelW + (b.value() - min) / (max - min) * plotW;
      double x0 = Math.min(x, zero);
      String colour = b.value() >= 0 ? COLOURS[0] : COLOURS[4];
      s.append(String.format(Locale.ROOT,
          "<rect class=\"bar\" x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" fill=\"%s\" opacity=\"0.85\"/>",
          num(x0), num(y + 5), num(Math.max(1, Math.abs(x - zero))), num(rowH - 10), colour));
      if (b.low() != null && b.high() != null) {
        double xl = labelW + (b.low() - min) / (max - min) * plotW;
        double xh = labelW + (b.high() - min) / (max - min) * plotW;
        double yc = y + rowH / 2.0;
        s.append("<g class=\"interval\">");
        s.append(line(xl, yc, xh, yc, "#111", 1.5, false));
        s.append(line(xl, yc - 6, xl, yc + 6, "#111", 1.5, false));
        s.append(line(xh, yc - 6, xh, yc + 6, "#111", 1.5, false));
        s.append("</g>");
      }
      double labelX = Math.max(x, b.high() == null ? x : labelW + (b.high() - min) / (max - min) * plotW) + 6;
      s.append(text(labelX, y + rowH / 2.0 + 4, String.format(Locale.ROOT, format, b.value()), "start", 11, "#222"));
    }
    return s.append("</svg>").toString();
  }

  /** Lines over a shared x axis, with a legend; axes are labelled with their ranges. */
  public static String lines(String title, List<Series> series, String xLabel, String yLabel) {
    int w = 560;
    int h = 300;
    int left = 60;
    int right = 20;
    int top = 34;
    int bottom = 50;
    double xMin = Double.POSITIVE_INFINITY;
    double xMax = Double.NEGATIVE_INFINITY;
    double yMin = 0;
    double yMax = 0;
    for (Series se : series) {
      for (Point p : se.points()) {
        xMin = Math.min(xMin, p.x());
        xMax = Math.max(xMax, p.x());
        yMin = Math.min(yMin, p.y());
        yMax = Math.max(yMax, p.y());
      }
    }
    if (!Double.isFinite(xMin)) {
      xMin = 0;
      xMax = 1;
    }
    if (xMax - xMin < 1e-12) {
      xMax = xMin + 1;
    }
    if (yMax - yMin < 1e-12) {
      yMax = yMin + 1;
    }
    double pw = w - left - right;
    double ph = h - top - bottom;
    StringBuilder s = open(w, h + 18 * series.size(), title);
    s.append(line(left, top, left, top + ph, "#555", 1, false));
    s.append(line(left, top + ph, left + pw, top + ph, "#555", 1, false));
    if (yMin < 0) {
      double yz = top + ph - (0 - yMin) / (yMax - yMin) * ph;
      s.append(line(left, yz, left + pw, yz, "#bbb", 1, true));
    }
    s.append(text(left - 6, top + 4, fmt(yMax), "end", 10, "#444"));
    s.append(text(left - 6, top + ph, fmt(yMin), "end", 10, "#444"));
    s.append(text(left, top + ph + 14, fmt(xMin), "middle", 10, "#444"));
    s.append(text(left + pw, top + ph + 14, fmt(xMax), "middle", 10, "#444"));
    s.append(text(left + pw / 2, top + ph + 30, xLabel, "middle", 11, "#222"));
    s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%s\" font-size=\"11\" fill=\"#222\" "
        + "transform=\"rotate(-90 14 %s)\" text-anchor=\"middle\">%s</text>", num(top + ph / 2), num(top + ph / 2),
        escape(yLabel)));
    for (int i = 0; i < series.size(); i++) {
      Series se = series.get(i);
      String colour = se.dashed() ? "#888" : COLOURS[i % COLOURS.length];
      List<String> pts = new ArrayList<>();
      for (Point p : se.points()) {
        pts.add(num(left + (p.x() - xMin) / (xMax - xMin) * pw) + "," + num(top + ph - (p.y() - yMin) / (yMax - yMin)
            * ph));
      }
      s.append(String.format(Locale.ROOT, "<polyline class=\"series\" fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s "
          + "points=\"%s\"/>", colour, se.dashed() ? " stroke-dasharray=\"5,4\"" : "", String.join(" ", pts)));
      double ly = h + 4 + 18 * i;
      s.append(line(left, ly - 4, left + 22, ly - 4, colour, 2, se.dashed()));
      s.append(text(left + 28, ly, se.name(), "start", 11, "#222"));
    }
    return s.append("</svg>").toString();
  }

  private static String fmt(double v) {
    double a = Math.abs(v);
    return a >= 1000 ? String.format(Locale.ROOT, "%,.0f", v) : a >= 10 ? String.format(Locale.ROOT, "%.0f", v)
        : String.format(Locale.ROOT, "%.3g", v);
  }

  private static StringBuilder open(int w, int h, String title) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"%d\" "
        + "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\">", w, h, w, h, escape(title)));
    s.append("<title>").append(escape(title)).append("</title>");
    s.append(text(8, 18, title, "start", 13, "#111").replace("<text ", "<text font-weight=\"600\" "));
    return s;
  }

  private static String line(double x1, double y1, double x2, double y2, String colour, double width, boolean dashed) {
    return String.format(Locale.ROOT, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\" "
        + "stroke-width=\"%s\"%s/>", num(x1), num(y1), num(x2), num(y2), colour, num(width),
        dashed ? " stroke-dasharray=\"4,3\"" : "");
  }

  private static String text(double x, double y, String t, String anchor, int size, String colour) {
    return String.format(Locale.ROOT, "<text x=\"%s\" y=\"%s\" font-size=\"%d\" fill=\"%s\" text-anchor=\"%s\">%s"
        + "</text>", num(x), num(y), size, colour, anchor, escape(t));
  }
}
