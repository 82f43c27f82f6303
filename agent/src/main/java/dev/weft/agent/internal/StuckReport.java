package dev.weft.agent.internal;

import dev.weft.Weft;
import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.MonitorInfo;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.Set;

/**
 * What {@code weft run} prints when a program did not stop within its deadline plus the grace: the Weft task tree
 * and every platform thread of the program still running, each with where it is stuck and a one-line hint at the
 * cause (code Weft cannot cancel safely, by design or for want of a check).
 */
final class StuckReport {
    private StuckReport() {}

    /** The JVM's own threads and Weft's, never the program's. */
    private static final Set<String> SYSTEM_THREADS = Set.of("Reference Handler", "Finalizer", "Signal Dispatcher",
            "Common-Cleaner", "Notification Thread", "Attach Listener", "DestroyJavaVM", "process reaper",
            "weft-run-bound");

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
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (ThreadInfo ti : mx.dumpAllThreads(mx.isObjectMonitorUsageSupported(), mx.isSynchronizerUsageSupported())) {
            if (ti == null || SYSTEM_THREADS.contains(ti.getThreadName()) || ti.getThreadName().startsWith("weft-")
                    || ti.getThreadName().endsWith("-timer") || ti.getThreadName().matches(".*-loop-\\d+")) {
                continue;
            }
            StackTraceElement[] st = ti.getStackTrace();
            sb.append("thread '").append(ti.getThreadName()).append("' ").append(ti.getThreadState());
            sb.append(": ").append(hint(ti)).append('\n');
            for (int i = 0; i < Math.min(FRAMES_MAX, st.length); i++) {
                sb.append("    at ").append(st[i]).append('\n');
            }
        }
        return sb.toString();
    }

    /** The likeliest reason the thread was not cancelled, with the fix where there is one. */
    static String hint(ThreadInfo ti) {
        StackTraceElement[] st = ti.getStackTrace();
        for (StackTraceElement e : st) {
            if (e.getMethodName().equals("<clinit>")) {
                return "in a static initializer of " + e.getClassName() + " (never cancelled: an interrupted"
                        + " initializer would leave the class unusable for good)";
            }
        }
        if (ti.getThreadState() == Thread.State.BLOCKED) {
            return "waiting to enter a synchronized block held by '" + ti.getLockOwnerName() + "' (monitor entry is"
                    + " not interruptible)";
        }
        MonitorInfo[] monitors = ti.getLockedMonitors();
        if (monitors.length > 0) {
            return "holding a monitor (" + monitors[0] + "): a cancel is held back until the monitor is released";
        }
        LockInfo lock = ti.getLockInfo();
        if (lock != null && ti.getThreadState() == Thread.State.WAITING && st.length > 0
                && containsFrame(st, "java.util.concurrent.locks.ReentrantLock", "lock")) {
            return "in an uninterruptible ReentrantLock.lock() (use lockInterruptibly() to make it cancellable)";
        }
        if (st.length > 0 && st[0].isNativeMethod() && ti.getThreadState() == Thread.State.RUNNABLE) {
            return "in native code " + st[0].getClassName() + "." + st[0].getMethodName() + " (not interruptible)";
        }
        if (ti.getThreadState() == Thread.State.RUNNABLE && st.length > 0 && isJdk(st[0].getClassName())) {
            String pkg = st[0].getClassName().substring(0, st[0].getClassName().lastIndexOf('.'));
            return "in uninstrumented JDK code " + pkg + ": add --instrument '" + pkg + ".**'";
        }
        if (ti.getThreadState() == Thread.State.RUNNABLE) {
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
