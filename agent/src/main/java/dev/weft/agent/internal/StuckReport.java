package dev.weft.agent.internal;

import dev.weft.Weft;
import dev.weft.internal.cancel.ProgramCancel;
import dev.weft.internal.jdk.LiveThreads;
import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.Map;

/**
 * What {@code weft run} prints when a program did not stop within its deadline plus the grace: the Weft task tree
 * and every thread of the program still running (platform and virtual), each with where it is stuck and a one-line hint at the
 * cause (code Weft cannot cancel safely, by design or for want of a check).
 */
final class StuckReport {
    private StuckReport() {}

    /** Frames shown per thread. */
    static final int FRAMES_MAX = 8;

    static String render(long graceMs) {
        StringBuilder sb = new StringBuilder();
        sb.append("weft run: the program did not stop within its deadline plus the grace of ").append(graceMs)
                .append(" ms; halting. Still running:\n");
        try {
            sb.append(Weft.dump());
        } catch (RuntimeException | Error e) {
            sb.append("(task tree unavailable: ").append(e).append(")\n");
        }
        Map<Long, Thread> live = new HashMap<>();
        for (Thread t : LiveThreads.snapshot()) {
            live.put(t.threadId(), t);
        }
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (ThreadInfo ti : mx.dumpAllThreads(mx.isObjectMonitorUsageSupported(), mx.isSynchronizerUsageSupported())) {
            Thread t = ti == null ? null : live.get(ti.getThreadId());
            if (t == null || !ProgramCancel.isProgramThread(t) || LiveThreads.idleInPool(t)) {
                continue; // the JVM's, Weft's, the launcher's, or a pool worker waiting for work
            }
            StackTraceElement[] st = ti.getStackTrace();
            sb.append("thread '").append(ti.getThreadName()).append("' ").append(ti.getThreadState());
            sb.append(": ").append(hint(ti)).append('\n');
            appendFrames(sb, st);
        }
        for (Thread t : live.values()) {
            if (!t.isVirtual() || !ProgramCancel.isProgramThread(t)) {
                continue; // platform threads above; Weft tasks in the tree
            }
            StackTraceElement[] st = t.getStackTrace();
            Thread.State state = t.getState();
            sb.append("virtual thread '").append(t.getName().isEmpty() ? "#" + t.threadId() : t.getName())
                    .append("' ").append(state).append(": ")
                    .append(hint(state, st, new MonitorInfo[0], null, null)).append('\n');
            appendFrames(sb, st);
        }
        return sb.toString();
    }

    private static void appendFrames(StringBuilder sb, StackTraceElement[] st) {
        for (int i = 0; i < Math.min(FRAMES_MAX, st.length); i++) {
            sb.append("    at ").append(st[i]).append('\n');
        }
    }

    /** The likeliest reason the thread was not cancelled, with the fix where there is one. */
    static String hint(ThreadInfo ti) {
        return hint(ti.getThreadState(), ti.getStackTrace(), ti.getLockedMonitors(), ti.getLockOwnerName(),
                ti.getLockInfo());
    }

    /** As {@link #hint(ThreadInfo)}, from what a thread shows (a virtual thread shows no monitors or locks). */
    static String hint(Thread.State state, StackTraceElement[] st, MonitorInfo[] monitors, String lockOwner,
            LockInfo lock) {
        for (StackTraceElement e : st) {
            if (e.getMethodName().equals("<clinit>")) {
                return "in a static initializer of " + e.getClassName() + " (never cancelled: an interrupted"
                        + " initializer would leave the class unusable for good)";
            }
        }
        if (state == Thread.State.BLOCKED) {
            return "waiting to enter a synchronized block held by '" + lockOwner + "' (monitor entry is"
                    + " not interruptible)";
        }
        if (monitors.length > 0) {
            return "holding a monitor (" + monitors[0] + "): a cancel is held back until the monitor is released";
        }
        if (state == Thread.State.WAITING && st.length > 0
                && containsFrame(st, "java.util.concurrent.locks.ReentrantLock", "lock")) {
            return "in an uninterruptible ReentrantLock.lock() (use lockInterruptibly() to make it cancellable)";
        }
        if (st.length > 0 && st[0].isNativeMethod() && state == Thread.State.RUNNABLE) {
            return "in native code " + st[0].getClassName() + "." + st[0].getMethodName() + " (not interruptible)";
        }
        if (state == Thread.State.RUNNABLE && st.length > 0 && isJdk(st[0].getClassName())) {
            String pkg = st[0].getClassName().substring(0, st[0].getClassName().lastIndexOf('.'));
            return "in uninstrumented JDK code " + pkg + ": add --instrument '" + pkg + ".**'";
        }
        if (state == Thread.State.RUNNABLE) {
            return "running code without a cancellation check (a class the agent skipped, or an @Uncancellable"
                    + " method)";
        }
        return "waiting (" + (lock == null ? "no lock" : lock) + ")";
    }

    private static boolean containsFrame(StackTraceElement[] st, String cls, String method) {
        for (StackTraceElement e : st) {
            if (e.getClassName().equals(cls) && e.getMethodName().equals(method)) {
                return true;
            }
        }
        return false;
    }

    private static boolean isJdk(String cls) {
        return cls.startsWith("java.") || cls.startsWith("jdk.") || cls.startsWith("sun.");
    }
}
