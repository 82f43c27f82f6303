package dev.weft.internal.budget;

import dev.weft.internal.jdk.OwnThreads;
import com.sun.management.GarbageCollectionNotificationInfo;
import dev.weft.internal.task.TaskHandle;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryNotificationInfo;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import javax.management.Notification;
import javax.management.NotificationEmitter;
import javax.management.NotificationListener;
import javax.management.openmbean.CompositeData;

/**
 * The machinery behind {@code dev.weft.memory.HeapWatchdog}: GC notifications, collection-usage thresholds,
 * the emergency reserve, and the bookkeeping of real {@link OutOfMemoryError}s contained to tasks. It knows tasks
 * only as {@link TaskHandle}s and memory errors not at all: what to raise in the task it blames is its
 * {@link Blame}'s business (the watchdog's).
 *
 * <p>Implementation overview. Two paths feed one {@link #check}: GC end notifications (and collection-usage
 * threshold crossings) carry the heap pools' usage after the collection; a watchdog thread polls the
 * collectors' counts every {@link #POLL_INTERVAL_NS_DEFAULT} under pressure ({@link #POLL_INTERVAL_NS_IDLE}
 * otherwise) and, after a collection, reads the usage of the
 * heap pools outside eden. A young collection's "after" counts old garbage as live, so a young collection
 * above the soft limit only makes the watchdog force a full collection (at most one per
 * {@link #FULL_GC_INTERVAL_NS_MIN}); a full collection above the limit means the live heap "stays above"
 * (so do {@link #YOUNG_CONFIRMATIONS_MAX} young ones in a row, when explicit GC is disabled). Then the task
 * that allocated the most since the previous check ({@link TaskAllocation#closeWindow()}) is blamed: it gets a
 * {@code MemoryLimitError} of kind HEAP ({@link Blame#raise}). At most one raised task is outstanding:
 * the next raise waits until it has finished, so one hog does not take its neighbours down.
 *
 * <p>Emergency reserve. A {@code byte[]} held while memory is plentiful. It is dropped when the live heap
 * after a GC comes within twice its size of the maximum heap, and when an {@link OutOfMemoryError} is
 * contained ({@link #containOutOfMemory}); it is re-armed after the next GC that finds the live heap below the soft
 * limit again. Dropping it turns "no memory left" into "a reserve's worth left" for the cleanup that runs
 * while the failing task unwinds.
 *
 * <p>Things that don't work: an {@code OutOfMemoryError} cannot be intercepted where it is thrown
 * (JVMTI ResourceExhausted needs a native agent, {@code -XX:OnOutOfMemoryError} runs a shell command).
 * Solution: the task boundary converts it (the runtime tells memory that the task ended, which calls
 * {@link #containOutOfMemory}); the
 * GC notification for the failed collection, delivered on the JDK's notification thread, drops the reserve
 * at about the same time.
 *
 * <h2>Thread safety</h2>
 * Notifications arrive on the JDK's notification thread, one at a time; statistics are volatile or atomic;
 * install and close are synchronized on the class.
 */
public final class HeapMonitor {
    /** Consecutive young GCs above the limit after which the watchdog asks for a full one. */
    public static final int CONFIRMATIONS_DEFAULT = 1;
    /** Attribution reads carrier counters while the live heap is above this fraction of the soft limit. */
    public static final double ATTRIBUTION_FRACTION = 0.5;
    /** Young collections above the limit that raise without a full collection (explicit GC disabled). */
    public static final int YOUNG_CONFIRMATIONS_MAX = 8;
    /** Least time between two full collections the watchdog asks for. */
    public static final long FULL_GC_INTERVAL_NS_MIN = 1_000_000_000L;
    /**
     * How often the watchdog thread looks at the GC counters under memory pressure (the live heap above
     * {@link #ATTRIBUTION_FRACTION} of the soft limit, or a full collection wanted).
     */
    public static final long POLL_INTERVAL_NS_DEFAULT = 5_000_000;
    /**
     * How often it looks while the live heap is below {@link #ATTRIBUTION_FRACTION} of the soft limit. Things
     * that don't work: polling every 5 ms always; 200 wake-ups a second on a two-core machine buy nothing
     * while the heap is far from the limit. Solution: poll slowly until a collection shows the heap half-way
     * to the limit (GC notifications still check every collection as it is reported).
     */
    public static final long POLL_INTERVAL_NS_IDLE = 50_000_000;

