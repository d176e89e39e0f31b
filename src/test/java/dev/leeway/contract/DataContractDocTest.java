package dev.leeway.contract;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The written contract and the contract in code describe the same tables and columns. */
class DataContractDocTest {
  @Test
  void everyTableAndColumnIsDocumented() throws Exception {
    String doc = Files.readString(Path.of("docs/data-contract.md"));
    for (TableContract t : Contracts.ALL) {
      int section = doc.indexOf("### " + t.name() + "\n");
      assertTrue(section >= 0, "docs/data-contract.md has a section for " + t.name());
      int next = doc.indexOf("\n### ", section + 1);
      String body = doc.substring(section, next < 0 ? doc.length() : next);
      for (ColumnSpec c : t.columns()) {
        assertTrue(body.contains("| " + c.name() + " |"), t.name() + "." + c.name() + " is in its table in the doc");
      }
    }
  }
}
