package dev.leeway.report;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Text cells a spreadsheet would execute are neutralised; numbers stay numbers. */
class CsvTest {
  @Test
  void formulaLikeTextIsNeutralisedAndNumbersAreKept() {
    String csv = Csv.write(List.of("name", "value"), List.of(
        List.of("=HYPERLINK(\"http://x\")", -12.5),
        List.of("+1 555", 3),
        List.of("-team", 0.25),
        List.of("@SUM(A1)", -1),
        List.of("\tTAB", 7L),
        List.of("\rCR", 1.0),
        Arrays.asList("plain, with comma", null)));
    assertEquals(String.join("\r\n",
        "name,value",
        "\"'=HYPERLINK(\"\"http://x\"\")\",-12.5",
        "'+1 555,3",
        "'-team,0.25",
        "'@SUM(A1),-1",
        "'\tTAB,7",
        "\"'\rCR\",1.0",
        "\"plain, with comma\",",
        ""), csv);
  }
}
