package dev.weft.internal.cancel;

import dev.weft.internal.jdk.HeldMonitors;
import java.lang.invoke.MethodHandles;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * What the agent's compiled checks do (entered through {@code dev.weft.abi.AgentHooks}): the cancellation check at
 * back-edges and method entries, the count of monitors the task holds in compiled code, and the agent's compiler
 * for hidden classes the application defines ({@link #hiddenClassBytes}).
 *
 * <p>Three tests, cheapest first. The process-wide count ({@link PendingCancels#count}): zero while no scope in the
 * process is cancelled, one volatile read, the whole check. Then the current task's own flag
 * ({@link WaitingTask#mayHaveCancel()}): a task that no cancel can reach returns after the task lookup and one more
 * volatile read, so a scope cancelled in another task (a request's deadline in a loaded server) costs it a few
 * nanoseconds per check, not the walk. Then the slow path below, which walks the task's scopes.
 *
 * <p>The rule: a cancel is never delivered while the task holds a monitor. Monitors the agent compiled are
 * counted ({@link WaitingTask#monitorDepth}); a monitor taken by code the agent did not compile (a
 * {@code synchronized} JDK method calling back into the application, {@code Vector.forEach(lambda)}) is found by a
 * stack walk ({@link HeldMonitors}) just before the throw. The same walk holds a cancel back while a frame is a
 * static initializer, a class load or the JVM's linking of a call site ({@link HeldMonitors#IN_LINKAGE}): a throw
 * there would fail the class or call site for good. A monitor the walk found held is then watched with
 * {@link Thread#holdsLock} at each check (no walk) until it is released, so the first check outside it walks again
 * and delivers; while the walk finds linkage, it is retried after 1, 2,
 * 4 ... {@link #FOREIGN_MONITOR_BACKOFF_MAX} checks, not at every one; a walk that fails for want of memory or
 * stack counts as "held" up to {@link #FOREIGN_MONITOR_FAILURES_MAX} times per cancellation, then the cancel is
 * delivered rather than never.
 *
 * <p>The slow path is never re-entered on one task. When JDK packages are opted in ({@code --instrument
 * 'java.util.*'}), the slow path itself runs code the agent compiled: the JDK links the task lookup's
 * {@code VarHandle} call site the first time it runs on a virtual thread, through {@code Arrays.equals}; the stack
 * walk builds a {@code java.util.stream} pipeline. A check there would call the slow path again, which links again:
 * a {@link StackOverflowError}, the task lost. Solution: {@link WaitingTask#inAgentCode}, set around the slow path
 * (and around the agent's own code, {@link #enterAgentCode}): a check that finds it set returns at once. The flag
 * needs the task, so the lookup's first run on a virtual thread is guarded by a process-wide count instead
 * ({@link #linkTaskLookup}); until it has run once, a check inside it (or beside it, on another thread) returns,
 * and the cancel is delivered at the next check (cancellation is level-triggered).
 */
public final class AgentChecks {
    private AgentChecks() {}

    /** Walks that may fail for want of memory or stack before the cancel is delivered regardless. */
    public static final int FOREIGN_MONITOR_FAILURES_MAX = 8;

    /** Most checks skipped between two stack walks while a foreign monitor delays a cancellation. */
    public static final int FOREIGN_MONITOR_BACKOFF_MAX = 1 << 10;

    /**
     * Set once {@link WaitingTask#ofCurrentThread()} has run to its end on a virtual thread: its call site is linked,
     * and it runs no more JDK code the agent may have compiled. Written once, by any thread.
     */
    private static volatile boolean taskLookupLinked;
    /** First task lookups in progress ({@link #linkTaskLookup}); any thread. */
    private static final AtomicInteger TASK_LOOKUPS_LINKING = new AtomicInteger();

    /**
     * Initializes the classes the check's later tests use ({@link VerdictGate}, {@link AllocationAllowance}), before
     * the agent's transformer is installed.
     *
     * <p>Things that don't work: initializing them at their first use. That use is a check in JDK code the agent
     * compiled (a cancel pending, {@code --instrument java.util.*}); their static initializers load
     * {@code java.util.concurrent.atomic} classes that the transformer is compiling at that moment, a
     * {@code ClassCircularityError} left {@code VerdictGate} uninitializable, and every check after it threw
     * {@code NoClassDefFoundError}. Solution: the agent calls this at start.
     */
    public static void loadLaterTests() {
        VerdictGate.isOpen();
        AllocationAllowance.isArmed();
    }

    /** The compiled check. */
    public static void poll() {
        if (PendingCancels.count != 0) {
            pollPending();
        }
    }

    /**
     * The second test, while some scope in the process is cancelled: a task that no cancel can reach returns after
     * one read of its own flag ({@link WaitingTask#mayHaveCancel()}); the others take the slow path.
     */
    private static void pollPending() {
        if (!taskLookupLinked && !linkTaskLookup()) {
            return; // inside the JDK's first linking of the task lookup: the next check delivers
        }
        WaitingTask t = WaitingTask.ofCurrentThread();
        if (AllocationAllowance.armed && t != null) {
            AllocationAllowance.checkTask(t); // the heap is high: a countdown, every so many checks a counter read
        }
        if (t != null && !t.mayHaveCancel()) {
            return; // another task's cancel: not this one's business
        }
        pollSlowOnce(t);
    }

    /** {@link #pollSlow}, unless the current task is already inside it or inside the agent's own code. */
    private static void pollSlowOnce(WaitingTask t) {
        if (t == null) {
            pollSlow(null);
            return;
        }
        if (t.inAgentCode) {
            return; // a check in JDK code that the slow path or the agent runs: the outer check decides
        }
        t.inAgentCode = true;
        try {
            pollSlow(t);
        } finally {
            t.inAgentCode = false;
        }
    }

    /**
     * Runs the task lookup once on this virtual thread so that the JDK links its call site, with every check that
     * the linking reaches returning at once. False if a first lookup is already running (this check is inside it, or
     * beside it on another thread): the caller skips this check.
     */
    private static boolean linkTaskLookup() {
        if (!Thread.currentThread().isVirtual()) {
            return true; // the lookup answers null on a platform thread before it reaches the call site
        }
        if (TASK_LOOKUPS_LINKING.getAndIncrement() != 0) {
            TASK_LOOKUPS_LINKING.decrementAndGet();
            return false;
        }
        try {
            WaitingTask.ofCurrentThread();
            taskLookupLinked = true;
        } finally {
            TASK_LOOKUPS_LINKING.decrementAndGet();
        }
        return true;
    }

    /**
     * Marks the start of the agent's own code on the current thread (its class transformer): until the matching
     * {@link #exitAgentCode}, the checks compiled into JDK code it runs return at once, so a cancel is never thrown
     * inside the agent. Returns whether this call set the mark (pass it to {@link #exitAgentCode}).
     */
    public static boolean enterAgentCode() {
        if (!taskLookupLinked && !linkTaskLookup()) {
            return false; // checks are skipped anyway while the lookup links
        }
        WaitingTask t = WaitingTask.ofCurrentThread();
        if (t == null || t.inAgentCode) {
            return false;
        }
        t.inAgentCode = true;
        return true;
    }

    /** Ends what {@link #enterAgentCode} started, if it set the mark. */
    public static void exitAgentCode(boolean entered) {
        if (entered) {
            WaitingTask t = WaitingTask.ofCurrentThread();
            assert t != null && t.inAgentCode : "exitAgentCode off the thread that entered";
            if (t != null) {
                t.inAgentCode = false;
            }
        }
    }

    /** The slow path of the check on {@code t}, the current thread's task (null: not a Weft task). */
    private static void pollSlow(WaitingTask t) {
        if (t == null) {
            if (AllocationAllowance.armed) {
                AllocationAllowance.checkForeign(); // the heap is high: a program thread counts what it allocates
            }
            if (VerdictGate.isOpen()) {
                VerdictGate.awaitForeign(); // a heap verdict pending: a fast allocator waits for it
            }
            ProgramCancel.pollForeign(); // a thread the program started itself, under weft run
            return;
        }
        // never inside a monitor: the next check outside delivers (and this one is no cancellation point)
        if (t.monitorDepth != 0) {
            return;
        }
        if (VerdictGate.isOpen()) {
            VerdictGate.awaitTask(t); // a heap verdict pending: a fast allocator waits for it, then maybe throws
        }
        Object hit = t.cancelToRaise(); // clears the task's flag first, sets it again if it finds a cancel
        if (hit == null) {
            t.slowChecks++; // a cancellation point reached (the checkpoint-gap sampler's probe)
            if (t.gapWatch != null) {
                CheckpointGaps.reached(t);
            }
            return;
        }
        if (hit != t.foreignMonitorScope) { // a new cancellation: no back-off left over from an earlier one
            t.resetAgentBackoff();
            t.foreignMonitorScope = hit;
        }
        Object m = t.foreignMonitor;
        if (m != null) {
            if (Thread.holdsLock(m)) {
                return; // still inside the monitor the last walk found: a cheap test at every check, no walk
            }
            t.foreignMonitor = null; // released: walk again now (another may still be held)
        }
        if (t.foreignMonitorSkips > 0) {
            t.foreignMonitorSkips--;
            return;
        }
        Object[] out = t.foreignMonitorOut;
        if (out == null) {
            t.foreignMonitorOut = out = new Object[1];
        }
        int held = HeldMonitors.check(out);
        if (held == HeldMonitors.HELD && out[0] != null) {
            t.foreignMonitor = out[0];
            out[0] = null;
            return;
        }
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

    /**
     * The agent's compiler for hidden classes, set once at its startup: given the defining lookup and the class
     * bytes, the bytes with checks compiled in, or {@code null} to define them as they are. Null without the agent.
     */
    private static volatile BiFunction<MethodHandles.Lookup, byte[], byte[]> hiddenClassCompiler;

    /** Called by the agent at startup: the JVM never shows hidden classes to its class-file transformer. */
    public static void installHiddenClassCompiler(BiFunction<MethodHandles.Lookup, byte[], byte[]> compiler) {
        hiddenClassCompiler = compiler;
    }

    /**
     * The bytes a hidden class defined through {@code lookup} is to be defined from: {@code bytes} with checks
     * compiled in when the agent is running and its rules select the class, else {@code bytes}. Never throws: the
     * agent loads a class it cannot compile unchanged; a null {@code lookup} or {@code bytes} is left to the
     * definition to reject, as it would have.
     */
    public static byte[] hiddenClassBytes(MethodHandles.Lookup lookup, byte[] bytes) {
        BiFunction<MethodHandles.Lookup, byte[], byte[]> c = hiddenClassCompiler;
        if (c == null || lookup == null || bytes == null) {
            return bytes;
        }
        byte[] out = c.apply(lookup, bytes);
        return out != null ? out : bytes;
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
