package dev.weft.internal.softlimit;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.ThrowingRunnable;
import dev.weft.Weft;
import dev.weft.internal.budget.ByteSizes;
import dev.weft.internal.budget.HeapMonitor;
import dev.weft.memory.HeapWatchdog;
import dev.weft.memory.MemoryLimitError;
import dev.weft.memory.WatchdogStatistics;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The child-JVM side of {@code weft run --soft-limit}: runs a program under the soft memory limit that the
 * launcher asked for, and turns a memory failure into exit status {@value #EXIT_MEMORY} and a one-paragraph
 * report (limit, peak, the task that hit it) instead of a crash with an {@link OutOfMemoryError}.
 *
 * {@snippet :
 * // In the child (dev.weft.agent.internal.RunMain), instead of Weft.exitStatus(...) around the program's main:
 * int status = SoftLimitRun.exitStatus(() -> Weft.run(options, () -> { main.invoke(args); return null; }));
 * System.exit(status);                                 // 122 + report after the memory error
 * }
 *
 * <p>The launcher side (parsing {@code --soft-limit} and {@code --heap}, the child's {@code -Xmx} and
 * properties) is {@code dev.weft.cli.SoftLimitSupport}; the two agree on {@link #PROPERTY_WATCHDOG} and the
 * runtime's {@code weft.memory.softLimit}.
 *
 * <p>Things that don't work: keeping this half in the command line's jar. The child's class path is the
 * user's program plus the runtime and agent jars, and the program's class path should not carry the command
 * line. Solution: the child half is runtime machinery (it only uses the watchdog); the command line is the
 * launcher. It has a package of its own, the top layer: it is a client of the public API ({@link Weft#run},
 * {@link HeapWatchdog}), and the memory machinery in {@code internal.budget} sits below that API.
 *
 * <p>Exit status {@value #EXIT_MEMORY}: the program hit the soft limit (or ran out of heap) and its cleanup
 * ran. Chosen outside the statuses Weft already uses (0, 1, 2, 124, 130) and below 128, so that it is not
 * mistaken for death by a signal (137 is what an OOM-killed process reports).
 *
 * @implNote The child installs a {@link HeapWatchdog} with the soft limit: allocation is attributed per
 * task, and after a GC that leaves the live heap above the limit the task that allocated the most is
 * cancelled with the memory error as the cause (the agent's back-edge checkpoints deliver it even in a
 * tight loop). Code without checkpoints runs on until the heap is exhausted; then the emergency reserve
 * is dropped and the {@link OutOfMemoryError} is contained to the task.
 */
public final class SoftLimitRun {
    /** Exit status after the program hit its soft memory limit (its cleanup ran). */
    public static final int EXIT_MEMORY = 122;
    /** Child system property ({@code on}) that asks {@link #startInChild()} to install the watchdog. */
    public static final String PROPERTY_WATCHDOG = "weft.memory.watchdog";
    /** How deep {@link #memoryError} and the cancellation check look into causes and suppressed exceptions. */
    private static final int CAUSE_DEPTH_MAX = 16;

    private SoftLimitRun() {}

    /**
     * The soft limit in force in the child, for one run of the program.
     *
     * {@snippet :
     * try (SoftLimitRun.Session s = SoftLimitRun.startInChild()) {   // null-safe: startInChild may return null
     *     // run the program; on failure: int status = s.exitStatus(failure);
     * }
     * }
     */
    public static final class Session implements AutoCloseable {
        private final HeapWatchdog watchdog; // set once by startInChild

        private Session(HeapWatchdog watchdog) {
            assert watchdog != null;
            this.watchdog = watchdog;
        }

        /**
         * The exit status for the program's outcome: {@value #EXIT_MEMORY} (after printing the report to
         * stderr) if it ended by the memory error, or -1 if the outcome is not a memory failure.
         *
         * @param failure what {@link Weft#run} threw, or null
         */
        public int exitStatus(Throwable failure) {
            MemoryLimitError e = memoryError(failure);
            if (e == null && !isMemoryCancellation(failure)) {
                return -1;
            }
            WatchdogStatistics s = watchdog.statistics();
            if (e == null) {
                e = s.lastError();
            }
            System.err.println(report(e, s));
            return EXIT_MEMORY;
        }

        /** Uninstalls the watchdog. */
        @Override
        public void close() {
            watchdog.close();
        }
    }

    /** In the child: installs the soft limit if the launcher asked for it ({@link #PROPERTY_WATCHDOG}); else null. */
    public static Session startInChild() {
        if (!"on".equals(System.getProperty(PROPERTY_WATCHDOG))) {
            return null;
        }
        return new Session(HeapWatchdog.install());
    }

    /**
     * Runs {@code program} (typically {@code Weft.run(...)} of the program's main) under the soft limit if the
     * launcher asked for it, and maps its outcome to an exit status: {@value #EXIT_MEMORY} with the report
     * for a memory failure, otherwise exactly what {@link Weft#exitStatus} returns. Without
     * {@link #PROPERTY_WATCHDOG} it is {@link Weft#exitStatus}.
     */
    public static int exitStatus(ThrowingRunnable<? extends Throwable> program) {
        Session session = startInChild();
        try {
            program.run();
            return 0;
        } catch (Throwable t) {
            int status = session == null ? -1 : session.exitStatus(t);
            return status >= 0 ? status : Weft.exitStatus(() -> {
                throw t;
            });
        } finally {
            if (session != null) {
                session.close();
            }
        }
    }

    /** The memory error in {@code t}, its causes or suppressed exceptions, or null. */
    static MemoryLimitError memoryError(Throwable t) {
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        return find(t, seen, 0);
    }

    private static MemoryLimitError find(Throwable t, Set<Throwable> seen, int depth) {
        if (t == null || depth > CAUSE_DEPTH_MAX || !seen.add(t)) {
            return null;
        }
        if (t instanceof MemoryLimitError e) {
            return e;
        }
        MemoryLimitError e = find(t.getCause(), seen, depth + 1);
        for (Throwable s : t.getSuppressed()) {
            if (e == null) {
                e = find(s, seen, depth + 1);
            }
        }
        return e;
    }

    private static boolean isMemoryCancellation(Throwable t) {
        for (int i = 0; i < CAUSE_DEPTH_MAX && t != null; i++, t = t.getCause()) {
            if (t instanceof Cancelled c && c.reason() == CancelReason.MEMORY || t instanceof OutOfMemoryError) {
                return true;
            }
        }
        return false;
    }

    /** The one-paragraph report. */
    static String report(MemoryLimitError e, WatchdogStatistics s) {
        long peakHeap = 0;
        for (MemoryPoolMXBean p : ManagementFactory.getMemoryPoolMXBeans()) {
            if (p.getType() == MemoryType.HEAP) {
                peakHeap += p.getPeakUsage().getUsed();
            }
        }
        String task = e == null || e.taskName() == null ? "an unknown task" : "task '" + e.taskName() + "'";
        String how = e == null ? "hit the limit" : switch (e.kind()) {
            case SOFT_LIMIT, GRACE_EXHAUSTED -> "was refused by memory budget '" + e.budgetName() + "'";
            case HEAP -> "allocated the most while the live heap stayed above the limit";
            case OUT_OF_MEMORY -> "ran out of heap (the OutOfMemoryError was contained to it)";
        };
        return "weft: memory limit: " + task + " " + how + "; soft limit " + ByteSizes.format(s.limitBytesSoft())
                + ", peak live heap after GC " + ByteSizes.format(Math.max(s.peakLiveBytes(), HeapMonitor.peakLiveBytes()))
                + ", peak heap usage " + ByteSizes.format(peakHeap) + " of " + ByteSizes.format(Runtime.getRuntime()
                .maxMemory()) + " max; " + s.raises() + " memory error(s) raised, " + s.oomsContained()
                + " OutOfMemoryError(s) contained. The task's cleanup ran with its grace and the emergency reserve,"
                + " and Weft exits with status " + EXIT_MEMORY + ". "
                + (e == null ? "" : "Details: " + e.getMessage());
    }

    /**
     * A child main for launchers without their own: {@code SoftLimitRun MAIN [ARGS...]} runs
     * {@code MAIN.main(ARGS)} as the root task under the soft limit and exits with its status
     * (0, 1 on failure, {@value #EXIT_MEMORY} on the memory error, 2 without MAIN).
     */
    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            System.err.println("usage: SoftLimitRun MAIN [ARGS...] (with -D" + PROPERTY_WATCHDOG + "=on)");
            System.exit(2);
        }
        MethodHandle main = MethodHandles.publicLookup().findStatic(Class.forName(args[0]), "main",
                MethodType.methodType(void.class, String[].class));
        String[] programArgs = Arrays.copyOfRange(args, 1, args.length);
        int status = exitStatus(() -> Weft.run(() -> {
            main.invoke(programArgs);
            return null;
        }));
        System.exit(status);
    }
}
