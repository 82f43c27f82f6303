package dev.weft.internal.budget;

import java.lang.management.ManagementFactory;

/**
 * Per-task allocation attribution: which task allocated the most heap since the heap watchdog last looked.
 *
 * <p>Things that don't work: {@code ThreadMXBean.getThreadAllocatedBytes} returns -1 for virtual threads on
 * JDK 25, and the JFR allocation events are sampled and asynchronous. Solution: a virtual thread allocates
 * in its carrier's TLAB, so the carrier's own counter, read when the Weft loop mounts the task and again
 * when it unmounts, measures what the task allocated while mounted. {@code TaskImpl.runOn} does exactly
 * that when {@link #enabled} is set, and hands the delta to {@link #afterMount}.
 *
 * <p>Windows. A window is one watchdog period. Each task keeps one packed {@code long}: the low 48 bits are
 * the bytes it allocated in the window, the high 16 bits the window number they belong to; a task whose
 * number is stale starts from zero. The task with the most bytes in the window is remembered in
 * {@link #top}; {@link #closeWindow()} returns it and opens the next window.
 *
 * <h2>Thread safety</h2>
 * {@link #afterMount} runs on carriers and is deliberately racy: a task can be remounted by another carrier
 * before the first stored its count, and two carriers can race on {@link #top}. A lost update costs one
 * mount's worth of attribution, which is acceptable for choosing whom to blame; nothing is allocated.
 */
public final class TaskAllocation {
    private TaskAllocation() {}

    /** Whether runOn attributes allocation. Written by the watchdog (install/close); read by every mount. */
    public static volatile boolean enabled;

    private static final long BYTES_MASK = (1L << 48) - 1;

    /** Current window number (16 bits). Written by closeWindow; read by carriers. */
    private static volatile int window;
    /** Task that allocated the most in the current window, or null. Racy by design; see the class comment. */
    private static volatile Object top;
    /** Bytes of {@link #top} in the current window. */
    private static volatile long topBytes;

    /** Holder so that loading this class (the flag) does not start the management machinery. */
    private static final class Carrier {
        static final com.sun.management.ThreadMXBean THREADS =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

        static {
            if (!THREADS.isThreadAllocatedMemoryEnabled()) {
                THREADS.setThreadAllocatedMemoryEnabled(true);
            }
        }
    }

    /** Enables attribution (loads the thread MX bean first, off the hot path). */
    public static void enable() {
        carrierAllocatedBytes();
        enabled = true;
    }

    /** Disables attribution. */
    public static void disable() {
        enabled = false;
    }

    /** The current (platform) thread's allocated bytes since it started; -1 if unsupported. Allocation-free. */
    public static long carrierAllocatedBytes() {
        return Carrier.THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * Called by the carrier after a task unmounted: adds what the carrier allocated since {@code beforeBytes}
     * to the task's packed window count and returns the new packed value. Allocation-free.
     *
     * @param task        the task (kept as the top allocator if it leads)
     * @param packed      the task's previous packed value (0 initially)
     * @param beforeBytes {@link #carrierAllocatedBytes()} read before mounting
     */
    public static long afterMount(Object task, long packed, long beforeBytes) {
        MOUNT.get().task = null;
        long delta = carrierAllocatedBytes() - beforeBytes;
        if (beforeBytes < 0 || delta < 0) {
            delta = 0;
        }
        int w = window;
        long bytes = ((int) (packed >>> 48)) == w ? packed & BYTES_MASK : 0;
        bytes = Math.min(BYTES_MASK, bytes + delta);
        if (bytes > topBytes) {
            topBytes = bytes;
            top = task;
        }
        return ((long) w << 48) | bytes;
    }

    /** The bytes in a packed value if it belongs to the current window, else 0. */
    public static long windowBytes(long packed) {
        return ((int) (packed >>> 48)) == window ? packed & BYTES_MASK : 0;
    }

    /** The leading task of the window being closed and its bytes. */
    public record Top(Object task, long bytes) {}

    /**
     * Closes the current window and opens the next; returns the window's top allocator (task may be null),
     * counting tasks still mounted: their bytes since they were mounted (a task in a tight loop never
     * unmounts). The watchdog thread only.
     */
    public static synchronized Top closeWindow() {
        Object bestTask = top;
        long best = topBytes;
        window = (window + 1) & 0xFFFF;
        top = null;
        topBytes = 0;
        for (Mount m : MOUNTS) {
            Object t = m.task;
            long before = m.beforeBytes;
            if (t == null || before < 0) {
                continue;
            }
            long now = Carrier.THREADS.getThreadAllocatedBytes(m.carrierId);
            if (now - before > best) {
                best = now - before;
                bestTask = t;
            }
        }
        return new Top(bestTask, best);
    }

    /** A carrier's current mount: written by the carrier, read by the watchdog. */
    private static final class Mount {
        final long carrierId;
        volatile Object task;
        volatile long beforeBytes = -1;

        Mount(long carrierId) {
            this.carrierId = carrierId;
        }
    }

    /** Every carrier that has mounted a task while attribution was on (carriers are few and long-lived). */
    private static final java.util.Set<Mount> MOUNTS = java.util.concurrent.ConcurrentHashMap.newKeySet();
    private static final ThreadLocal<Mount> MOUNT = ThreadLocal.withInitial(() -> {
        Mount m = new Mount(Thread.currentThread().threadId());
        MOUNTS.add(m);
        return m;
    });

    /**
     * Called by the carrier before it mounts {@code task}: publishes the mount for the watchdog and returns
     * the carrier's allocated bytes, to pass to {@link #afterMount}. Allocation-free after the carrier's
     * first call.
     */
    public static long beforeMount(Object task) {
        long before = carrierAllocatedBytes();
        Mount m = MOUNT.get();
        m.beforeBytes = before;
        m.task = task;
        return before;
    }
}
