package dev.weft.memory;

import dev.weft.internal.budget.HeapMonitor;

/**
 * Enforces the soft limit on the real heap: when the live heap after a full collection is above it, the task that
 * allocated the most since the last check gets a {@link MemoryLimitError} (kind {@code HEAP}) and a grace
 * for its cleanup; an emergency reserve is dropped when memory runs out, and a real
 * {@link OutOfMemoryError} in a task is contained to that task.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=heap-watchdog}
 *
 * <h2>How the error reaches the task</h2>
 * The watchdog runs on its own thread; it cannot throw into another thread. It cancels the blamed task (reason
 * {@link dev.weft.CancelReason#MEMORY}, cause the error):
 * the task sees {@link dev.weft.Cancelled} at its next cancellation point (and the error itself at its next
 * {@link MemoryBudget#reserve} that reaches a limit), its cleanup runs with the grace, and the task ends failed with the
 * {@link MemoryLimitError}, which its scope sees like any failure. A task with no cancellation point (a tight
 * loop in code the agent did not instrument) runs on until the real heap is exhausted; then the reserve is
 * dropped and its {@link OutOfMemoryError} becomes its {@link MemoryLimitError} (kind {@code OUT_OF_MEMORY}).
 * One blamed task at a time: the next is chosen only after it has ended and a full collection counted after its end
 * still finds the live heap above the limit. A task parked waiting for its children is never blamed, nor one whose
 * allocation since the last check is negligible (under a 256th of the limit, at least 64 KiB). The errors it raises,
 * and those that contain a real {@link OutOfMemoryError}, are made beforehand: containing allocates nothing.
 *
 * <h2>When it looks</h2>
 * Only a full collection gives the live heap; between collections the watchdog estimates it from the heap pools
 * (the old generation and survivors as they are, eden weighted by the fraction of it that young collections kept),
 * every 1 to 50 ms (half the time the heap needs to reach the limit at its growth rate, assuming at least 1 GiB/s),
 * and forces a full collection ({@link System#gc()}) as soon as the estimate is above the limit. If that
 * collection finds the live heap below the limit (old garbage), the next forced one waits four times as long as it
 * took. A young collection's "after" is never taken as the live heap: it counts old garbage. How far past the limit
 * a program gets is what it allocates until the forced collection starts (see {@code docs/design.md}, "How far past
 * the limit"); the JVM's and the watchdog's threads need a core for that.
 *
 * <h2>Defaults</h2>
 * The soft limit and grace are the {@linkplain MemoryBudget#root() root budget}'s (three quarters of the
 * heap, plus an eighth). The reserve is {@value #RESERVE_FRACTION_DEFAULT_INVERSE}th of the maximum heap,
 * at most 64 MiB: enough for unwinding, logging and a report, small enough not to matter to the heap; it is not
 * counted as live.
 *
 * <h2>Exceptions</h2>
 * {@link #install()} throws {@link IllegalStateException}, naming the fix, where the watchdog cannot learn the
 * live heap: under ZGC, Shenandoah or Epsilon (G1, Parallel and Serial are supported), or G1 with
 * {@code -XX:+ExplicitGCInvokesConcurrent}. Refusing beats guessing: deciding from young collections stopped healthy
 * programs. Under {@code -XX:+DisableExplicitGC} it forces its full collections with the {@code GC.run} diagnostic
 * command, which that flag leaves alone.
 *
 * <h2>Thread safety</h2>
 * One watchdog per process; install and close from any thread.
 *
 * @implNote Allocation is attributed per task by reading the carrier thread's allocation counter when a
 * Weft loop mounts and unmounts the task ({@code ThreadMXBean} returns -1 for virtual threads); this is on
 * only while a watchdog is installed. {@link #install()} runs one full collection, to load what reading a
 * collection needs while memory is plentiful. See {@code docs/design.md}.
 */
public final class HeapWatchdog implements AutoCloseable {
    /** The emergency reserve is the maximum heap divided by this, unless given. */
    public static final int RESERVE_FRACTION_DEFAULT_INVERSE = 32;
    /** Upper bound of the default emergency reserve. */
    public static final long RESERVE_BYTES_MAX_DEFAULT = 64L << 20;

    private final HeapMonitor monitor;

    /** What the monitor does to the task it blames, and when memory is plentiful again. */
    private static final HeapMonitor.Blame BLAME = new HeapMonitor.Blame() {
        @Override
        public boolean raise(dev.weft.internal.task.TaskHandle task, long limitBytesSoft, long graceBytes,
                long allocatedBytes, long liveBytes) {
            return TaskMemory.blame(task, limitBytesSoft, graceBytes, allocatedBytes, liveBytes);
        }

        @Override
        public void memoryPlentiful() {
            TaskMemory.refillSpares();
        }
    };

    private HeapWatchdog(HeapMonitor monitor) {
        this.monitor = monitor;
    }

    /**
     * Installs a watchdog with the root budget's soft limit and grace and the default reserve.
     *
     * @throws IllegalStateException as {@link #install(long, long, long)}
     */
    public static HeapWatchdog install() {
        MemoryBudget root = MemoryBudget.root();
        return install(root.limitBytesSoft(), root.graceBytes(), defaultReserveBytes());
    }

    /**
     * Installs a watchdog.
     *
     * @throws IllegalStateException if one is installed, or if this JVM's collector or flags do not let it learn
     *     the live heap (the message names the fix)
     */
    public static HeapWatchdog install(long limitBytesSoft, long graceBytes, long reserveBytes) {
        if (limitBytesSoft <= 0 || graceBytes < 0 || reserveBytes < 0) {
            throw new IllegalArgumentException("heap watchdog: soft limit must be positive and grace and reserve"
                    + " non-negative; got " + limitBytesSoft + ", " + graceBytes + ", " + reserveBytes);
        }
        TaskMemory.install(); // the runtime tells memory of tasks: mounts are attributed, errors delivered
        // Load and initialize now, while memory is plentiful, what raising and containing will need when it is
        // not: an OutOfMemoryError inside a class initializer breaks that class for the life of the JVM.
        for (MemoryLimitError.Kind kind : MemoryLimitError.Kind.values()) {
            new MemoryLimitError(kind, "heap", limitBytesSoft, graceBytes, 1, 1, "warm-up", null, null).getMessage();
        }
        HeapWatchdog w = new HeapWatchdog(HeapMonitor.install(limitBytesSoft, graceBytes, reserveBytes, BLAME));
        MemoryMBeans.watchdogInstalled(w); // registered only if Weft's MBeans are (-Dweft.jmx=true, weft jmx PID)
        return w;
    }

    /** The default emergency reserve for this JVM's maximum heap. */
    public static long defaultReserveBytes() {
        return Math.min(RESERVE_BYTES_MAX_DEFAULT, Runtime.getRuntime().maxMemory() / RESERVE_FRACTION_DEFAULT_INVERSE);
    }

    /** A snapshot of the watchdog's counters. */
    public WatchdogStatistics statistics() {
        HeapMonitor.Snapshot s = monitor.snapshot();
        return new WatchdogStatistics(s.limitBytesSoft(), s.graceBytes(), s.reserveBytes(), s.reserveArmed(),
                s.lastLiveBytes(), s.peakLiveBytes(), s.checks(), s.raises(), s.oomsContained(), s.reserveReleases(),
                TaskMemory.lastError(), s.peakUsedBytes(), s.collectionsForced(), s.collectionsForcedBelowLimit(),
                s.collector());
    }

    /** Uninstalls the watchdog (attribution off, listeners removed, reserve dropped). Idempotent. */
    @Override
    public void close() {
        monitor.close();
    }
}
