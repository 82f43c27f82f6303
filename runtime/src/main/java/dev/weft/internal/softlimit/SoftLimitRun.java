package dev.weft.internal.softlimit;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.ThrowingRunnable;
import dev.weft.Weft;
import dev.weft.internal.budget.ByteSizes;
import dev.weft.internal.budget.Collector;
import dev.weft.internal.budget.ThreadAllocation;
import dev.weft.internal.cancel.ProgramCancel;
import dev.weft.internal.budget.OutOfMemoryKind;
import dev.weft.memory.HeapWatchdog;
import dev.weft.memory.MemoryLimitError;
import dev.weft.memory.WatchdogStatistics;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The child-JVM side of {@code weft run --soft-limit}: runs a program under the soft memory limit that the
 * launcher asked for, and turns a memory failure into exit status {@value #EXIT_MEMORY} and a one-paragraph
 * report (limit, peak, the task that hit it) instead of a crash with an {@link OutOfMemoryError}.
 *
 * {@snippet class=dev.weft.internal.softlimit.SoftLimitRunSnippets region=child}
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
 * <p>Exit status {@value #EXIT_MEMORY}: the program hit the soft limit, or ran out of memory (the Java heap,
 * direct buffer memory, metaspace, native threads: the report says which), and its tasks have ended. Chosen
 * outside the statuses Weft already uses (0, 1, 2, 124, 130) and below 128, so that it is not mistaken for death
 * by a signal (137 is what an OOM-killed process reports). The report says that the cleanup of the task that hit
 * the limit completed only when that is known: the program ended with the task's memory error itself, of kind
 * SOFT_LIMIT or HEAP, with nothing suppressed (a {@code finally} block that threw would have replaced it or been
 * added to it). An {@link OutOfMemoryError} may have been thrown inside a {@code finally} block, and a task that
 * overran its grace was cancelled during its cleanup: the report says so.
 *
 * <p>Status 2 and one line, without running the program, if the watchdog cannot work in this JVM (an unsupported
 * collector: see {@link HeapWatchdog#install()}).
 *
 * @implNote The child installs a {@link HeapWatchdog} with the soft limit: allocation is attributed per
 * task, and after a full collection that leaves the live heap above the limit the task that allocated the most is
 * cancelled with the memory error as the cause (the agent's back-edge checkpoints deliver it even in a
 * tight loop). Code without checkpoints runs on until the heap is exhausted; then the emergency reserve
 * is dropped and the {@link OutOfMemoryError} is contained to the task.
 */
public final class SoftLimitRun {
    /** Exit status after the program hit its soft memory limit or ran out of memory (the report on stderr). */
    public static final int EXIT_MEMORY = 122;
    /** Exit status when the watchdog cannot work in this JVM (the program did not run). */
    public static final int EXIT_USAGE = 2;
    /** Child system property ({@code on}) that asks {@link #startInChild()} to install the watchdog. */
    public static final String PROPERTY_WATCHDOG = "weft.memory.watchdog";
    /**
     * Child system property: the collectors the soft limit accepts, by name ({@code G1}, {@code Parallel},
     * {@code Serial}), comma-separated; absent, every collector the watchdog supports. {@code weft run} sets
     * {@code G1}: the only one measured to hold the limit plus its grace on a loaded machine (see
     * {@link #checkCollector}).
     */
    public static final String PROPERTY_COLLECTORS = "weft.memory.softLimit.collectors";
    /** How deep {@link #memoryError} and the cancellation check look into causes and suppressed exceptions. */
    private static final int CAUSE_DEPTH_MAX = 16;

    private SoftLimitRun() {}

    /**
     * The soft limit in force in the child, for one run of the program.
     *
     * {@snippet class=dev.weft.internal.softlimit.SoftLimitRunSnippets region=session}
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
            ProgramThreadBlame blamed = programThreadBlame;
            if (e == null && blamed != null) {
                System.err.println(report(failure, blamed, watchdog.statistics(), ProcessMemory.read()));
                return EXIT_MEMORY;
            }
            if (e == null && !isMemoryCancellation(failure)) {
                return -1;
            }
            WatchdogStatistics s = watchdog.statistics();
            if (e == null) {
                e = s.lastError();
            }
            System.err.println(report(failure, e, s, ProcessMemory.read()));
            return EXIT_MEMORY;
        }

        /** Uninstalls the watchdog. */
        @Override
        public void close() {
            ThreadAllocation.blameThreads(null);
            watchdog.close();
        }
    }

    /**
     * In the child: installs the soft limit if the launcher asked for it ({@link #PROPERTY_WATCHDOG}); else null.
     *
     * @throws IllegalStateException if the watchdog cannot work in this JVM (the message names the fix)
     */
    public static Session startInChild() {
        if (!"on".equals(System.getProperty(PROPERTY_WATCHDOG))) {
            return null;
        }
        checkCollector(detectCollector(System.getProperty(PROPERTY_COLLECTORS)),
                System.getProperty(PROPERTY_COLLECTORS));
        Session session = new Session(HeapWatchdog.install());
        if (ProgramCancel.installed()) {
            ThreadAllocation.blameThreads(PROGRAM_THREADS); // weft run: the program's own platform threads too
        }
        return session;
    }

    /**
     * A platform thread the program started itself that the watchdog blamed: it allocated the most (by its own
     * counter) since the last check while the live heap stayed above the soft limit. The program is cancelled, as
     * after an {@link OutOfMemoryError} in that thread, but before the real heap runs out.
     *
     * @param name           the thread's name
     * @param allocatedBytes what it allocated in the watchdog's window
     * @param liveBytes      the live heap after the full collection that decided
     * @param carrier        whether it is a carrier of the JDK's virtual-thread scheduler
     *                       ({@link #isVirtualThreadCarrier})
     * @param runnerUpName   a second thread that allocated enough in the same window to be blamed too, or null
     * @param runnerUpBytes  what that thread allocated
     */
    record ProgramThreadBlame(String name, long allocatedBytes, long liveBytes, boolean carrier, String runnerUpName,
            long runnerUpBytes) {
        ProgramThreadBlame(String name, long allocatedBytes, long liveBytes, boolean carrier) {
            this(name, allocatedBytes, liveBytes, carrier, null, 0);
        }
    }

    /**
     * Whether {@code t} carries the JDK scheduler's virtual threads ({@link
     * dev.weft.internal.jdk.VirtualThreads#isDefaultSchedulerCarrier}): the program did not start it, but its allocation counter counts what the program's virtual threads allocated on it.
     *
     * <p>Things that don't work: naming it "a platform thread the program started". A program whose virtual thread
     * filled the heap got a report blaming {@code ForkJoinPool-1-worker-1} in those words. Solution: name it as the
     * carrier it is.
     */
    static boolean isVirtualThreadCarrier(Thread t) {
        return dev.weft.internal.jdk.VirtualThreads.isDefaultSchedulerCarrier(t);
    }

    /** The platform thread blamed, or null. Written once by the watchdog thread; read by the report. */
    private static volatile ProgramThreadBlame programThreadBlame;

    /**
     * {@code weft run}'s candidates for blame besides tasks: the program's own live platform threads
     * ({@link ProgramCancel#isProgramThread}); blaming one cancels the program with reason {@code MEMORY}.
     */
    private static final ThreadAllocation.Candidates PROGRAM_THREADS = new ThreadAllocation.Candidates() {
        /**
         * Things that don't work: {@code LiveThreads.snapshot()} (every thread container, virtual threads included):
         * on the watchdog's path from the collection that decided to the verdict it took 2 to 26 ms at load 8 to
         * 12 (against about 1 ms before), while the program allocated on. Solution: the thread groups' platform threads
         * ({@link ThreadGroup#enumerate}, which never lists a virtual thread): 0 to 1 ms in 6 of 8 runs at load 12.
         */
        @Override
        public List<Thread> threads() {
            ThreadGroup root = Thread.currentThread().getThreadGroup();
            while (root.getParent() != null) {
                root = root.getParent();
            }
            Thread[] all = new Thread[root.activeCount() + 16];
            int n = root.enumerate(all, true);
            List<Thread> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                Thread t = all[i];
                if (!t.isVirtual() && ProgramCancel.isProgramThread(t)) {
                    out.add(t);
                }
            }
            return out;
        }

        @Override
        public boolean raise(Thread thread, long limitBytesSoft, long graceBytes, long allocatedBytes,
                long liveBytes, Thread runnerUp, long runnerUpBytes) {
            if (programThreadBlame != null) {
                return false;
            }
            programThreadBlame = new ProgramThreadBlame(thread.getName(), allocatedBytes, liveBytes,
                    isVirtualThreadCarrier(thread), runnerUp == null ? null : runnerUp.getName(), runnerUpBytes);
            ProgramCancel.cancel(CancelReason.MEMORY); // interrupts the program's threads; the root is cancelled
            return true;
        }
    };

    /**
     * The collector, as {@link Collector#detect} finds it; a collector the watchdog does not support at all is refused
     * in the words of {@link #checkCollector} when only some are accepted.
     *
     * <p>Things that don't work: passing on {@link Collector#detect}'s refusal. Under {@code weft run --soft-limit}
     * with {@code -XX:+UseZGC} it said "run with -XX:+UseG1GC (the default), -XX:+UseParallelGC or
     * -XX:+UseSerialGC", two of which {@code --soft-limit} then refuses. Solution: name only the accepted collectors.
     */
    static Collector detectCollector(String accepted) {
        try {
            return Collector.detect();
        } catch (IllegalStateException e) {
            String[] unsupported = accepted == null ? null : Collector.unsupportedInUse();
            if (unsupported == null) {
                throw e;
            }
            throw new IllegalStateException("--soft-limit needs " + accepted.replace(",", " or ") + "; this JVM runs "
                    + unsupported[1] + " (-XX:+" + unsupported[0] + "), which gives the watchdog no full stop-the-world"
                    + " collection to measure the live heap; remove -XX:+" + unsupported[0] + " (G1 is the default), or"
                    + " bound memory with MemoryBudget reservations (no soft limit)", e);
        }
    }

    /**
     * Refuses a collector the soft limit does not accept ({@link #PROPERTY_COLLECTORS}; null accepts every collector
     * the watchdog supports).
     *
     * <p>Things that don't work: the soft limit under Parallel or Serial on a loaded machine. Their eden is a quarter
     * of the heap, which a program keeping what it allocates refills in about 10 ms, while the watchdog's thread waits
     * for a core; under {@code weft run --soft-limit 96m --heap 256m} with Parallel, 0 of 10 runs stopped within the
     * limit plus its grace (median 191.7 MiB held, 2 runs reached the real heap: docs/benchmarks.md, "Soft limit"), and
     * Serial did no better before. Solution: {@code weft run} accepts G1 only and says so before the program runs.
     *
     * @throws IllegalStateException naming the collector, its flag and the fix
     */
    static void checkCollector(Collector collector, String accepted) {
        if (accepted == null) {
            return;
        }
        for (String name : accepted.split(",")) {
            if (name.strip().equalsIgnoreCase(collector.displayName())) {
                return;
            }
        }
        throw new IllegalStateException("--soft-limit needs " + accepted.replace(",", " or ") + "; this JVM runs "
                + collector.displayName() + " (-XX:+" + collector.flag() + "), under which the program outruns the"
                + " watchdog on a busy machine (measured: 0 of 10 runs within the limit plus its grace under Parallel);"
                + " remove -XX:+" + collector.flag() + " (G1 is the default), or bound memory with MemoryBudget"
                + " reservations (no soft limit)");
    }

    /**
     * Runs {@code program} (typically {@code Weft.run(...)} of the program's main) under the soft limit if the
     * launcher asked for it, and maps its outcome to an exit status: {@value #EXIT_MEMORY} with the report
     * for a memory failure, otherwise exactly what {@link Weft#exitStatus} returns. Without
     * {@link #PROPERTY_WATCHDOG} it is {@link Weft#exitStatus}. If the watchdog cannot work in this JVM, prints
     * why on stderr and returns {@value #EXIT_USAGE} without running the program.
     */
    public static int exitStatus(ThrowingRunnable<? extends Throwable> program) {
        Session session;
        try {
            session = startInChild();
        } catch (IllegalStateException e) {
            System.err.println("weft: cannot run under --soft-limit: " + e.getMessage());
            return EXIT_USAGE;
        }
        try {
            program.run();
            return session != null && programThreadBlame != null ? session.exitStatus(null) : 0;
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

    /**
     * A thread the program started itself (not a Weft task) that an {@link OutOfMemoryError} ended: the report names
     * it, not the root task that rethrows its error.
     *
     * @param name           the thread's name
     * @param virtual        whether it is a virtual thread (whose own allocation counter the JDK does not keep)
     * @param allocatedBytes what the thread allocated over its life ({@code ThreadMXBean.getThreadAllocatedBytes};
     *                       a platform thread's own counter), or -1 if unknown (a virtual thread)
     * @param oom            the error that ended it
     */
    record ProgramThreadOom(String name, boolean virtual, long allocatedBytes, OutOfMemoryError oom) {}

    /** The first program thread ended by an OutOfMemoryError, or null. Written once by that thread; read by the report. */
    private static volatile ProgramThreadOom programThreadOom;

    /**
     * Records that an {@link OutOfMemoryError} ended {@code thread}, a thread the program started itself; called by
     * {@code weft run}'s uncaught-exception handler on that thread, before the program is cancelled. The first one
     * counts. The error is then contained as the root task's (the root rethrows it), and the report names this
     * thread and its allocation instead of the root task.
     */
    public static void programThreadRanOutOfMemory(Thread thread, OutOfMemoryError oom) {
        if (programThreadOom != null) {
            return;
        }
        long allocated = -1;
        if (!thread.isVirtual()) {
            try {
                var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
                allocated = thread == Thread.currentThread() ? threads.getCurrentThreadAllocatedBytes()
                        : threads.getThreadAllocatedBytes(thread.threadId());
            } catch (RuntimeException | OutOfMemoryError unknown) {
                allocated = -1;
            }
        }
        programThreadOom = new ProgramThreadOom(thread.getName(), thread.isVirtual(), allocated, oom);
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

    /** The one-paragraph report: what happened, every figure, whether the cleanup is known to have completed. */
    static String report(Throwable failure, MemoryLimitError e, WatchdogStatistics s, ProcessMemory process) {
        return report(failure, e, s, process, programThreadOom);
    }

    /** The report after the watchdog blamed a platform thread of the program's ({@link ProgramThreadBlame}). */
    static String report(Throwable failure, ProgramThreadBlame blamed, WatchdogStatistics s, ProcessMemory process) {
        StringBuilder r = new StringBuilder("weft: memory limit: thread '").append(blamed.name())
                .append(blamed.carrier() ? "' (a carrier of the JDK's scheduler for the virtual threads the program"
                        + " started, whose allocation it counts; it allocated " : "' (a platform thread the program"
                        + " started; it allocated ")
                .append(ByteSizes.format(blamed.allocatedBytes()))
                .append(" since the watchdog's last check, by its own counter) allocated the most while the live heap"
                        + " stayed above the soft limit (")
                .append(ByteSizes.format(blamed.liveBytes()))
                .append(" after a full collection; the program was cancelled)");
        if (blamed.runnerUpName() != null) {
            // Things that don't work: naming only the thread that allocated most. A thread churning garbage
            // allocates more than the one keeping the memory, and was named instead of it in 2 of 9 runs.
            // Solution: say what the counters measure, and name the other thread that allocated as much as a blame
            // needs.
            r.append("; thread '").append(blamed.runnerUpName()).append("' allocated ")
                    .append(ByteSizes.format(blamed.runnerUpBytes()))
                    .append(" in the same window: the counters measure allocation, not what each thread keeps, so"
                            + " the memory may be held by either");
        }
        figures(r, s, process);
        // Things that don't work: "the program was cancelled and its cleanup ran" up front. A main whose finally
        // joined the other threads was cancelled again at that join and ended with Cancelled, its cleanup cut short,
        // while the report said it ran. Solution: say only what the outcome shows, here.
        r.append(failure == null ? "The program's cleanup completed: it returned after the cancellation."
                : "Whether the program's cleanup completed is not known (it ended with " + failure + ").");
        r.append(" Weft exits with status ").append(EXIT_MEMORY).append('.');
        return r.toString();
    }

    /** The figures every report gives, from the soft limit to the memory errors counted. */
    private static void figures(StringBuilder r, WatchdogStatistics s, ProcessMemory process) {
        r.append("; soft limit ").append(ByteSizes.format(s.limitBytesSoft())).append(" of live heap (grace ")
                .append(ByteSizes.format(s.graceBytes())).append("); live heap ");
        if (s.checks() == 0 && s.peakLiveBytes() == 0) {
            r.append("not measured (no full collection)");
        } else {
            r.append("peaked at ").append(ByteSizes.format(s.peakLiveBytes())).append(" after a full collection (")
                    .append(ByteSizes.format(s.lastLiveBytes())).append(" after the last)");
        }
        r.append("; heap in use peaked at ").append(ByteSizes.format(s.peakHeapUsedBytes())).append(" of ")
                .append(ByteSizes.format(Runtime.getRuntime().maxMemory())).append(" max (").append(s.collector())
                .append(", ").append(s.collectionsForced()).append(" full collection(s) forced); direct buffers ")
                .append(ByteSizes.format(process.directBytes())).append(" of ")
                .append(ByteSizes.format(process.directBytesMax())).append(", mapped buffers ")
                .append(ByteSizes.format(process.mappedBytes())).append(" (not counted); process RSS ")
                .append(process.rss()).append("; ").append(s.raises()).append(" memory error(s) raised, ")
                .append(s.oomsContained()).append(" OutOfMemoryError(s) contained. ");
    }

    static String report(Throwable failure, MemoryLimitError e, WatchdogStatistics s, ProcessMemory process,
            ProgramThreadOom thread) {
        String task = e == null || e.taskName() == null ? "an unknown task" : "task '" + e.taskName() + "'";
        OutOfMemoryError oom = outOfMemory(failure, e);
        if (thread != null && (oom == null || oom == thread.oom())) {
            // the root task rethrew the error of a thread the program started: name that thread
            oom = thread.oom();
            e = null;
            task = "thread '" + thread.name() + "' (" + (thread.virtual() ? "a virtual thread the program started; the"
                    + " JDK counts no allocation per virtual thread" : "a platform thread the program started; it"
                    + " allocated " + (thread.allocatedBytes() < 0 ? "an unknown amount"
                            : ByteSizes.format(thread.allocatedBytes())) + " over its life") + ")";
        }
        String how = thread != null && e == null && oom == thread.oom() ? "ran out of "
                + OutOfMemoryKind.of(oom).what() + " (the error ended that thread; the program was cancelled and the"
                + " root task failed with it)"
                : e == null && oom == null ? "hit the limit" : e == null ? "ran out of "
                + OutOfMemoryKind.of(oom).what() + " (the OutOfMemoryError was not contained to a task)"
                : switch (e.kind()) {
                    case SOFT_LIMIT -> "was refused by memory budget '" + e.budgetName() + "'";
                    case GRACE_EXHAUSTED -> "overran the grace of memory budget '" + e.budgetName() + "' during its"
                            + " cleanup";
                    case HEAP -> "allocated the most while the live heap stayed above the soft limit";
                    case OUT_OF_MEMORY -> "ran out of " + (oom == null ? OutOfMemoryKind.JAVA_HEAP
                            : OutOfMemoryKind.of(oom)).what() + " (the OutOfMemoryError was contained to it)";
                };
        if (e == null && oom != null && oom != failure && (thread == null || oom != thread.oom())) {
            // Things that don't work: "an unknown task ran out of Java heap" of a main whose Future.get() threw an
            // ExecutionException: the pool's thread caught the error, and only main failed. Solution: say so.
            task = "the program";
            how = "failed with " + failure.getClass().getName() + " caused by an OutOfMemoryError: it ran out of "
                    + OutOfMemoryKind.of(oom).what() + " in a thread that handed the error on (a pool's Future, a"
                    + " CompletableFuture), so it was not contained to a task";
        }
        StringBuilder r = new StringBuilder("weft: memory limit: ").append(task).append(' ').append(how);
        figures(r, s, process);
        r.append(e == null && thread != null && oom == thread.oom() ? "Whether the thread's cleanup completed is"
                        + " not known: the OutOfMemoryError may have been thrown inside a finally block."
                        : cleanup(failure, e, oom))
                .append(" Weft exits with status ").append(EXIT_MEMORY).append('.');
        if (e != null) {
            r.append(" Details: ").append(e.getMessage());
        } else if (oom != null) {
            r.append(" Details: ").append(oom).append("; ").append(OutOfMemoryKind.of(oom).fix());
        }
        return r.toString();
    }

    /** The OutOfMemoryError behind the outcome: the memory error's cause, or the failure itself. */
    private static OutOfMemoryError outOfMemory(Throwable failure, MemoryLimitError e) {
        if (e != null && e.getCause() instanceof OutOfMemoryError oom) {
            return oom;
        }
        for (int i = 0; i < CAUSE_DEPTH_MAX && failure != null; i++, failure = failure.getCause()) {
            if (failure instanceof OutOfMemoryError oom && !(failure instanceof MemoryLimitError)) {
                return oom;
            }
        }
        return null;
    }

    /** The sentence about the cleanup of the task that hit the limit: "completed" only when that is known. */
    static String cleanup(Throwable failure, MemoryLimitError e, OutOfMemoryError oom) {
        if (e == null) {
            return "Whether the task's cleanup completed is not known (the program ended with " + failure + ").";
        }
        if (failure != e) {
            return "Whether the task's cleanup completed is not known: the program ended with " + failure
                    + ", not with the memory error.";
        }
        if (e.getSuppressed().length > 0 && e.getSuppressed()[0] instanceof Cancelled) {
            // TaskMemory adds the later Cancelled: before, "completed" was said of a finally cut short by it
            return "The task's cleanup did not complete: a cancellation point inside it threw the memory cancellation"
                    + " again (it holds until the task ends).";
        }
        if (e.getSuppressed().length > 0) {
            return "The task's cleanup did not complete cleanly: it threw " + e.getSuppressed()[0]
                    + (e.getSuppressed().length > 1 ? " and " + (e.getSuppressed().length - 1) + " more" : "") + ".";
        }
        return switch (e.kind()) {
            case SOFT_LIMIT, HEAP -> "The task's cleanup (its finally blocks) completed, with its grace.";
            case GRACE_EXHAUSTED -> "The task's cleanup did not complete: it overran the grace and was cancelled.";
            case OUT_OF_MEMORY -> "Whether the task's cleanup completed is not known: the OutOfMemoryError may have"
                    + " been thrown inside a finally block.";
        };
    }

    /**
     * The process's memory outside the heap: NIO buffers ({@link BufferPoolMXBean}) and, on Linux, the resident
     * set ({@code /proc/self/status}).
     *
     * @param directBytes    direct buffers' memory in use
     * @param directBytesMax the cap on it ({@code -XX:MaxDirectMemorySize}, by default the maximum heap)
     * @param mappedBytes    mapped files' buffers
     * @param rss            "X (peak Y)" from VmRSS and VmHWM, or "unknown" where there is no /proc/self/status
     */
    record ProcessMemory(long directBytes, long directBytesMax, long mappedBytes, String rss) {
        static ProcessMemory read() {
            long direct = 0;
            long mapped = 0;
            for (BufferPoolMXBean p : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class)) {
                if (p.getName().equals("direct")) {
                    direct = p.getMemoryUsed();
                } else if (p.getName().startsWith("mapped")) {
                    mapped += p.getMemoryUsed();
                }
            }
            return new ProcessMemory(direct, directCapBytes(), mapped, rssOf(Path.of("/proc/self/status")));
        }

        private static long directCapBytes() {
            var vm = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
            long max = Long.parseLong(vm.getVMOption("MaxDirectMemorySize").getValue());
            return max > 0 ? max : Runtime.getRuntime().maxMemory();
        }

        /** "X (peak Y)" from a Linux status file's VmRSS and VmHWM (kB), or "unknown". */
        static String rssOf(Path status) {
            List<String> lines;
            try {
                lines = Files.readAllLines(status);
            } catch (IOException | RuntimeException e) {
                return "unknown";
            }
            long rss = -1;
            long hwm = -1;
            for (String l : lines) {
                if (l.startsWith("VmRSS:")) {
                    rss = kib(l);
                } else if (l.startsWith("VmHWM:")) {
                    hwm = kib(l);
                }
            }
            if (rss < 0) {
                return "unknown";
            }
            return ByteSizes.format(rss) + (hwm >= 0 ? " (peak " + ByteSizes.format(hwm) + ")" : "");
        }

        private static long kib(String line) {
            String[] f = line.substring(line.indexOf(':') + 1).trim().split("\\s+");
            try {
                return Long.parseLong(f[0]) << 10;
            } catch (NumberFormatException e) {
                return -1;
            }
        }
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
