package dev.weft.memory;

import dev.weft.internal.budget.HeapMonitor;

/**
 * Enforces the soft limit on the real heap: when the live heap after GC stays above it, the task that
 * allocated the most since the last check gets a {@link MemoryLimitError} (kind {@code HEAP}) and a grace
 * for its cleanup; an emergency reserve is dropped when memory runs out, and a real
 * {@link OutOfMemoryError} in a task is contained to that task.
 *
 * {@snippet :
 * try (HeapWatchdog watchdog = HeapWatchdog.install()) {         // soft limit: the root budget's
 *     Weft.run(() -> serve());
 * } catch (MemoryLimitError e) {
 *     System.err.println(e.getMessage());                        // which task, the limit, the live heap
 * }
 * }
 *
 * <h2>How the error reaches the task</h2>
 * The watchdog runs on its own thread (and the JDK's notification thread), after a GC; it cannot throw into
 * another thread. It cancels the blamed task (reason {@link dev.weft.CancelReason#MEMORY}, cause the error):
 * the task sees {@link dev.weft.Cancelled} at its next cancellation point (and the error itself at its next
 * {@link MemoryBudget#reserve} that reaches a limit), its cleanup runs with the grace, and the task ends failed with the
 * {@link MemoryLimitError}, which its scope sees like any failure. A task with no cancellation point (a tight
 * loop in code the agent did not instrument) runs on until the real heap is exhausted; then the reserve is
 * dropped and its {@link OutOfMemoryError} becomes its {@link MemoryLimitError} (kind {@code OUT_OF_MEMORY}).
 * One blamed task at a time: the next is chosen only after it has ended.
 *
 * <h2>Defaults</h2>
 * The soft limit and grace are the {@linkplain MemoryBudget#root() root budget}'s (three quarters of the
 * heap, plus an eighth). The reserve is {@value #RESERVE_FRACTION_DEFAULT_INVERSE}th of the maximum heap,
 * at most 64 MiB: enough for unwinding, logging and a report, small enough not to matter to the heap. "Stays
 * above" means above after a full collection: a young collection's "after" still counts old garbage, so a
 * young collection above the limit only makes the watchdog force a full one (at most once a second).
 *
 * <h2>Thread safety</h2>
 * One watchdog per process; install and close from any thread.
 *
 * @implNote Allocation is attributed per task by reading the carrier thread's allocation counter when a
 * Weft loop mounts and unmounts the task ({@code ThreadMXBean} returns -1 for virtual threads); this is on
 * only while a watchdog is installed. See {@code docs/design.md}.
 */
public final class HeapWatchdog implements AutoCloseable {
    /** The emergency reserve is the maximum heap divided by this, unless given. */
    public static final int RESERVE_FRACTION_DEFAULT_INVERSE = 32;
    /** Upper bound of the default emergency reserve. */
    public static final long RESERVE_BYTES_MAX_DEFAULT = 64L << 20;

    private final HeapMonitor monitor;

    private HeapWatchdog(HeapMonitor monitor) {
        this.monitor = monitor;
    }

    /** Installs a watchdog with the root budget's soft limit and grace and the default reserve. */
    public static HeapWatchdog install() {
        MemoryBudget root = MemoryBudget.root();
        return install(root.limitBytesSoft(), root.graceBytes(), defaultReserveBytes());
    }

    /**
     * Installs a watchdog.
     *
     * @throws IllegalStateException if one is installed
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
        return new HeapWatchdog(HeapMonitor.install(limitBytesSoft, graceBytes, reserveBytes, TaskMemory::blame));
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
