package dev.weft.internal.cancel;

import dev.weft.internal.jdk.HeldMonitors;

/**
 * What the agent's compiled checks do (entered through {@code dev.weft.abi.AgentHooks}): the cancellation check at
 * back-edges and method entries, and the count of monitors the task holds in compiled code.
 *
 * <p>The rule: a cancel is never delivered while the task holds a monitor. Monitors the agent compiled are
 * counted ({@link WaitingTask#monitorDepth}); a monitor taken by code the agent did not compile (a
 * {@code synchronized} JDK method calling back into the application, {@code Vector.forEach(lambda)}) is found by a
 * stack walk ({@link HeldMonitors}) just before the throw. While one is held, the walk is retried after 1, 2,
 * 4 ... {@link #FOREIGN_MONITOR_BACKOFF_MAX} checks, not at every one; a walk that fails for want of memory or
 * stack counts as "held" up to {@link #FOREIGN_MONITOR_FAILURES_MAX} times per cancellation, then the cancel is
 * delivered rather than never.
 */
public final class AgentChecks {
    private AgentChecks() {}

    /** Walks that may fail for want of memory or stack before the cancel is delivered regardless. */
    public static final int FOREIGN_MONITOR_FAILURES_MAX = 8;

    /** Most checks skipped between two stack walks while a foreign monitor delays a cancellation. */
    public static final int FOREIGN_MONITOR_BACKOFF_MAX = 1 << 10;

    /** The compiled check. */
    public static void poll() {
        if (PendingCancels.count != 0) {
            pollSlow();
        }
    }

    private static void pollSlow() {
        WaitingTask t = WaitingTask.ofCurrentThread();
        if (t == null) {
            ProgramCancel.pollForeign(); // a thread the program started itself, under weft run
            return;
        }
        // never inside a monitor: the next check outside delivers
        if (t.monitorDepth != 0) {
            return;
        }
        Object hit = t.visibleCancelScope();
        if (hit == null) {
            return;
        }
        if (hit != t.foreignMonitorScope) { // a new cancellation: no back-off left over from an earlier one
            t.resetAgentBackoff();
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
            t.foreignMonitorBackoff = Math.min(FOREIGN_MONITOR_BACKOFF_MAX, Math.max(1, 2 * t.foreignMonitorBackoff));
            t.foreignMonitorSkips = t.foreignMonitorBackoff;
            return;
        }
        t.checkpoint(); // throws (and resets the back-off)
    }

    /** A monitor entered in compiled code. */
    public static void monitorEntered() {
        WaitingTask t = WaitingTask.ofCurrentThread();
        if (t != null) {
            t.monitorDepth++;
        }
    }

    /** A monitor about to be released in compiled code. */
    public static void monitorExited() {
        WaitingTask t = WaitingTask.ofCurrentThread();
        if (t != null && t.monitorDepth > 0) {
            t.monitorDepth--;
        }
    }
}