    /** What the monitor does to the task it blames. Implemented by the watchdog ({@code dev.weft.memory}). */
    public interface Blame {
        /**
         * Raises the HEAP memory error in {@code task}, which allocated {@code allocatedBytes} since the last
         * check while the live heap after GC is {@code liveBytes}; false if an error is pending there already.
         * The notification or watchdog thread.
         */
        boolean raise(TaskHandle task, long limitBytesSoft, long graceBytes, long allocatedBytes, long liveBytes);
    }

    /** Diagnostics on stderr ({@code -Dweft.debug.watchdog=true}). */
    private static final boolean DEBUG = Boolean.getBoolean("weft.debug.watchdog");

    /** The installed monitor, or null. Guarded by the class for writes. */
    private static volatile HeapMonitor installed;

    /** The emergency reserve; null while released. Any thread. */
    @SuppressWarnings("unused")
    private static volatile byte[] reserve;
    private static volatile long reserveBytesArmed;

    // Process-wide statistics (also without a monitor: OOM containment works without one).
    private static final AtomicLong OOMS_CONTAINED = new AtomicLong();
    private static final AtomicLong RESERVE_RELEASES = new AtomicLong();
    private static volatile long peakLiveBytes;

    private final long limitBytesSoft;
    private final long graceBytes;
    private final long reserveBytes;
    private final int confirmations;
    private final Blame blame;
    private final long maxHeapBytes;
    private final Set<String> heapPools = new HashSet<>();
    private final List<Runnable> unregister = new ArrayList<>();
    private final AtomicLong raises = new AtomicLong();
    private final AtomicLong checks = new AtomicLong();
    /** GCs in a row above the limit. Notification thread only. */
    private int above;
    /** The task raised last, until it finishes. Notification thread only. */
    private TaskHandle outstanding;
    private volatile long lastLiveBytes;
    /** The polling thread; stops when {@link #closed}. */
    private Thread poller;
    private volatile boolean closed;
    /** A young collection left the heap above the limit: the poller should force a full one. */
    private volatile boolean fullGcWanted;
    /** When the poller last forced a full collection. Poller thread only. */
    private long fullGcForcedNs = System.nanoTime() - FULL_GC_INTERVAL_NS_MIN;
    /** Sum of all collectors' counts when check() last ran. Guarded by this. */
    private long collectionsChecked = -1;
    /** Sum of all collectors' counts at the last poll. Guarded by this. */
    private long collectionsSeen;

    private HeapMonitor(long limitBytesSoft, long graceBytes, long reserveBytes, int confirmations, Blame blame) {
        this.limitBytesSoft = limitBytesSoft;
        this.graceBytes = graceBytes;
        this.reserveBytes = reserveBytes;
        this.confirmations = confirmations;
        this.blame = blame;
        this.maxHeapBytes = Runtime.getRuntime().maxMemory();
    }

    /**
     * Installs the process's monitor; {@code blame} raises the memory error in the task it blames. The caller
     * loads what raising and containing need beforehand, while memory is plentiful.
     *
     * @throws IllegalStateException if one is installed
     */
    public static synchronized HeapMonitor install(long limitBytesSoft, long graceBytes, long reserveBytes,
            int confirmations, Blame blame) {
        if (installed != null) {
            throw new IllegalStateException("a heap watchdog is already installed (soft limit "
                    + ByteSizes.format(installed.limitBytesSoft) + "); close it before installing another");
        }
        HeapMonitor m = new HeapMonitor(limitBytesSoft, graceBytes, reserveBytes, confirmations, blame);
        m.start();
        installed = m;
        return m;
    }

    /** The installed monitor, or null. */
    public static HeapMonitor installed() {
        return installed;
    }

