package dev.leeway.run;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Runs independent pieces of driver work side by side, each in a thread of its own, so that their Spark jobs share
 * the cores: one piece's planning, code generation or single-task job overlaps another's. Spark takes jobs from
 * several threads of one session; each thread inherits the caller's job group and local properties.
 *
 * <p>Results come back by key in the keys' order, whatever order the work finished in. Every piece is waited for;
 * when any failed, the first failure in key order is thrown, with the later ones attached as suppressed.
 */
public final class SideBySide {
  private SideBySide() {}

  /** One key's work. */
  @FunctionalInterface
  public interface Work<K, V> {
    V run(K key) throws Exception;
  }

  /**
   * @param threads at most this many pieces at once (at least 1)
   * @param threadName names each piece's thread, so that thread dumps and profiles say what it works on
   */
  public static <K, V> Map<K, V> run(List<K> keys, int threads, Function<K, String> threadName, Work<K, V> work)
      throws Exception {
    Map<K, V> out = new LinkedHashMap<>();
    if (keys.isEmpty()) {
      return out;
    }
    ExecutorService pool = Executors.newFixedThreadPool(Math.max(1, Math.min(threads, keys.size())), r -> {
      Thread t = new Thread(r);
      t.setDaemon(true);
      return t;
    });
    try {
      List<Future<V>> futures = new ArrayList<>();
      for (K k : keys) {
        futures.add(pool.submit(() -> {
          Thread.currentThread().setName(threadName.apply(k));
          return work.run(k);
        }));
      }
      Throwable failure = null;
      for (int i = 0; i < keys.size(); i++) {
        try {
          out.put(keys.get(i), futures.get(i).get());
        } catch (ExecutionException e) {
          if (failure == null) {
            failure = e.getCause();
          } else {
            failure.addSuppressed(e.getCause());
          }
        }
      }
      if (failure instanceof Exception e) {
        throw e;
      }
      if (failure instanceof Error e) {
        throw e;
      }
      if (failure != null) {
        throw new IllegalStateException(failure);
      }
      return out;
    } finally {
      pool.shutdownNow();
    }
  }

  /** {@link #run} for work that throws no checked exception. */
  public static <K, V> Map<K, V> unchecked(List<K> keys, int threads, Function<K, String> threadName,
      Function<K, V> work) {
    try {
      return run(keys, threads, threadName, work::apply);
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
