package dev.leeway.cli;

import dev.leeway.lookup.Score;
import dev.leeway.lookup.ScoreLookup;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code leeway benchmark-lookup}: load time, memory and per-call latency of the embedded lookup library. */
@Command(name = "benchmark-lookup", mixinStandardHelpOptions = true,
    description = "Loads the latest published scores with the lookup library (dev.leeway.lookup.ScoreLookup, no "
        + "Spark) and measures load time, heap held, and the latency of single lookup(customerId, policy) calls "
        + "for random scored customers and policies (p50, p99, p99.9), plus misses.")
final class BenchmarkLookupCommand implements Callable<Integer> {
  @Option(names = "--scores", required = true, description = "The scores folder (<output_root>/scores).")
  String scores;

  @Option(names = "--lookups", defaultValue = "2000000", description = "Timed lookups (default: ${DEFAULT-VALUE}).")
  int lookups;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the random keys (default: ${DEFAULT-VALUE}).")
  long seed;

  @Override
  public Integer call() {
    Runtime rt = Runtime.getRuntime();
    System.gc();
    long before = rt.totalMemory() - rt.freeMemory();
    long t0 = System.nanoTime();
    ScoreLookup lookup = ScoreLookup.loadLatest(scores);
    double loadS = (System.nanoTime() - t0) / 1e9;
    System.gc();
    long heap = rt.totalMemory() - rt.freeMemory() - before;
    List<String> customers = new ArrayList<>(lookup.customerIds());
    customers.sort(null);
    List<String> policies = customers.isEmpty() ? List.of() : lookup.forCustomer(customers.get(0)).stream()
        .map(Score::policy).toList();
    System.out.printf(Locale.ROOT, "loaded %,d rows (%,d customers, run date %s) in %.1f s; heap held %,d MiB%n",
        lookup.size(), customers.size(), lookup.runDate(), loadS, heap >> 20);
    if (customers.isEmpty() || policies.isEmpty()) {
      System.out.println("nothing to look up");
      return 0;
    }
    String[] keys = customers.toArray(String[]::new);
    String[] pol = policies.toArray(String[]::new);
    SplittableRandom random = new SplittableRandom(seed);
    long found = 0;
    // Warm-up: let the JIT compile the lookup path before timing it.
    for (int i = 0; i < Math.min(lookups, 500_000); i++) {
      found += lookup.lookup(keys[random.nextInt(keys.length)], pol[random.nextInt(pol.length)]).isPresent() ? 1 : 0;
    }
    long[] ns = new long[lookups];
    for (int i = 0; i < lookups; i++) {
      String c = keys[random.nextInt(keys.length)];
      String p = pol[random.nextInt(pol.length)];
      long s = System.nanoTime();
      boolean hit = lookup.lookup(c, p).isPresent();
      ns[i] = System.nanoTime() - s;
      found += hit ? 1 : 0;
    }
    long s = System.nanoTime();
    int misses = 0;
    for (int i = 0; i < 100_000; i++) {
      misses += lookup.lookup("NO-SUCH-CUSTOMER-" + i, pol[0]).isEmpty() ? 1 : 0;
    }
    double missNs = (System.nanoTime() - s) / 100_000.0;
    Arrays.sort(ns);
    System.out.printf(Locale.ROOT, "%,d lookups of random (customer, policy): p50 %.2f us, p99 %.2f us, p99.9 %.2f us, "
            + "max %.1f us (System.nanoTime around each call; %,d found)%n", lookups, ns[lookups / 2] / 1e3,
        ns[(int) (lookups * 0.99)] / 1e3, ns[(int) (lookups * 0.999)] / 1e3, ns[lookups - 1] / 1e3, found);
    System.out.printf(Locale.ROOT, "%,d misses (unknown customer): mean %.2f us%n", misses, missNs / 1e3);
    return 0;
  }
}
