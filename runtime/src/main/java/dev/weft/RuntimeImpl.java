package dev.weft;

import dev.weft.internal.jdk.OwnThreads;
import dev.weft.internal.errors.ErrorSink;
import dev.weft.internal.cancel.CheckpointGaps;
import dev.weft.internal.jmx.WeftMBeans;
import dev.weft.internal.cancel.ProgramCancel;
import dev.weft.internal.jdk.Signals;
import dev.weft.internal.loop.EventLoop;
import dev.weft.internal.loop.Scheduler;
import dev.weft.internal.loop.StealingPool;
import dev.weft.internal.task.TaskHooks;
import dev.weft.internal.time.Ticker;
import dev.weft.internal.time.TimerQueue;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One Weft runtime: its loops, timers, stealing pool, blocking pool and root task; created by
 * {@link Weft#run} and shut down when the root task has finished.
 *
 * <p>Implementation overview. {@link Weft#run} builds the runtime, starts the root task on loop 0 and
 * parks the calling thread until the root finishes. Every task is admitted to its scheduler
 * ({@link #admit}) against {@code tasksPerLoopMax}, which bounds each loop's run queue: a virtual thread
 * has at most one continuation queued, so a loop never holds more entries than tasks. SIGINT cancels
 * the root scope of every active runtime (reason {@link CancelReason#INTERRUPT}); a second SIGINT halts
 * the process with status 130.
 */
final class RuntimeImpl {
    private static final List<RuntimeImpl> ACTIVE = new CopyOnWriteArrayList<>();
    private static final Object SIGNAL_LOCK = new Object();
    /** Restores the JVM's SIGINT handler. Guarded by SIGNAL_LOCK. */
    private static Runnable restoreSigint;
    /** Restores the JVM's SIGTERM handler. Guarded by SIGNAL_LOCK. */
    private static Runnable restoreSigterm;
    /** SIGINTs received while runtimes were active. Guarded by SIGNAL_LOCK. */
    private static int sigintCount;
    /** Late submissions from stopped loops run here, loudly. */
    private static final Executor HANDOVER = handover();

    /** Runtimes between start and shutdown, oldest first: what Weft.dump() finds from outside a task. */
    private static final List<RuntimeImpl> RUNNING = new CopyOnWriteArrayList<>();

    static {
        // weft run: the program's threads get the program's cancellation; roots they start are cancelled with it
        ProgramCancel.bind(why -> new Cancelled((CancelReason) why, "main", null), why -> {
            for (RuntimeImpl rt : RUNNING) {
                rt.cancelRoot((CancelReason) why);
            }
        });
    }

    /** Whether the unmodified program's root (the first under weft run) has been started. Under the class lock. */
    private static boolean programRootStarted;

    private final RuntimeConfig options;
    private final ErrorSink errors;
    private final EventLoop[] loops;
    private final LoopImpl[] loopHandles;
    private final AtomicInteger[] admitted;
    private final AtomicInteger stealingAdmitted = new AtomicInteger();
    private final TimerQueue timers;
    private final AtomicLong taskIds = new AtomicLong();
    private final Object lazyLock = new Object();
    /** Created on first use. Guarded by lazyLock; volatile for reads. */
    private volatile StealingPool stealing;
    private volatile LoopImpl stealingHandle;
    /** Created on first use. Guarded by lazyLock; volatile for reads. */
    private volatile BlockingPool blocking;
    /** Cancellations by reason (ordinal). Any thread, atomically. */
    private final java.util.concurrent.atomic.AtomicLongArray cancellations =
            new java.util.concurrent.atomic.AtomicLongArray(CancelReason.values().length);
    /** This runtime's MBean name, once registered (or null). Written by registerMBean; read at shutdown. */
    private volatile javax.management.ObjectName mbeanName;

    /** The root task. Written once by start. */
    private volatile TaskImpl<?> root;

    RuntimeImpl(RuntimeConfig options) {
        TaskHooks.installTasks(TaskImpl.CURRENT); // how extensions (memory) find tasks; no task exists before
        this.options = options;
        this.errors = new ErrorSink(options.errorHandler());
        int n = options.loops();
        loops = new EventLoop[n];
        loopHandles = new LoopImpl[n];
        admitted = new AtomicInteger[n];
        int capacity = Integer.highestOneBit(Math.max(2, options.tasksPerLoopMax() - 1)) << 1;
        for (int i = 0; i < n; i++) {
            loops[i] = new EventLoop(options.name() + "-loop-" + i, i, capacity, errors);
            loopHandles[i] = new LoopImpl(this, loops[i], i);
            admitted[i] = new AtomicInteger();
        }
        CheckpointGaps.watch(loops); // sampled only while a JFR recording enables the checkpoint-gap event
        if (options.clock() != null) {
            timers = new TimerQueue(options.clock().ticker(), true, options.name() + "-timer",
                    TimerQueue.CAPACITY_MAX_DEFAULT, e -> errors.report("timer action", e));
            options.clock().attach(timers);
        } else {
            timers = new TimerQueue(Ticker.SYSTEM, false, options.name() + "-timer",
                    TimerQueue.CAPACITY_MAX_DEFAULT, e -> errors.report("timer action", e));
        }
    }

    private static Executor handover() {
        ExecutorService ex = Executors.newSingleThreadExecutor(r -> OwnThreads.daemon("weft-handover").unstarted(r));
        return ex;
    }

    RuntimeConfig config() {
        return options;
    }

    ErrorSink errors() {
        return errors;
    }

    TimerQueue timers() {
        return timers;
    }

    long nextTaskId() {
        return taskIds.incrementAndGet();
    }

    List<Loop> loops() {
        return List.of(loopHandles);
    }

    Loop stealingPool() {
        synchronized (lazyLock) {
            if (stealing == null) {
                stealing = new StealingPool(options.name() + "-steal", Runtime.getRuntime().availableProcessors());
                stealingHandle = new LoopImpl(this, stealing, -1);
            }
            return stealingHandle;
        }
    }

    BlockingPool blocking() {
        BlockingPool b = blocking;
        if (b != null) {
            return b;
        }
        synchronized (lazyLock) {
            if (blocking == null) {
                blocking = new BlockingPool(options.name() + "-blocking", options.blockingThreadsMax());
            }
            return blocking;
        }
    }

    Loop loopFor(Scheduler s) {
        if (s instanceof EventLoop el) {
            return loopHandles[el.index()];
        }
        return stealingPool();
    }

    Scheduler schedulerOf(Loop loop) {
        LoopImpl l = (LoopImpl) loop;
        if (l.runtime != this) {
            throw new IllegalArgumentException("loop " + loop.name() + " belongs to another Weft runtime;"
                    + " use Weft.loops() or Weft.stealingPool() of the current runtime");
        }
        return l.scheduler;
    }

    // ---------------------------------------------------------------- admission (bounds run queues)

    void admit(Scheduler s, TaskImpl<?> t) {
        AtomicInteger counter = counterOf(s);
        int now = counter.incrementAndGet();
        if (now > options.tasksPerLoopMax()) {
            counter.decrementAndGet();
            throw new IllegalStateException("cannot spawn task '" + t.name() + "': " + s.name() + " already runs "
                    + options.tasksPerLoopMax() + " tasks (the limit); bound the concurrency (a Channel or a fixed"
                    + " number of workers) or raise it with Weft.options().tasksPerLoopMax(n)");
        }
    }

    void releaseAdmission(Scheduler s, TaskImpl<?> t) {
        int left = counterOf(s).decrementAndGet();
        assert left >= 0 : "admission underflow on " + s.name();
    }

    void transferAdmission(Scheduler from, Scheduler to, TaskImpl<?> t) {
        admit(to, t);
        releaseAdmission(from, t);
    }

    private AtomicInteger counterOf(Scheduler s) {
        if (s instanceof EventLoop el) {
            return admitted[el.index()];
        }
        return stealingAdmitted;
    }

    // ---------------------------------------------------------------- root

    <T> TaskImpl<T> startRoot(ThrowingCallable<T, ?> main) {
        TaskImpl<T> r = new TaskImpl<>(this, "main", null, main, loops[0], ContextVar.currentMap());
        if (options.timeout() != null) {
            r.rootCancel.setDeadlineNs(timers.nanoTime() + CancelScopeImpl.checkTimeout(options.timeout()));
        }
        if (ProgramCancel.installed() && takeProgramRoot()) {
            r.runsUnmodifiedProgram(); // weft run: the program's main; its cleanup gets a grace
            r.rootCancel.cancelsProgram();
            ProgramCancel.onHard(r::wake);
        }
        admit(loops[0], r);
        r.rootCancel.enterAsTaskRoot(r, null);
        r.rootCancel.name("main");
        root = r;
        RUNNING.add(this);
        if (options.handleSigint()) {
            register(this);
        }
        r.start();
        if (WeftMBeans.enabled()) {
            registerMBean();
        }
        return r;
    }

    static {
        WeftMBeans.addSource(() -> {
            List<String> names = new ArrayList<>();
            for (RuntimeImpl rt : RUNNING) {
                names.add(rt.registerMBean());
            }
            return names;
        });
    }

    /** Registers this runtime's MBean ({@code dev.weft:type=Runtime,name=NAME}); returns its name. */
    String registerMBean() {
        javax.management.ObjectName n = WeftMBeans.name("Runtime", options.name());
        mbeanName = n;
        try {
            return WeftMBeans.register(n, new javax.management.StandardMBean(new RuntimeMBean(this),
                    WeftRuntimeMXBean.class, true));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("cannot register the runtime's MBean " + n + ": " + e, e);
        }
    }

    /** Counts a cancellation (a scope's first reason). Any thread. */
    void countCancellation(CancelReason why) {
        cancellations.incrementAndGet(why.ordinal());
    }

    /** The runtime's counters now. Any thread. */
    RuntimeStatistics statistics() {
        long live = stealingAdmitted.get();
        long overflows = 0;
        long handovers = 0;
        long gaps = 0;
        for (int i = 0; i < loops.length; i++) {
            live += admitted[i].get();
            overflows += loops[i].overflowCount();
            handovers += loops[i].handoverCount();
            gaps += loops[i].checkpointGapCount();
        }
        java.util.EnumMap<CancelReason, Long> byReason = new java.util.EnumMap<>(CancelReason.class);
        for (CancelReason r : CancelReason.values()) {
            byReason.put(r, cancellations.get(r.ordinal()));
        }
        return new RuntimeStatistics(options.name(), loops.length, live, taskIds.get(), byReason, gaps, overflows,
                handovers, errors.count());
    }


    TaskImpl<?> root() {
        return root;
    }

    private static synchronized boolean takeProgramRoot() {
        if (programRootStarted) {
            return false;
        }
        programRootStarted = true;
        return true;
    }

    void cancelRoot(CancelReason reason) {
        TaskImpl<?> r = root;
        if (r != null) {
            r.rootCancel.cancel(reason, null);
        }
    }

    void shutdown() {
        RUNNING.remove(this);
        CheckpointGaps.unwatch(loops);
        javax.management.ObjectName n = mbeanName;
        if (n != null) {
            WeftMBeans.unregister(n);
        }
        if (options.handleSigint()) {
            unregister(this);
        }
        for (EventLoop l : loops) {
            l.shutdown(HANDOVER);
        }
        StealingPool s = stealing;
        if (s != null) {
            s.shutdown(HANDOVER);
        }
        BlockingPool b = blocking;
        if (b != null) {
            b.shutdown();
        }
        timers.close();
    }

    private static void register(RuntimeImpl rt) {
        synchronized (SIGNAL_LOCK) {
            ACTIVE.add(rt);
            if (restoreSigint == null) {
                sigintCount = 0;
                restoreSigint = Signals.onInterrupt(sig -> onSigint());
                if (restoreSigint == null) {
                    restoreSigint = () -> {};
                }
                restoreSigterm = Signals.onTerminate(sig -> onSigterm());
                if (restoreSigterm == null) {
                    restoreSigterm = () -> {};
                }
            }
        }
    }

    private static void unregister(RuntimeImpl rt) {
        synchronized (SIGNAL_LOCK) {
            ACTIVE.remove(rt);
            if (ACTIVE.isEmpty() && restoreSigint != null) {
                restoreSigint.run();
                restoreSigint = null;
                restoreSigterm.run();
                restoreSigterm = null;
            }
        }
    }

    private static void onSigint() {
        int count;
        synchronized (SIGNAL_LOCK) {
            count = ++sigintCount;
        }
        if (count > 1) {
            System.err.println("weft: second interrupt, exiting without waiting for cleanup; still running:");
            for (RuntimeImpl rt : ACTIVE) {
                try {
                    System.err.print(rt.dump());
                } catch (RuntimeException | Error dumpFailure) {
                    System.err.println("weft: (dump failed: " + dumpFailure + ")");
                }
            }
            System.err.flush();
            Runtime.getRuntime().halt(Weft.EXIT_INTERRUPTED);
        }
        System.err.println("weft: interrupt: cancelling the root task (cleanup runs; press Ctrl-C again to"
                + " exit at once)");
        for (RuntimeImpl rt : ACTIVE) {
            rt.cancelRoot(CancelReason.INTERRUPT);
        }
    }

    /**
     * SIGTERM: cancels every active root task (reason TERMINATE); cleanup runs and {@link Weft#exitStatus} gives
     * 143. A second signal (SIGTERM or SIGINT) halts as a second Ctrl-C does.
     */
    private static void onSigterm() {
        int count;
        synchronized (SIGNAL_LOCK) {
            count = ++sigintCount;
        }
        if (count > 1) {
            System.err.println("weft: second signal, exiting without waiting for cleanup");
            System.err.flush();
            Runtime.getRuntime().halt(Weft.EXIT_TERMINATED);
        }
        System.err.println("weft: terminate: cancelling the root task (cleanup runs)");
        for (RuntimeImpl rt : ACTIVE) {
            rt.cancelRoot(CancelReason.TERMINATE);
        }
    }

    /** The runtime of the current task, or the most recently started active one. */
    static RuntimeImpl currentOrActive() {
        TaskImpl<?> t = TaskImpl.current();
        if (t != null) {
            return t.runtime();
        }
        RuntimeImpl last = null;
        for (RuntimeImpl r : RUNNING) { // a snapshot: a runtime shutting down meanwhile is still a fine answer
            last = r;
        }
        return last;
    }

    // ---------------------------------------------------------------- dump

    /** The text dump: a header with the loops, then the task tree ({@link TaskTreeDump#writeText}, folded). */
    String dump() {
        StringBuilder sb = new StringBuilder(1 << 12);
        sb.append("weft runtime '").append(options.name()).append("': ").append(loops.length).append(" loop(s)");
        for (int i = 0; i < loops.length; i++) {
            sb.append(i == 0 ? " [" : ", ").append(loops[i].name()).append(": ").append(admitted[i].get())
                    .append(" task(s)");
            long overflow = loops[i].overflowCount();
            if (overflow > 0) {
                sb.append(", ").append(overflow).append(" run-queue overflow(s) from unadmitted virtual threads");
            }
        }
        sb.append("]\n");
        TaskTreeDump.writeText(this, sb);
        return sb.toString();
    }

    /** The loops as JSON objects (for the JSON dump): name, live tasks, queued entries, run-queue overflows. */
    void describeLoops(StringBuilder sb) {
        for (int i = 0; i < loops.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append("{\"name\":");
            TaskTreeDump.str(sb, loops[i].name());
            sb.append(",\"tasks\":").append(admitted[i].get()).append(",\"queued\":").append(loops[i].queuedCount())
                    .append(",\"runQueueOverflows\":").append(loops[i].overflowCount()).append('}');
        }
    }

    /** The JSON dump ({@link TaskTreeDump}). */
    void dumpJson(Appendable out, boolean stacks) {
        TaskTreeDump.write(this, out, stacks);
    }

    /** JDK and Weft-runtime frames, hidden in dumps so the user's own code shows where a task waits. */
    static boolean isMachineryFrame(StackTraceElement e) {
        String cls = e.getClassName();
        if (cls.startsWith("java.") || cls.startsWith("jdk.") || cls.startsWith("sun.")) {
            return true;
        }
        if (!cls.startsWith("dev.weft.") || cls.startsWith("dev.weft.cli.")) {
            return false;
        }
        try {
            Class<?> c = Class.forName(cls, false, RuntimeImpl.class.getClassLoader());
            return c.getProtectionDomain().getCodeSource() != null
                    && RuntimeImpl.class.getProtectionDomain().getCodeSource() != null
                    && c.getProtectionDomain().getCodeSource().getLocation()
                            .equals(RuntimeImpl.class.getProtectionDomain().getCodeSource().getLocation());
        } catch (ReflectiveOperationException | LinkageError | SecurityException ex) {
            return false;
        }
    }

}
