package dev.weft;

import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.ProgramCancel;
import dev.weft.internal.jdk.VirtualThreads;
import java.time.Duration;
import java.util.List;

/**
 * Entry point: runs a program's body as the root task of a Weft runtime, and the operations a task
 * performs on itself (sleep, move, query).
 *
 * {@snippet class=dev.weft.snippets.ScopeSnippets region=weft-main}
 * }
 *
 * <h2>Cancellation</h2>
 * Ctrl-C (SIGINT) cancels the root task with reason {@link CancelReason#INTERRUPT}, and SIGTERM with reason
 * {@link CancelReason#TERMINATE}; its cleanup runs and {@code run} throws that {@link Cancelled}
 * ({@link #exitStatus} maps them to 130 and 143). A second Ctrl-C prints the live task tree (what is still in
 * cleanup) and exits the process at once with status 130.
 * {@link Options#timeout} cancels the root at a deadline (reason {@link CancelReason#DEADLINE}).
 *
 * <h2>Exceptions</h2>
 * {@code run} rethrows the root task's failure as it is; calling it from inside a Weft task throws
 * {@link IllegalStateException}, as does a JVM started without the flag that lets Weft choose a
 * virtual thread's scheduler (the message names it).
 *
 * <h2>Memory consistency effects</h2>
 * Actions in the root task happen-before {@code run} returns.
 *
 * @implNote Every task is a virtual thread scheduled by a Weft loop: a platform carrier thread with a
 * bounded, many-producer run queue, which never spins. See {@code docs/design.md}.
 */
public final class Weft {
    /** Process exit status after SIGINT. */
    public static final int EXIT_INTERRUPTED = 130;
    /** Process exit status after SIGTERM (128 + 15, as a shell reports a process killed by it). */
    public static final int EXIT_TERMINATED = 143;
    /** Process exit status after {@link Options#timeout} cancelled the root task. */
    public static final int EXIT_TIMEOUT = 124;
    /** Process exit status after the root task failed. */
    public static final int EXIT_FAILED = 1;

    private Weft() {}

    /** Options for {@link #run(Options, ThrowingCallable)}; a mutable builder. */
    public static final class Options {
        int loops = Runtime.getRuntime().availableProcessors();
        VirtualClock clock;
        boolean handleSigint = true;
        Duration timeout;
        String name = "weft";
        int tasksPerLoopMax = 1 << 16;
        int blockingThreadsMax = Math.max(4, 2 * Runtime.getRuntime().availableProcessors());
        java.util.function.BiConsumer<String, Throwable> errorHandler;

        private Options() {}

        /**
         * Where the runtime reports a failure of its own machinery that it survives (a timer action or a
         * supervising scope's failure handler that threw); default: one line on standard error (with the stack
         * under {@code -Dweft.debug=true}). Every failure is also counted ({@link RuntimeStatistics#internalErrors()}).
         * The handler runs on the thread that saw the failure and must not block.
         */
        public Options errorHandler(java.util.function.BiConsumer<String, Throwable> handler) {
            if (handler == null) {
                throw new NullPointerException("handler is null; pass (where, error) -> log(where, error)");
            }
            this.errorHandler = handler;
            return this;
        }

        /** The immutable configuration a runtime runs with (taken once, at {@link Weft#run}). */
        RuntimeConfig snapshot() {
            var h = errorHandler;
            return new RuntimeConfig(loops, clock, handleSigint, timeout, name, tasksPerLoopMax, blockingThreadsMax,
                    h == null ? null : h::accept);
        }

        /** Number of loops (carrier threads); default: one per core. */
        public Options loops(int loops) {
            if (loops < 1 || loops > 1024) {
                throw new IllegalArgumentException("loops must be between 1 and 1024, got " + loops);
            }
            this.loops = loops;
            return this;
        }

        /** Drives deadlines and {@link Weft#sleep} by a {@link VirtualClock} (tests). */
        public Options clock(VirtualClock clock) {
            this.clock = clock;
            return this;
        }

