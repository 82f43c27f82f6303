package dev.weft.internal.budget;

import dev.weft.internal.task.TaskExtension;
import dev.weft.internal.task.TaskHandle;
import dev.weft.internal.task.TaskHooks;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.lang.management.ManagementFactory;

/**
 * Per-task allocation attribution: which task allocated the most heap since the heap watchdog last looked.
 *
 * <p>Things that don't work: {@code ThreadMXBean.getThreadAllocatedBytes} returns -1 for virtual threads on
 * JDK 25, and the JFR allocation events are sampled and asynchronous. Solution: a virtual thread allocates
 * in its carrier's TLAB, so the carrier's own counter measures what the mounted task allocates.
 * The carrier tells the mount observer ({@link TaskExtension.MountObserver}, installed by {@link #enable}) of
 * each mount, which publishes it ({@link #beforeMount}), and of the unmount, which reads the counter once
 * ({@link #afterMount}): the difference from the previous unmount on that carrier is the task's
 * mount plus the carrier's few bytes of scheduling. Things that don't work: reading the counter at mount and
 * at unmount; each read is a JNI call (about 20 ns on a quiet machine against a 226 ns switch; figures in
 * docs/benchmarks.md, "Memory budgets"). Even one read per unmount adds about a tenth to a switch, so the
 * read only happens under memory pressure
 * ({@link #count}); publishing the mount, which lets the watchdog blame a task that never unmounts, is
 * always on while a watchdog is installed.
 *
 * <p>Windows. A window is one watchdog period. Each task keeps one packed {@code long} (its mount word): the
 * low 48 bits are
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

    /** The mount observer while attribution is on ({@link TaskHooks#observeMounts}); allocation-free. */
    private static final TaskExtension.MountObserver<Mount> OBSERVER = new TaskExtension.MountObserver<>() {
        @Override
        public Mount mounted(TaskHandle task) {
            return beforeMount(task);
        }

        @Override
        public long unmounted(Mount m, TaskHandle task, long word) {
            return afterMount(m, task, word);
        }
    };

    /**
     * Whether unmounts read the carrier's counter (memory pressure: the live heap is above
     * {@link HeapMonitor#ATTRIBUTION_FRACTION} of the soft limit). Written by the watchdog; read by unmounts.
     */
    private static volatile boolean counting;

    private static final long BYTES_MASK = (1L << 48) - 1;

    /** Current window number (16 bits). Written by closeWindow; read by carriers. */
    private static volatile int window;
    /** Task that allocated the most in the current window, or null. Racy by design; see the class comment. */
    private static volatile TaskHandle top;
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

    /** Enables attribution: observes mounts (loads the thread MX bean first, off the hot path). */
    public static void enable() {
        carrierAllocatedBytes();
        TaskHooks.observeMounts(OBSERVER);
    }

    /** Disables attribution. */
    public static void disable() {
        TaskHooks.observeMounts(null);
        counting = false;
    }

    /**
     * Starts or stops reading the carrier counters at unmount. Starting first re-bases every carrier's
     * last reading on its current counter, so bytes from before are charged to nobody. The watchdog thread.
     */
    public static synchronized void count(boolean on) {
        if (on == counting) {
            return;
        }
        if (on) {
            for (Mount m : MOUNTS) {
                Mount.LAST_BYTES.setOpaque(m, Carrier.THREADS.getThreadAllocatedBytes(m.carrierId));
            }
            closeWindow();
        }
        counting = on;
    }

    /** Whether unmounts read the carrier counters now. */
    public static boolean isCounting() {
        return counting;
    }

    /** The current (platform) thread's allocated bytes since it started; -1 if unsupported. Allocation-free. */
    public static long carrierAllocatedBytes() {
        return Carrier.THREADS.getCurrentThreadAllocatedBytes();
    }

    /**
     * Called on the carrier after {@code task} unmounted, with the carrier's {@link Mount} from
     * {@link #beforeMount}: one read of the carrier's counter; what it allocated since the previous such
     * read on this carrier (the task's mount, plus the carrier's own few bytes of scheduling since the
     * previous unmount) is added to the task's packed window count, which is returned. Allocation-free.
     *
     * @param packed the task's previous packed value (0 initially)
     */
    public static long afterMount(Mount m, TaskHandle task, long packed) {
        if (!counting) {
            Mount.TASK.setOpaque(m, null);
            return packed;
        }
        long now = carrierAllocatedBytes();
        long delta = now - (long) Mount.LAST_BYTES.getOpaque(m);
        Mount.LAST_BYTES.setOpaque(m, now);
        Mount.TASK.setOpaque(m, null);
        if (delta < 0) {
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
    public record Top(TaskHandle task, long bytes) {}

    /**
     * Closes the current window and opens the next; returns the window's top allocator (task may be null),
     * counting tasks still mounted: their bytes since they were mounted (a task in a tight loop never
     * unmounts). The watchdog thread only.
     */
    public static synchronized Top closeWindow() {
        Top leader = leader();
        window = (window + 1) & 0xFFFF;
        top = null;
        topBytes = 0;
        return leader;
    }

    /**
     * The current window's top allocator (task may be null), counting tasks still mounted, without closing the
     * window: a check that blames nobody lets the counts grow. The watchdog thread only.
     */
    public static synchronized Top leader() {
        TaskHandle bestTask = top;
        long best = topBytes;
        for (Mount m : MOUNTS) {
            TaskHandle t = (TaskHandle) Mount.TASK.getOpaque(m);
            long before = (long) Mount.LAST_BYTES.getOpaque(m);
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

    /**
     * A carrier's current mount: written by the carrier with opaque stores (no fence on the switch path),
     * read by the watchdog with opaque loads; a stale read only blurs whom the watchdog blames.
     */
    public static final class Mount {
        private static final VarHandle TASK;
        private static final VarHandle LAST_BYTES;

        static {
            try {
                MethodHandles.Lookup l = MethodHandles.lookup();
                TASK = l.findVarHandle(Mount.class, "task", TaskHandle.class);
                LAST_BYTES = l.findVarHandle(Mount.class, "lastBytes", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        final long carrierId;
        /** The mounted task, or null. Opaque access. */
        private TaskHandle task;
        /** The carrier's counter at its last unmount (or when this record was made). Opaque access. */
        private long lastBytes;

        Mount(long carrierId) {
            this.carrierId = carrierId;
            this.lastBytes = carrierAllocatedBytes();
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
     * Called on the carrier before it mounts {@code task}: publishes the mount for the watchdog (which
     * counts a task that never unmounts by the carrier's counter) and returns the carrier's record, to
     * pass to {@link #afterMount}. No counter read; allocation-free after the carrier's first call.
     */
    public static Mount beforeMount(TaskHandle task) {
        Mount m = MOUNT.get();
        Mount.TASK.setOpaque(m, task);
        return m;
    }
}
