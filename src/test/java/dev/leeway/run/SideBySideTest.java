package dev.leeway.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SideBySideTest {

  @Test
  void resultsComeInKeyOrderWhicheverFinishesFirst() throws Exception {
    // "a" waits until "b" has finished: with two threads both run at once and "b" finishes first.
    CountDownLatch bDone = new CountDownLatch(1);
    Map<String, String> out = SideBySide.run(List.of("a", "b"), 2, k -> "t-" + k, k -> {
      if (k.equals("a")) {
        assertTrue(bDone.await(10, TimeUnit.SECONDS), "the pieces did not run at the same time");
      } else {
        bDone.countDown();
      }
      return k.toUpperCase() + "@" + Thread.currentThread().getName();
    });
    assertEquals(List.of("a", "b"), List.copyOf(out.keySet()));
    assertEquals(List.of("A@t-a", "B@t-b"), List.copyOf(out.values()));
  }

  @Test
  void noMoreThreadsThanAskedFor() throws Exception {
    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    SideBySide.run(List.of(1, 2, 3, 4, 5, 6), 2, k -> "t" + k, k -> {
      most.accumulateAndGet(running.incrementAndGet(), Math::max);
      Thread.sleep(20);
      running.decrementAndGet();
      return k;
    });
    assertTrue(most.get() <= 2, "ran " + most.get() + " at once");
  }

  @Test
  void everyPieceIsWaitedForAndTheFirstFailureInKeyOrderIsThrown() {
    AtomicInteger finished = new AtomicInteger();
    IOException first = new IOException("first");
    IllegalStateException second = new IllegalStateException("second");
    IOException thrown = assertThrows(IOException.class, () -> SideBySide.run(List.of(1, 2, 3), 3, k -> "t" + k,
        k -> {
          if (k == 1) {
            Thread.sleep(100);
            throw first;
          }
          if (k == 2) {
            throw second;
          }
          Thread.sleep(200);
          return finished.incrementAndGet();
        }));
    assertSame(first, thrown);
    assertEquals(List.of(second), List.of(thrown.getSuppressed()));
    assertEquals(1, finished.get(), "the slowest piece was not waited for");
  }

  @Test
  void uncheckedRethrowsRuntimeFailuresAsTheyAre() {
    IllegalArgumentException e = new IllegalArgumentException("bad");
    assertSame(e, assertThrows(IllegalArgumentException.class, () -> SideBySide.unchecked(List.of("x"), 1,
        k -> "t", k -> {
          throw e;
        })));
    assertEquals(Map.of(), SideBySide.unchecked(List.<String>of(), 2, k -> "t", k -> k));
  }
}
