package dev.leeway.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;

/** The charts are well-formed SVG, draw what they are given, and never let data become markup. */
class SvgTest {
  private static Document parse(String svg) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setNamespaceAware(true);
    return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
  }

  private static int count(Document d, String tag) {
    return d.getElementsByTagNameNS("http://www.w3.org/2000/svg", tag).getLength();
  }

  @Test
  void barsWithIntervalsAndMissingValues() throws Exception {
    String svg = Svg.bars("ROI by policy", List.of(
        new Svg.Bar("CHECK_HOLD_RELEASE", 2.5, 1.0, 4.0, null),
        new Svg.Bar("FEE_WAIVER", -0.4, -1.2, 0.3, null),
        new Svg.Bar("FREE_REBOOKING", null, null, null, "too little data")), "%.2f");
    Document d = parse(svg);
    assertEquals(2, count(d, "rect"), "one bar per estimate");
    NodeList groups = d.getElementsByTagNameNS("http://www.w3.org/2000/svg", "g");
    assertEquals(2, groups.getLength(), "one interval per estimate");
    assertTrue(svg.contains("too little data") && svg.contains("2.50") && svg.contains("-0.40"), svg);
  }

  @Test
  void labelsFromDataAreEscaped() throws Exception {
    String evil = "<script>alert(1)</script>";
    String svg = Svg.bars(evil, List.of(new Svg.Bar(evil, 1.0, null, null, null)), "%.1f")
        + Svg.lines("t", List.of(new Svg.Series(evil, List.of(new Svg.Point(0, 0), new Svg.Point(1, 1)), false)),
            "x & y", "\"quoted\"");
    assertTrue(!svg.contains("<script"), svg);
    assertTrue(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), svg);
    Document d = parse(Svg.bars(evil, List.of(new Svg.Bar(evil, 1.0, null, null, null)), "%.1f"));
    assertEquals(0, count(d, "script"));
  }

  @Test
  void linesDrawEverySeriesWithALegend() throws Exception {
    String svg = Svg.lines("Qini", List.of(
        new Svg.Series("model", List.of(new Svg.Point(0, 0), new Svg.Point(0.5, 30), new Svg.Point(1, 40)), false),
        new Svg.Series("random", List.of(new Svg.Point(0, 0), new Svg.Point(1, 40)), true)), "share targeted",
        "incremental");
    Document d = parse(svg);
    assertEquals(2, count(d, "polyline"));
    assertTrue(svg.contains("model") && svg.contains("random") && svg.contains("stroke-dasharray"), svg);
    // Degenerate input still yields a valid chart.
    parse(Svg.lines("empty", List.of(), "x", "y"));
    parse(Svg.bars("empty", List.of(), "%.1f"));
  }
}
