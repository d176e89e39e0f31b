package dev.leeway.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report in a real browser: headless Chromium (Debian's chromium package; .ci/run installs it) loads the page
 * offline without errors and lays out its charts; the screenshot is kept at target/report-screenshot.png.
 */
class ReportBrowserTest {
  private static final Path SCREENSHOT = Path.of("target/report-screenshot.png");

  @TempDir
  Path tmp;

  private static Path chromium() {
    for (String c : List.of("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")) {
      if (Files.isExecutable(Path.of(c))) {
        return Path.of(c);
      }
    }
    throw new IllegalStateException("The browser test needs Chromium: apt-get install chromium (.ci/run does)");
  }

  private record Result(int code, String out, String err) {}

  private Result chromium(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of(chromium().toString(), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--enable-logging=stderr", "--v=0", "--user-data-dir=" + tmp.resolve("profile")));
    cmd.addAll(List.of(args));
    Path err = tmp.resolve("err-" + System.nanoTime() + ".log");
    Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(p.waitFor(120, TimeUnit.SECONDS), "chromium finished");
    return new Result(p.exitValue(), out, Files.readString(err));
  }

  @Test
  void theReportLoadsOfflineWithoutErrorsAndShowsItsCharts() throws Exception {
    Path page = tmp.resolve("report.html");
    Files.writeString(page, ReportRenderTest.renderFixture(), StandardCharsets.UTF_8);
    String url = page.toUri().toString();

    Result dom = chromium("--dump-dom", url);
    assertEquals(0, dom.code(), dom.err());
    long charts = Pattern.compile("<svg[^>]*class=\"chart\"").matcher(dom.out()).results().count();
    assertTrue(charts >= 3, "the browser's DOM has the charts: " + charts);
    assertTrue(dom.out().contains("class=\"bar\"") && dom.out().contains("<polyline"), "bars and lines are drawn");
    assertTrue(dom.out().contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "the hostile team name stays text");
    List<String> problems = dom.err().lines()
        .filter(l -> l.contains("CONSOLE") || l.contains("Uncaught") || l.contains("ERR_FILE_NOT_FOUND")
            || l.contains("Refused to"))
        .toList();
    assertEquals(List.of(), problems, "console errors or failed loads");

    Files.createDirectories(SCREENSHOT.getParent());
    Files.deleteIfExists(SCREENSHOT);
    Result shot = chromium("--hide-scrollbars", "--window-size=1200,2400",
        "--screenshot=" + SCREENSHOT.toAbsolutePath(), url);
    assertEquals(0, shot.code(), shot.err());
    assertTrue(Files.size(SCREENSHOT) > 20_000, "a real screenshot: " + Files.size(SCREENSHOT) + " bytes");
  }
}
