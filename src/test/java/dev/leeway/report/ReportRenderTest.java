package dev.leeway.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The page rendered from a small fixed model: byte for byte the golden file (regenerate with
 * {@code -Dleeway.golden.update=true} after an intended change, and review the diff), escaped, self-contained.
 */
class ReportRenderTest {
  private static final Path GOLDEN = Path.of("src/test/resources/report/golden.html");

  static String renderFixture() throws Exception {
    Map<String, Object> model;
    try (var in = ReportRenderTest.class.getResourceAsStream("/report/model.json")) {
      model = new ObjectMapper().readValue(in, new TypeReference<LinkedHashMap<String, Object>>() {});
    }
    model.put("charts", Charts.fromModel(model));
    return ReportJob.render(model);
  }

  @Test
  void matchesTheGoldenFile() throws Exception {
    String html = renderFixture();
    if (Boolean.getBoolean("leeway.golden.update")) {
      Files.writeString(GOLDEN, html, StandardCharsets.UTF_8);
    }
    assertEquals(Files.readString(GOLDEN, StandardCharsets.UTF_8), html,
        "the report changed; if intended, rerun with -Dleeway.golden.update=true and review the diff");
  }

  @Test
  void dataIsEscapedAndThePageIsSelfContained() throws Exception {
    String html = renderFixture();
    assertTrue(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the team name shows as text");
    assertTrue(!html.contains("<script"), "no script element at all");
    // Nothing is fetched: no src or href attributes, no url(...) in styles; the only URL is the SVG namespace.
    Matcher m = Pattern.compile("(?i)(src=|href=|url\\(|@import)").matcher(html);
    assertTrue(!m.find(), "external reference: " + (m.hitEnd() ? "" : html.substring(Math.max(0, m.start() - 40),
        Math.min(html.length(), m.end() + 40))));
    List<String> http = Pattern.compile("https?://[^\"' )]+").matcher(html).results().map(r -> r.group())
        .distinct().toList();
    assertEquals(List.of("http://www.w3.org/2000/svg"), http);
    for (String section : List.of("id=\"summary\"", "id=\"policies\"", "id=\"checks\"", "id=\"segments\"",
        "id=\"model\"",
        "id=\"stories\"", "id=\"method\"")) {
      assertTrue(html.contains(section), section);
    }
    assertTrue(html.contains("too little data") && html.contains("does not pay") && html.contains("unclear")
        && html.contains(">pays<"), "verdicts in words");
    assertTrue(Pattern.compile("<svg").matcher(html).results().count() >= 4, "ROI, retention, trend, budget charts");
    assertTrue(html.contains("Staff and model agree") && html.contains("71%"), "model match per segment");
    assertTrue(html.contains("Warning: long before their request") && html.contains("Fragile:")
        && html.contains("Robust:") && html.contains("of 42 policy-by-segment"), "the three checks in words");
  }
}
