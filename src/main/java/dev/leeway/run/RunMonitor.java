package dev.leeway.run;

import dev.leeway.io.RunLayout;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageSubmitted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.executor.TaskMetrics;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a running run visible: writes {@code status.json} (one writer at a time), renews its heartbeat and progress
 * there every heartbeat, logs the running stage's progress (Spark job, tasks, rows read and written, elapsed) at the
 * same pace so a scheduler's log shows where a run is, and, if the JVM is stopped while the run is RUNNING (a
 * SIGTERM from a scheduler's timeout, System.exit), marks the run FAILED on the way out. A SIGKILL cannot be caught:
 * its RUNNING status keeps a heartbeat that stops advancing, and the lease is taken over once stale.
 */
public final class RunMonitor implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RunMonitor.class);

  private final RunStatus status;
  private final RunLayout layout;
  private final SparkContext sc;
  private final Progress progress = new Progress();
  private final ScheduledExecutorService timer;
  private final Thread onExit;
  private volatile String stage;
  private volatile long stageStartedNanos;
  private volatile Thread stageThread;
  private final Memory memory = new Memory();

  private RunMonitor(RunStatus status, RunLayout layout, SparkContext sc, Duration every) {
    this.status = status;
    this.layout = layout;
    this.sc = sc;
    sc.addSparkListener(progress);
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "leeway-run-heartbeat");
      t.setDaemon(true);
      return t;
    });
    long s = Math.max(1, every.toSeconds());
    timer.scheduleAtFixedRate(this::beat, s, s, TimeUnit.SECONDS);
    timer.scheduleAtFixedRate(memory::sample, 0, Memory.EVERY_MILLIS, TimeUnit.MILLISECONDS);
    this.onExit = new Thread(this::stoppedWhileRunning, "leeway-run-exit");
    Runtime.getRuntime().addShutdownHook(onExit);
  }

  /** Starts watching the run whose status is {@code status}; writes the status once. */
  public static RunMonitor start(RunStatus status, RunLayout layout, SparkContext sc, Duration every)
      throws IOException {
    RunMonitor m = new RunMonitor(status, layout, sc, every);
    m.save();
    return m;
  }

  /** Writes the status document as it is now. */
  public synchronized void save() throws IOException {
    status.alive(Instant.now());
    layout.writeAtomically(layout.statusFile(), status.toJson());
  }

  /** A stage has started: progress counts from here. */
  public void stageStarted(String name) {
    progress.reset();
    memory.reset();
    stageStartedNanos = System.nanoTime();
    stageThread = Thread.currentThread();
    stage = name;
  }

  /** The running stage has ended (either way). */
  public void stageEnded() {
    stage = null;
  }

  /**
   * What the running (or just ended) stage has used so far: wall seconds, Spark jobs, rows read and written by its
   * Spark tasks, and the driver JVM's peak heap in use and peak resident memory (sampled every
   * {@value Memory#EVERY_MILLIS} ms; the resident memory is the whole process's, Spark's executors included in
   * local mode).
   */
  public Map<String, Object> resources() {
    memory.sample();
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("seconds", Math.round((System.nanoTime() - stageStartedNanos) / 1e7) / 100.0);
    r.put("spark_jobs", progress.jobs);
    r.put("rows_read", progress.rowsRead);
    r.put("rows_written", progress.rowsWritten);
    r.put("heap_peak_bytes", memory.heapPeak);
    r.put("rss_peak_bytes", memory.rssPeak < 0 ? null : memory.rssPeak);
    return r;
  }

  /** The running stage's progress, or null between stages. */
  Map<String, Object> progress() {
    String s = stage;
    if (s == null) {
      return null;
    }
    Map<String, Object> p = new LinkedHashMap<>();
    p.put("stage", s);
    p.put("elapsed_seconds", (System.nanoTime() - stageStartedNanos) / 1_000_000_000L);
    p.put("step", step(stageThread));
    p.put("spark_job", progress.job);
    p.put("spark_jobs", progress.jobs);
    p.put("tasks_done", progress.tasksDone);
    p.put("tasks_total", progress.tasksTotal);
    p.put("rows_read", progress.rowsRead);
    p.put("rows_written", progress.rowsWritten);
    return p;
  }

  private void beat() {
    try {
      Map<String, Object> p = progress();
      status.progress(p);
      save();
      if (p != null) {
        LOG.info("Stage {} running for {}: {}", p.get("stage"), elapsed((Long) p.get("elapsed_seconds")),
            describe(p));
      }
    } catch (Throwable e) {
      // An uncaught throwable would cancel every later heartbeat.
      LOG.warn("Could not write the run's heartbeat to {}: {}", layout.statusFile(), e.toString());
    }
  }

  /** Where in Leeway's code the stage's thread is now, e.g. "IngestJob.writeTable:142"; null when unknown. */
  static String step(Thread t) {
    if (t == null) {
      return null;
    }
    for (StackTraceElement f : t.getStackTrace()) {
      String c = f.getClassName();
      if (c.startsWith("dev.leeway.")) {
        return c.substring(c.lastIndexOf('.') + 1) + "." + f.getMethodName() + ":" + f.getLineNumber();
      }
    }
    return null;
  }

  static String describe(Map<String, Object> p) {
    Object step = p.get("step");
    String job = (step == null ? "" : "at " + step + ", ") + (p.get("spark_job") == null ? "no Spark job yet"
        : "Spark job " + p.get("spark_job") + ", tasks " + p.get("tasks_done")
            + "/" + p.get("tasks_total") + " of the running Spark stages, " + p.get("spark_jobs") + " Spark job(s) so far");
    return String.format("%s; %,d rows read, %,d rows written so far", job, (Long) p.get("rows_read"),
        (Long) p.get("rows_written"));
  }

  private static String elapsed(long seconds) {
    return seconds < 60 ? seconds + " s" : (seconds / 60) + " min " + (seconds % 60) + " s";
  }

  private void stoppedWhileRunning() {
    if (!RunStatus.RUNNING.equals(status.outcome())) {
      return;
    }
    String s = stage;
    status.failed(s, "the process was stopped (a signal such as SIGTERM, or an exit) while "
        + (s == null ? "between stages" : "stage " + s + " was running") + "; nothing of an unfinished stage was published");
    try {
      save();
    } catch (IOException | RuntimeException e) {
      // The JVM is going down; the stale heartbeat tells the rest.
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    sc.removeSparkListener(progress);
    try {
      Runtime.getRuntime().removeShutdownHook(onExit);
    } catch (IllegalStateException shuttingDown) {
      // The hook is running or has run.
    }
  }

  /** Peaks of the heap in use and of the resident set size since the last reset. */
  static final class Memory {
    static final long EVERY_MILLIS = 500;
    private static final java.nio.file.Path PROC_STATUS = java.nio.file.Path.of("/proc/self/status");
    volatile long heapPeak;
    volatile long rssPeak = -1;

    synchronized void reset() {
      heapPeak = 0;
      rssPeak = -1;
      sample();
    }

    synchronized void sample() {
      heapPeak = Math.max(heapPeak, java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()
          .getUsed());
      long rss = rss();
      if (rss >= 0) {
        rssPeak = Math.max(rssPeak, rss);
      }
    }

    /** The process's resident set size in bytes (VmRSS of /proc/self/status), or -1 where there is no /proc. */
    static long rss() {
      Long v = procBytes(PROC_STATUS, "VmRSS");
      return v == null ? -1 : v;
    }
  }

  /**
   * A size field of a /proc file in bytes, e.g. VmHWM of /proc/&lt;pid&gt;/status or MemTotal of /proc/meminfo (given
   * there in kB); null where the file or field is missing (not Linux, or the process has ended).
   */
  public static Long procBytes(java.nio.file.Path file, String field) {
    try {
      for (String line : java.nio.file.Files.readAllLines(file)) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux, /proc not readable, or the process is gone: no figure.
    }
    return null;
  }

  /** Counts the running stage's Spark work from the listener bus. */
  private static final class Progress extends SparkListener {
    /** Per running Spark stage (by id): its number of tasks and how many have ended. */
    private final Map<Integer, long[]> running = new java.util.HashMap<>();
    volatile Integer job;
    volatile long jobs;
    volatile long tasksDone;
    volatile long tasksTotal;
    volatile long rowsRead;
    volatile long rowsWritten;

    synchronized void reset() {
      job = null;
      jobs = 0;
      rowsRead = 0;
      rowsWritten = 0;
      totals();
    }

    @Override
    public synchronized void onJobStart(SparkListenerJobStart e) {
      job = e.jobId();
      jobs++;
    }

    @Override
    public synchronized void onStageSubmitted(SparkListenerStageSubmitted e) {
      running.put(e.stageInfo().stageId(), new long[] {e.stageInfo().numTasks(), 0});
      totals();
    }

    @Override
    public synchronized void onStageCompleted(org.apache.spark.scheduler.SparkListenerStageCompleted e) {
      running.remove(e.stageInfo().stageId());
      totals();
    }

    @Override
    public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
      long[] s = running.get(e.stageId());
      if (s != null) {
        s[1]++;
        totals();
      }
      TaskMetrics m = e.taskMetrics();
      if (m != null) {
        rowsRead += m.inputMetrics().recordsRead();
        rowsWritten += m.outputMetrics().recordsWritten();
      }
    }

    /** Tasks done and in all of the Spark stages running now. */
    private void totals() {
      long done = 0;
      long total = 0;
      for (long[] s : running.values()) {
        total += s[0];
        done += s[1];
      }
      tasksDone = done;
      tasksTotal = total;
    }
  }
}