    private void start() {
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() != MemoryType.HEAP) {
                continue;
            }
            heapPools.add(pool.getName());
            if (pool.isCollectionUsageThresholdSupported()) {
                long max = pool.getUsage().getMax();
                long threshold = max > 0 ? Math.min(max, limitBytesSoft) : limitBytesSoft;
                pool.setCollectionUsageThreshold(threshold);
                unregister.add(() -> pool.setCollectionUsageThreshold(0));
            }
        }
        NotificationListener onGc = this::onNotification;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            if (gc instanceof NotificationEmitter e) {
                e.addNotificationListener(onGc, null, null);
                unregister.add(() -> removeQuietly(e, onGc));
            }
        }
        if (ManagementFactory.getMemoryMXBean() instanceof NotificationEmitter e) {
            e.addNotificationListener(onGc, null, null);
            unregister.add(() -> removeQuietly(e, onGc));
        }
        armReserve(reserveBytes);
        TaskAllocation.enable();
        collectionsSeen = collections();
        poller = OwnThreads.daemon("weft-heap-watchdog").priority(Thread.MAX_PRIORITY)
                .start(this::poll);
    }

    /**
     * The watchdog thread: every {@link #POLL_INTERVAL_NS_DEFAULT} (or {@link #POLL_INTERVAL_NS_IDLE}), if a collection happened, checks the
     * pools' usage after their last collection. Things that don't work: relying on GC notifications alone;
     * the JDK's notification thread was measured delivering them seconds late on a busy two-core machine,
     * after the heap was long exhausted. Solution: poll the cheap counters too; both paths call check().
     */
    private void poll() {
        while (!closed) {
            boolean pressure = fullGcWanted || TaskAllocation.isCounting();
            LockSupport.parkNanos(pressure ? POLL_INTERVAL_NS_DEFAULT : POLL_INTERVAL_NS_IDLE);
            try {
                if (fullGcWanted && System.nanoTime() - fullGcForcedNs >= FULL_GC_INTERVAL_NS_MIN) {
                    fullGcWanted = false;
                    fullGcForcedNs = System.nanoTime();
                    System.gc(); // the only way to learn the live heap; at most once per interval
                }
                long n = collections();
                boolean full = false;
                long live = 0;
                synchronized (this) {
                    if (n == collectionsSeen) {
                        continue;
                    }
                    collectionsSeen = n;
                }
                for (GarbageCollectorMXBean gc : COLLECTORS) {
                    String name = gc.getName();
                    if (name.contains("Old") || name.contains("MarkSweep") || name.contains("Full")) {
                        full |= gc.getCollectionCount() > fullSeen;
                        fullSeen = Math.max(fullSeen, gc.getCollectionCount());
                    }
                }
                // After a collection, everything outside eden survived it (G1's old-gen "collection usage" is
                // only updated by mixed and full collections, so it cannot be used).
                for (MemoryPoolMXBean pool : POOLS) {
                    if (pool.getType() == MemoryType.HEAP && !pool.getName().contains("Eden")) {
                        live += pool.getUsage().getUsed();
                    }
                }
                check(live, full);
            } catch (Throwable t) {
                if (t instanceof OutOfMemoryError) {
                    releaseReserve();
                }
            }
        }
    }

    /** Full collections seen by the poller. Poller thread only. */
    private long fullSeen;

    private static final List<GarbageCollectorMXBean> COLLECTORS = ManagementFactory.getGarbageCollectorMXBeans();
    private static final List<MemoryPoolMXBean> POOLS = ManagementFactory.getMemoryPoolMXBeans();

    private static long collections() {
        long n = 0;
        for (GarbageCollectorMXBean gc : COLLECTORS) {
            n += Math.max(0, gc.getCollectionCount());
        }
        return n;
    }

    private static void removeQuietly(NotificationEmitter e, NotificationListener l) {
        try {
            e.removeNotificationListener(l);
        } catch (javax.management.ListenerNotFoundException ignored) {
            // already gone
        }
    }

    /** Uninstalls: stops attribution, removes listeners and thresholds, drops the reserve. */
    public void close() {
        synchronized (HeapMonitor.class) {
            if (installed != this) {
                return;
            }
            installed = null;
        }
        closed = true;
        poller.interrupt();
        TaskAllocation.disable();
        for (Runnable r : unregister) {
            r.run();
        }
        reserve = null;
        reserveBytesArmed = 0;
    }

    private void onNotification(Notification n, Object handback) {
        try {
            switch (n.getType()) {
                case GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION -> {
                    var info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
                    long live = 0;
                    for (Map.Entry<String, MemoryUsage> e : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
                        if (heapPools.contains(e.getKey())) {
                            live += e.getValue().getUsed();
                        }
                    }
                    boolean full = info.getGcAction().contains("major") || info.getGcName().contains("Old")
                            || info.getGcName().contains("MarkSweep");
                    check(live, full);
                }
                case MemoryNotificationInfo.MEMORY_COLLECTION_THRESHOLD_EXCEEDED -> {
                    long live = 0;
                    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
                        if (pool.getType() == MemoryType.HEAP && pool.getCollectionUsage() != null) {
                            live += pool.getCollectionUsage().getUsed();
                        }
                    }
                    check(live, false);
                }
                default -> { }
            }
        } catch (Throwable t) {
            // A failing check must not take the notification thread down; the next GC retries.
            if (t instanceof OutOfMemoryError) {
                releaseReserve();
            }
        }
    }

    /** One check, after a GC. Notification or watchdog thread. */
    private synchronized void check(long liveBytes, boolean fullGc) {
        if (DEBUG) {
            System.err.println("weft-watchdog: " + ManagementFactory.getRuntimeMXBean().getUptime() + "ms live="
                    + ByteSizes.format(liveBytes) + " full=" + fullGc + " above=" + above);
        }
        long n = collections();
        if (n == collectionsChecked) {
            return; // the same collection, reported by the other path
        }
        collectionsChecked = n;
        checks.incrementAndGet();
        lastLiveBytes = liveBytes;
        if (liveBytes > peakLiveBytes) {
            peakLiveBytes = liveBytes;
        }
        if (liveBytes > maxHeapBytes - 2 * reserveBytes) {
            releaseReserve();
        } else if (liveBytes < limitBytesSoft) {
            armReserve(reserveBytes);
        }
        TaskAllocation.count(liveBytes > limitBytesSoft * ATTRIBUTION_FRACTION);
        if (liveBytes <= limitBytesSoft) {
            above = 0;
            TaskAllocation.closeWindow();
            return;
        }
        above++;
        if (!fullGc && above < YOUNG_CONFIRMATIONS_MAX) {
            // A young collection's "after" counts old garbage as live: ask for a full collection to be sure.
            if (above >= confirmations) {
                fullGcWanted = true;
                LockSupport.unpark(poller);
            }
            return;
        }
        if (outstanding != null && outstanding.isRunning()) {
            return; // one raised task at a time: let it unwind first
        }
        outstanding = null;
        TaskAllocation.Top top = TaskAllocation.closeWindow();
        TaskHandle t = top.task();
        if (t == null || !t.isRunning()) {
            return;
        }
        if (DEBUG) {
            System.err.println("weft-watchdog: raise in '" + t.name() + "' (" + ByteSizes.format(top.bytes()) + ")");
        }
        if (blame.raise(t, limitBytesSoft, graceBytes, top.bytes(), liveBytes)) {
            raises.incrementAndGet();
            outstanding = t;
        }
    }

    private static void armReserve(long bytes) {
        if (reserve != null || bytes <= 0) {
            return;
        }
        try {
            reserve = new byte[(int) Math.min(Integer.MAX_VALUE - 16, bytes)];
            reserveBytesArmed = bytes;
        } catch (OutOfMemoryError e) {
            reserve = null; // not now; the next GC below the limit tries again
        }
    }

    /** Drops the emergency reserve; returns whether it was armed. Any thread. */
    public static boolean releaseReserve() {
        boolean was = reserve != null;
        reserve = null;
        if (was) {
            RESERVE_RELEASES.incrementAndGet();
        }
        return was;
    }

    /** Whether the reserve is armed. */
    public static boolean reserveArmed() {
        return reserve != null;
    }

    /**
     * A real {@link OutOfMemoryError} ended a task and is contained to it (the caller turns it into the task's
     * memory error): drops the reserve and counts it. Returns the installed monitor (whose soft limit and grace
     * the error reports), or null. Any thread.
     */
    public static HeapMonitor containOutOfMemory() {
        releaseReserve();
        OOMS_CONTAINED.incrementAndGet();
        return installed;
    }

    /** Immutable snapshot for {@code HeapWatchdog.statistics()}. */
    public record Snapshot(long limitBytesSoft, long graceBytes, long reserveBytes, boolean reserveArmed,
            long lastLiveBytes, long peakLiveBytes, long checks, long raises, long oomsContained,
            long reserveReleases) {}

    /** This monitor's statistics. */
    public Snapshot snapshot() {
        return new Snapshot(limitBytesSoft, graceBytes, reserveBytes, reserve != null, lastLiveBytes, peakLiveBytes,
                checks.get(), raises.get(), OOMS_CONTAINED.get(), RESERVE_RELEASES.get());
    }

    /** The highest live heap after GC seen by any monitor. */
    public static long peakLiveBytes() {
        return peakLiveBytes;
    }

    /** Number of real OutOfMemoryErrors contained to a task. */
    public static long oomsContained() {
        return OOMS_CONTAINED.get();
    }

    /** Used by tests and reports. */
    public long limitBytesSoft() {
        return limitBytesSoft;
    }

    /** The grace the blamed task gets. */
    public long graceBytes() {
        return graceBytes;
    }

    /** Armed reserve size (0 when never armed). */
    public static long reserveBytesArmed() {
        return reserveBytesArmed;
    }
}
