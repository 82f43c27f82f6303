package dev.weft.internal.budget;

import java.lang.management.ManagementFactory;
import java.util.List;

/**
 * Allocation attribution for platform threads that are not Weft carriers: a program's own threads under
 * {@code weft run}, which the heap watchdog can blame like a task. Each platform thread has its own allocation counter
 * ({@code ThreadMXBean.getThreadAllocatedBytes}, which works for platform threads only), so a window's bytes are the
 * counter now minus the counter when the window opened.
 *
 * {@snippet class=dev.weft.internal.budget.ThreadAllocationSnippets region=use}
 *
 * <p>Things that don't work: blaming the root task for a platform thread's heap. The root task waits for the
 * program's threads; the thread that filled the heap is not a task and could only be reported once an
 * {@code OutOfMemoryError} had ended it (after the real heap was gone). Solution: the thread's own counter competes
 * with the tasks' windows, and a thread that allocated the most is blamed through {@link Candidates#raise}.
 *
 * <h2>Thread safety</h2>
 * The candidates hook is volatile; the window's baselines are read and written by the watchdog thread only.
 */
public final class ThreadAllocation {
    private ThreadAllocation() {}

    /** At most this many threads are looked at per window (a limit on the watchdog's work per check). */
    static final int THREADS_MAX = 1024;

    /** Which platform threads may be blamed, and what blaming one does. Implemented by {@code weft run}'s child. */
    public interface Candidates {
        /** The platform threads that may be blamed now (the program's own; no Weft carriers). The watchdog thread. */
        List<Thread> threads();

        /**
         * Blames {@code thread}, which allocated {@code allocatedBytes} in the window while the live heap after a full
         * collection is {@code liveBytes}; false if it cannot be blamed (already blamed, ended). {@code runnerUp}, if
         * not null, is a second thread that allocated enough in the same window to be blamed too
         * ({@code runnerUpBytes}): counters measure allocation, not what a thread keeps, so the report names it. The
         * watchdog thread.
         */
        boolean raise(Thread thread, long limitBytesSoft, long graceBytes, long allocatedBytes, long liveBytes,
                Thread runnerUp, long runnerUpBytes);
    }

    /** The hook, or null (no platform thread is ever blamed then). */
    private static volatile Candidates candidates;

    /** The window's baselines: thread ids and their counters when the window opened. Watchdog thread only. */
    private static long[] baseIds = new long[0];
    private static long[] baseBytes = new long[0];

    /**
     * Installs (or, with null, removes) the hook. Calls it once first, while memory is plentiful: the first listing
     * of the live threads took 26 ms (its method handles and streams loading), between the collection that decided
     * and the verdict.
     */
    public static void blameThreads(Candidates c) {
        if (c != null) {
            for (Thread t : c.threads()) {
                counter(t.threadId());
            }
        }
        candidates = c;
    }

    /** The installed hook, or null. */
    static Candidates candidates() {
        return candidates;
    }

    /**
     * The leading thread of a window and its bytes (thread null if none), and the thread second to it (null if
     * none).
     */
    public record Top(Thread thread, long bytes, Thread runnerUp, long runnerUpBytes) {
        /** A window with no second thread. */
        public Top(Thread thread, long bytes) {
            this(thread, bytes, null, 0);
        }
    }

    /** Opens the next window: each candidate's counter now is its baseline. The watchdog thread only. */
    static void closeWindow() {
        Candidates c = candidates;
        if (c == null) {
            return;
        }
        List<Thread> threads = c.threads();
        int n = Math.min(THREADS_MAX, threads.size());
        long[] ids = new long[n];
        long[] bytes = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = threads.get(i).threadId();
            bytes[i] = counter(ids[i]);
        }
        baseIds = ids;
        baseBytes = bytes;
    }

    /**
     * The candidate that allocated the most since the window opened (a thread started since counts from 0). The
     * watchdog thread only.
     */
    static Top leader() {
        Candidates c = candidates;
        if (c == null) {
            return new Top(null, 0);
        }
        Thread best = null;
        long bestBytes = 0;
        Thread second = null;
        long secondBytes = 0;
        List<Thread> threads = c.threads();
        for (int i = 0, n = Math.min(THREADS_MAX, threads.size()); i < n; i++) {
            Thread t = threads.get(i);
            if (t.isVirtual()) {
                continue; // the JDK keeps no counter per virtual thread
            }
            long now = counter(t.threadId());
            long bytes = now < 0 ? 0 : now - baseline(t.threadId());
            if (bytes > bestBytes) {
                second = best;
                secondBytes = bestBytes;
                bestBytes = bytes;
                best = t;
            } else if (bytes > secondBytes) {
                secondBytes = bytes;
                second = t;
            }
        }
        return new Top(best, bestBytes, second, secondBytes);
    }

    private static long baseline(long id) {
        long[] ids = baseIds;
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] == id) {
                return baseBytes[i];
            }
        }
        return 0;
    }

    private static long counter(long threadId) {
        return Threads.THREADS.getThreadAllocatedBytes(threadId);
    }

    /** Holder: loading this class does not start the management machinery. */
    private static final class Threads {
        static final com.sun.management.ThreadMXBean THREADS =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    }
}
