package dev.leeway.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class RunawayRecoveryTest {
  /** Header id,customer,note,cost; the rows read keep id, customer and cost (note is dropped by the allow-list). */
  private final RunawayRecovery recovery = new RunawayRecovery(4, ",", new int[] {0, 1, 3});

  @Test
  void wholeLinesInsideARunawayFieldAreRecordsAndAPartialLineIsNot() {
    // The note of X1 opened a quote; X2 and X3 were swallowed; the quote closed inside X4's note.
    String field = "started here\nX2,C2,,5\nX3,C3,fine,\nX4,C4,";
    List<Object[]> records = recovery.records(field);
    assertEquals(2, records.size());
    assertArrayEquals(new Object[] {"X2", "C2", "5"}, records.get(0));
    assertArrayEquals(new Object[] {"X3", "C3", null}, records.get(1), "an empty field is no value");
  }

  @Test
  void aValueWithoutALineBreakOrWithoutWholeRecordsGivesNothing() {
    assertEquals(0, recovery.records("plain").size());
    assertEquals(0, recovery.records(null).size());
    assertEquals(0, recovery.records("a legitimate\r\nmulti-line note, with a comma").size());
  }
}
