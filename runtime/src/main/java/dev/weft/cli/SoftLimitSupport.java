package dev.weft.cli;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.ThrowingRunnable;
import dev.weft.Weft;
import dev.weft.internal.budget.ByteSizes;
import dev.weft.internal.budget.HeapMonitor;
import dev.weft.memory.HeapWatchdog;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryLimitError;
import dev.weft.memory.WatchdogStatistics;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The {@code --soft-limit SIZE} and {@code --heap SIZE} part of {@code weft run}: applies Weft's soft memory
 * limit to an unmodified program. The program gets the memory error in the task that allocates past the
 * limit, its {@code finally} blocks run, and the process exits with {@value #EXIT_MEMORY} and a one-paragraph
 * report (limit, peak, the task that hit it) instead of crashing with an {@link OutOfMemoryError}.
 *
 * {@snippet :
 * // In the launcher (weft run):
 * SoftLimitSupport.Flags mem = SoftLimitSupport.extract(args);   // strips --soft-limit / --heap
 * command.addAll(SoftLimitSupport.childJvmArgs(mem));             // before -cp; -Xmx, -Dweft.memory.*
 *
 * // In the child, instead of Weft.exitStatus(...) around the program's main:
 * int status = SoftLimitSupport.exitStatus(() -> Weft.run(options, () -> { main.invoke(args); return null; }));
 * System.exit(status);                                           // 122 + report after the memory error
 * }
 *
 * <p>Exit status {@value #EXIT_MEMORY}: the program hit the soft limit (or ran out of heap) and its cleanup
 * ran. Chosen outside the statuses Weft already uses (0, 1, 2, 124, 130) and below 128, so that it is not
 * mistaken for death by a signal (137 is what an OOM-killed process reports).
 *
 * @implNote The child installs a {@link HeapWatchdog} with the soft limit: allocation is attributed per
 * task, and after a GC that leaves the live heap above the limit the task that allocated the most is
 * cancelled with the memory error as the cause (the agent's back-edge checkpoints deliver it even in a
 * tight loop). Code without checkpoints runs on until the heap is exhausted; then the emergency reserve
 * is dropped and the {@link OutOfMemoryError} is contained to the task. The default {@code --heap} is
 * one and a half times the soft limit: room for the grace (an eighth), the reserve and garbage between GCs.
 */
public final class SoftLimitSupport {
    /** Exit status after the program hit its soft memory limit (its cleanup ran). */
    public static final int EXIT_MEMORY = 122;
    /** Child system property that asks {@link #startInChild()} to install the limit. */
    public static final String PROPERTY_WATCHDOG = "weft.memory.watchdog";

    private SoftLimitSupport() {}

    /**
     * The parsed flags.
     *
     * {@snippet :
     * SoftLimitSupport.Flags f = SoftLimitSupport.extract(new String[] {"--soft-limit", "64m", "-cp", "app.jar", "Main"});
     * // f.softLimitBytes() == 64 MiB, f.heapBytes() == -1, f.remaining() == ["-cp", "app.jar", "Main"]
     * }
     *
     * @param softLimitBytes the soft limit, or -1 if not given
     * @param heapBytes      the child's maximum heap, or -1 (then 1.5 x the soft limit, if one was given)
     * @param remaining      the arguments without the flags
     */
    public record Flags(long softLimitBytes, long heapBytes, String[] remaining) {
        /** Whether {@code --soft-limit} was given. */
        public boolean enabled() {
            return softLimitBytes > 0;
        }
    }

    /**
     * Extracts {@code --soft-limit SIZE} and {@code --heap SIZE} (also {@code --soft-limit=SIZE}) from the
     * options before {@code -cp}/{@code -jar}; everything else is kept, in order.
     *
     * @throws IllegalArgumentException for a missing or malformed size, or a heap smaller than the limit
     */
    public static Flags extract(String[] args) {
        long soft = -1;
        long heap = -1;
        List<String> rest = new ArrayList<>();
        boolean program = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!program && (a.equals("-cp") || a.equals("-classpath") || a.equals("--class-path") || a.equals("-jar"))) {
                program = true;
            }
            if (!program && (a.equals("--soft-limit") || a.equals("--heap"))) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException(a + " needs a size, e.g. " + a + " 64m");
                }
                long v = ByteSizes.parse(args[++i], a);
                if (a.equals("--soft-limit")) {
                    soft = v;
                } else {
                    heap = v;
                }
            } else if (!program && (a.startsWith("--soft-limit=") || a.startsWith("--heap="))) {
                String name = a.substring(0, a.indexOf('='));
                long v = ByteSizes.parse(a.substring(a.indexOf('=') + 1), name);
                if (name.equals("--soft-limit")) {
                    soft = v;
                } else {
                    heap = v;
                }
            } else {
                rest.add(a);
            }
        }
        if (soft == 0) {
            throw new IllegalArgumentException("--soft-limit must be positive");
        }
        if (soft > 0 && heap > 0 && heap <= soft) {
            throw new IllegalArgumentException("--heap " + ByteSizes.format(heap) + " must be larger than --soft-limit "
                    + ByteSizes.format(soft) + " (room for the grace, the emergency reserve and garbage); try --heap "
                    + (soft * 3 / 2 >> 20) + "m");
        }
        return new Flags(soft, heap, rest.toArray(String[]::new));
    }

    /** JVM options for the child (before {@code -cp}): {@code -Xmx}, the soft limit, the watchdog switch. */
    public static List<String> childJvmArgs(Flags flags) {
        List<String> out = new ArrayList<>();
        long heap = flags.heapBytes();
        if (heap < 0 && flags.enabled()) {
            heap = flags.softLimitBytes() * 3 / 2;
        }
        if (heap > 0) {
            out.add("-Xmx" + Math.max(1, (heap + (1 << 20) - 1) >> 20) + "m");
        }
        if (flags.enabled()) {
            out.add("-Dweft.memory.softLimit=" + flags.softLimitBytes());
            out.add("-D" + PROPERTY_WATCHDOG + "=on");
        }
        return out;
    }

    /**
     * The soft limit in force in the child, for one run of the program.
     *
     * {@snippet :
     * try (SoftLimitSupport.Session s = SoftLimitSupport.startInChild()) {   // null-safe: startInChild may return null
     *     // run the program; on failure: int status = s.exitStatus(failure);
     * }
     * }
     */
    public static final class Session implements AutoCloseable {
        private final HeapWatchdog watchdog;

        private Session(HeapWatchdog watchdog) {
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
            if (e == null) {
                e = HeapMonitor.lastError();
            }
            System.err.println(report(e, watchdog.statistics()));
            return EXIT_MEMORY;
        }

        /** Uninstalls the watchdog. */
        @Override
        public void close() {
            watchdog.close();
        }
    }

    /** In the child: installs the soft limit if the launcher asked for it ({@link #childJvmArgs}); else null. */
    public static Session startInChild() {
        if (!"on".equals(System.getProperty(PROPERTY_WATCHDOG))) {
            return null;
        }
        return new Session(HeapWatchdog.install());
    }

    /** The memory error in {@code t}, its causes or suppressed exceptions, or null. */
    static MemoryLimitError memoryError(Throwable t) {
        Set<Throwable> seen = java.util.Collections.newSetFromMap(new IdentityHashMap<>());
        return find(t, seen, 0);
    }

    private static MemoryLimitError find(Throwable t, Set<Throwable> seen, int depth) {
        if (t == null || depth > 16 || !seen.add(t)) {
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
        for (int i = 0; i < 16 && t != null; i++, t = t.getCause()) {
            if (t instanceof Cancelled c && c.reason() == CancelReason.MEMORY || t instanceof OutOfMemoryError) {
                return true;
            }
        }
        return false;
    }

    /**
     * Runs {@code program} (typically {@code Weft.run(...)} of the program's main) under the soft limit if the
     * launcher asked for it, and maps its outcome to an exit status: {@value #EXIT_MEMORY} with the report
     * for a memory failure, otherwise exactly what {@link Weft#exitStatus} returns. Without
     * {@code --soft-limit} it is {@link Weft#exitStatus}.
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
     * A child main for launchers without their own: {@code SoftLimitSupport MAIN [ARGS...]} runs
     * {@code MAIN.main(ARGS)} as the root task under the soft limit and exits with its status
     * (0, 1 on failure, {@value #EXIT_MEMORY} on the memory error).
     */
    public static void main(String[] args) throws Throwable {
        if (args.length == 0) {
            System.err.println("usage: SoftLimitSupport MAIN [ARGS...] (with -Dweft.memory.watchdog=on)");
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