        /** Whether SIGINT (Ctrl-C) and SIGTERM cancel the root task (default true). */
        public Options handleSigint(boolean handle) {
            this.handleSigint = handle;
            return this;
        }

        /** Cancels the root task after {@code timeout} (reason DEADLINE). */
        public Options timeout(Duration timeout) {
            CancelScopeImpl.checkTimeout(timeout);
            this.timeout = timeout;
            return this;
        }

        /** Names the runtime (root task name, thread name prefix). */
        public Options name(String name) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must be non-blank");
            }
            this.name = name;
            return this;
        }

        /** Maximum live tasks per loop (default 65536); bounds each run queue. */
        public Options tasksPerLoopMax(int max) {
            if (max < 2 || max > (1 << 24)) {
                throw new IllegalArgumentException("tasksPerLoopMax must be between 2 and 16777216, got " + max);
            }
            this.tasksPerLoopMax = max;
            return this;
        }

        /** Threads of the pool behind {@link Blocking} (default max(4, 2 x cores)). */
        public Options blockingThreadsMax(int max) {
            if (max < 1 || max > 4096) {
                throw new IllegalArgumentException("blockingThreadsMax must be between 1 and 4096, got " + max);
            }
            this.blockingThreadsMax = max;
            return this;
        }
    }

    /** New default options. */
    public static Options options() {
        return new Options();
    }

    /** Runs {@code main} as the root task with default options and returns its result. */
    public static <T, X extends Throwable> T run(ThrowingCallable<T, X> main) throws X {
        return run(options(), main);
    }

    /**
     * Runs {@code main}, a body with no result, as the root task with default options: {@code Weft.run(() -> {
     * ... })} needs no {@code return null;}. A lambda whose body returns a value selects
     * {@link #run(ThrowingCallable)} instead.
     *
     * @throws Cancelled if the root task was cancelled (Ctrl-C, timeout)
     * @throws X         the root task's own failure
     */
    public static <X extends Throwable> void run(ThrowingRunnable<X> main) throws X {
        run(options(), main);
    }

    /** As {@link #run(Options, ThrowingCallable)}, for a body with no result. */
    public static <X extends Throwable> void run(Options options, ThrowingRunnable<X> main) throws X {
        if (main == null) {
            throw new NullPointerException("main is null; pass the program body: Weft.run(() -> { ... })");
        }
        run(options, () -> {
            main.run();
            return null;
        });
    }

    /**
     * Runs {@code main} as the root task of a new runtime, waits for it (the calling thread only waits),
     * shuts the runtime down, and returns the result.
     *
     * @throws Cancelled if the root task was cancelled (Ctrl-C, timeout)
     * @throws X         the root task's own failure
     */
    public static <T, X extends Throwable> T run(Options options, ThrowingCallable<T, X> main) throws X {
        if (main == null) {
            throw new NullPointerException("main is null; pass the program body: Weft.run(() -> { ...; return x; })");
        }
        if (options == null) {
            throw new NullPointerException("options is null; pass Weft.options() or call Weft.run(main)");
        }
        if (TaskImpl.current() != null) {
            if (ProgramCancel.installed()) {
                return runNested(options.snapshot(), main); // under weft run: the launcher's root is this root's
            }
            throw new IllegalStateException("Weft.run called inside a Weft task ('" + TaskImpl.current().name()
                    + "'); a task starts concurrent work with TaskScope.run(scope -> scope.spawn(...))");
        }
        VirtualThreads.check();
        RuntimeImpl rt = new RuntimeImpl(options.snapshot());
        TaskImpl<T> root;
        try {
            root = rt.startRoot(main);
            root.awaitDoneUninterruptibly(() -> rt.cancelRoot(CancelReason.INTERRUPT));
        } finally {
            rt.shutdown();
        }
        return switch (root.state()) {
            case SUCCEEDED -> root.result();
            case FAILED -> throw Weft.<RuntimeException>sneaky(root.exception());
            default -> throw (Cancelled) root.outcomeThrowable();
        };
    }

    /**
     * {@link #run} from inside the launcher's root task ({@code weft run} of a program that calls {@code Weft.run}
     * itself): {@code main} runs as a child task of that root, with Trio's semantics (not the unmodified program's
     * grace), its own timeout as a deadline; its outcome is returned or thrown as {@code run}'s would be. The
     * options' loops, clock and limits are the launcher's runtime's.
     */
    private static <T, X extends Throwable> T runNested(RuntimeConfig config, ThrowingCallable<T, X> main) throws X {
        Object[] result = new Object[1];
        Throwable[] failure = new Throwable[1];
        TaskScope.run(scope -> {
            scope.spawn(config.name(), () -> {
                try {
                    if (config.timeout() == null) {
                        result[0] = main.call();
                    } else {
                        CancelScope deadline = CancelScope.withTimeout(config.timeout()).name(config.name());
                        result[0] = deadline.call(main);
                        if (deadline.cancelledCaught()) {
                            throw new Cancelled(CancelReason.DEADLINE, config.name(), null); // a root's deadline throws
                        }
                    }
                } catch (Cancelled c) {
                    throw c;
                } catch (Throwable t) {
                    failure[0] = t; // thrown as it is below, as Weft.run throws its root's failure
                }
                return null;
            });
            return null; // no join: the nursery re-raises the child's Cancelled as it exits, as a root's run throws it
        });
        if (failure[0] != null) {
            throw Weft.<RuntimeException>sneaky(failure[0]);
        }
        @SuppressWarnings("unchecked")
        T value = (T) result[0];
        return value;
    }

    /**
     * Runs {@code program} (typically a {@link #run} call) and maps its outcome to a process exit status:
     * 0, {@link #EXIT_FAILED} (failure, printed to stderr), {@link #EXIT_INTERRUPTED} (Ctrl-C),
     * {@link #EXIT_TERMINATED} (SIGTERM) or {@link #EXIT_TIMEOUT} (root deadline).
     */
    public static int exitStatus(ThrowingRunnable<? extends Throwable> program) {
        try {
            program.run();
            return 0;
        } catch (Cancelled c) {
            if (c.reason() == CancelReason.INTERRUPT) {
                System.err.println("weft: interrupted; cleanup finished");
                return EXIT_INTERRUPTED;
            }
            if (c.reason() == CancelReason.TERMINATE) {
                System.err.println("weft: terminated; cleanup finished");
                return EXIT_TERMINATED;
            }
            if (c.reason() == CancelReason.DEADLINE) {
                System.err.println("weft: the program's deadline passed; cleanup finished");
                return EXIT_TIMEOUT;
            }
            System.err.println("weft: the program was cancelled: " + c.getMessage());
            return EXIT_FAILED;
        } catch (Throwable t) {
            System.err.println("weft: the program failed:");
            t.printStackTrace();
            return EXIT_FAILED;
        }
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }

    /**
     * Sleeps for {@code duration} on the runtime clock. A cancellation point: it raises {@link Cancelled}
     * if the task is cancelled before or during the sleep.
     */
    public static void sleep(Duration duration) {
        long ns = CancelScopeImpl.checkTimeout(duration);
        TaskImpl<?> me = TaskImpl.currentOrThrow("Weft.sleep");
        me.checkpoint();
        long deadlineNs = me.runtime().timers().nanoTime() + ns;
        Park.await(me, null, deadlineNs, Park.CANCELLABLE);
        me.checkpoint();
    }

    /** Now on the runtime clock, in nanoseconds (the base of {@link CancelScope#withDeadlineNs}). */
    public static long nanoTime() {
        TaskImpl<?> me = TaskImpl.currentOrThrow("Weft.nanoTime");
        return me.runtime().timers().nanoTime();
    }

    /** Whether the current thread is a Weft task. */
    public static boolean inTask() {
        return TaskImpl.current() != null;
    }

    /** The current task's name. */
    public static String currentTaskName() {
        return TaskImpl.currentOrThrow("Weft.currentTaskName").name();
    }

    /** The runtime's loops, index 0 first. */
    public static List<Loop> loops() {
        return TaskImpl.currentOrThrow("Weft.loops").runtime().loops();
    }

    /** The runtime's work-stealing pool (created on first use). */
    public static Loop stealingPool() {
        return TaskImpl.currentOrThrow("Weft.stealingPool").runtime().stealingPool();
    }

    /** The loop the current task is scheduled on. */
    public static Loop currentLoop() {
        TaskImpl<?> me = TaskImpl.currentOrThrow("Weft.currentLoop");
        return me.runtime().loopFor(me.scheduler);
    }

    /**
     * Moves the current task to {@code loop}: it resumes there with its stack, context and cancel scopes.
     * A cancellation point.
     */
    public static void moveTo(Loop loop) {
        TaskImpl<?> me = TaskImpl.currentOrThrow("Weft.moveTo");
        if (loop == null) {
            throw new NullPointerException("loop is null; pass one of Weft.loops() or Weft.stealingPool()");
        }
        me.moveTo(me.runtime().schedulerOf(loop));
    }

    /**
     * A readable dump of the live task tree (tasks, loops, states, cancel scopes, where each task waits)
     * of the current runtime, or of the most recently started one when called from outside a task. Sibling tasks
     * with identical subtrees (the same name if one was given, state, stack, scopes and children) are written once,
     * their line ending in {@code [xN]}, as in {@link #dumpJson()}.
     */
    public static String dump() {
        RuntimeImpl rt = RuntimeImpl.currentOrActive();
        return rt == null ? "weft: no runtime is running\n" : rt.dump();
    }

    /**
     * The current runtime's counters (or the most recently started one's, from outside a task): tasks live and
     * spawned, cancellations by reason, checkpoint gaps, run-queue overflows, late hand-overs, internal errors.
     *
     * {@snippet class=dev.weft.snippets.ObservabilitySnippets region=statistics}
     *
     * @throws IllegalStateException if no runtime is running
     */
    public static RuntimeStatistics statistics() {
        RuntimeImpl rt = RuntimeImpl.currentOrActive();
        if (rt == null) {
            throw new IllegalStateException("Weft.statistics() called with no Weft runtime running; call it inside"
                    + " Weft.run(...) or while one runs");
        }
        return rt.statistics();
    }

    /**
     * The JSON form of {@link #dump()}: a superset of the JDK's JSON thread dump ({@code jcmd PID
     * Thread.dump_to_file -format=json}; its {@code threadDump.threadContainers} shape, so a tool that reads one
     * reads the other), with a {@code weft} object on each task and scope: the task's state, loop, where it waits
     * and its budget; each scope's kind, name, cancel state and reason, shield and deadline. Sibling tasks with
     * identical subtrees are written once with a {@code count}.
     *
     * {@snippet class=dev.weft.snippets.ObservabilitySnippets region=dumpJson}
     *
     * @return the dump of the current runtime (or of the most recently started one, from outside a task);
     *         {@code {"threadDump":{... "threadContainers":[]}}} when none is running
     */
    public static String dumpJson() {
        StringBuilder sb = new StringBuilder(1 << 12);
        RuntimeImpl rt = RuntimeImpl.currentOrActive();
        if (rt == null) {
            sb.append("{\"threadDump\":{\"processId\":\"").append(ProcessHandle.current().pid())
                    .append("\",\"time\":\"").append(java.time.Instant.now()).append("\",\"runtimeVersion\":\"")
                    .append(Runtime.version()).append("\",\"threadContainers\":[]}}\n");
            return sb.toString();
        }
        rt.dumpJson(sb, true);
        return sb.toString();
    }
}
