package dev.weft;

import dev.weft.internal.cancel.PendingCancels;
import dev.weft.internal.jdk.HeldMonitors;

/**
 * Static entry points to cancellation: explicit checkpoints, a cancellation query, and the hook the Weft
 * agent compiles into bytecode.
 *
 * {@snippet :
 * for (Row row : rows) {
 *     Cancellation.checkpoint();   // raises Cancelled here if the task was cancelled
 *     process(row);
 * }
 * }
 *
 * <p>The rule for cancellation points: an operation either always is one or never is. Checkpoints,
 * every Weft wait, and agent-compiled back-edges are; scope entry and exit, spawning and context
 * operations are not.
 */
public final class Cancellation {
    private Cancellation() {}

    /**
     * A cancellation point: raises {@link Cancelled} if the current task is inside a cancelled scope that
     * is not hidden by a shield. Outside a Weft task it does nothing.
     */
    public static void checkpoint() {
        if (PendingCancels.count != 0) {
            TaskImpl<?> t = TaskImpl.current();
            if (t != null) {
                t.checkpoint();
            }
        }
    }

    /** Whether the current task's next cancellation point would raise. False outside a task. */
    public static boolean isCancelled() {
        if (PendingCancels.count == 0) {
            return false;
        }
        TaskImpl<?> t = TaskImpl.current();
        return t != null && t.isCancelled();
    }

    /**
     * The hook the Weft agent compiles into loop back-edges and method entries.
     *
     * <p>Fast path: one read of a {@code static volatile} counter that is non-zero only while some cancel
     * scope anywhere in the process is cancelled; no allocation, small enough to inline. Slow path: if the
     * current thread is a Weft task inside a cancelled scope (and not shielded), throws {@link Cancelled},
     * exactly as {@link #checkpoint()}, unless the task holds a monitor: one the agent counted ({@link
     * #monitorEntered()}), or one taken by code the agent did not compile, such as a {@code synchronized} JDK
     * method calling back into the application ({@code Vector.forEach(lambda)}), found by a stack walk just
     * before the throw. Then the cancel waits for the first check outside. Never throws outside a Weft task.
     */
    public static void poll() {
        if (PendingCancels.count != 0) {
            pollSlow();
        }
    }

    private static void pollSlow() {
        TaskImpl<?> t = TaskImpl.current();
        // never inside a monitor: the next check outside delivers
        if (t == null || t.monitorDepth != 0) {
            return;
        }
        CancelScopeImpl hit = t.visibleCancel();
        if (hit == null) {
            return;
        }
        if (hit != t.foreignMonitorScope) { // a new cancellation: no back-off left over from an earlier one
            t.resetForeignMonitorBackoff();
            t.foreignMonitorScope = hit;
        }
        if (t.foreignMonitorSkips > 0) {
            t.foreignMonitorSkips--;
            return;
        }
        int held = HeldMonitors.check();
        if (held == HeldMonitors.FAILED && ++t.foreignMonitorFailures >= FOREIGN_MONITOR_FAILURES_MAX) {
            held = HeldMonitors.NOT_HELD; // out of memory or stack, again and again: deliver rather than never
        }
        if (held != HeldMonitors.NOT_HELD) {
            // a monitor the agent did not count: walk again after 1, 2, 4 ... 1,024 checks, not at every one
            t.foreignMonitorBackoff = Math.min(FOREIGN_MONITOR_BACKOFF_MAX, Math.max(1, 2 * t.foreignMonitorBackoff));
            t.foreignMonitorSkips = t.foreignMonitorBackoff;
            return;
        }
        t.checkpoint(); // throws (and resets the back-off)
    }

    /** Walks that may fail for want of memory or stack before the cancel is delivered regardless. */
    static final int FOREIGN_MONITOR_FAILURES_MAX = 8;

    /** Most checks skipped between two stack walks while a foreign monitor delays a cancellation. */
    static final int FOREIGN_MONITOR_BACKOFF_MAX = 1 << 10;

    /**
     * Agent hook, compiled just after each {@code monitorenter} and at the entry of each {@code synchronized}
     * method: until the matching {@link #monitorExited()}, {@link #poll()} does not throw in this task. Not for
     * application code.
     */
    public static void monitorEntered() {
        TaskImpl<?> t = TaskImpl.current();
        if (t != null) {
            t.monitorDepth++;
        }
    }

    /**
     * Agent hook, compiled just before each {@code monitorexit} and on every exit (return or throw) of a
     * {@code synchronized} method. Not for application code.
     */
    public static void monitorExited() {
        TaskImpl<?> t = TaskImpl.current();
        if (t != null && t.monitorDepth > 0) {
            t.monitorDepth--;
        }
    }
}
