package dev.weft.internal.cancel;

import dev.weft.internal.jdk.HeldMonitors;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The heap watchdog's gate: while its verdict is pending (the live-heap estimate crossed the soft limit and the
 * forced full collection and the blame have not finished yet), the threads that allocate fast wait at their next
 * compiled check instead of racing the watchdog's thread for a core.
 *
 * {@snippet class=dev.weft.internal.cancel.VerdictGateSnippets region=verdict}
 *
 * <p>Who waits. Opening counts as one pending cancel for every task ({@link PendingCancels#incrementEveryTask}:
 * whatever a task's own flag says), so every check compiled into a loop goes to {@link AgentChecks}' slow path, which calls {@link #awaitTask} for a Weft task and {@link #awaitForeign}
 * for a thread the program started itself under {@code weft run}. A thread's first check after the opening notes
 * its allocation counter (a task's: its carrier's, a virtual thread allocates in its carrier's TLAB); a later check
 * that finds it {@code candidateBytes} or more past that note waits until the gate closes, the thread is
 * interrupted (the blame cancels the task it blames, which interrupts it) or {@link #WAIT_NS_MAX} has passed since
 * the opening. A thread that allocates little in that time never waits, and nobody waits twice in one opening.
 *
 * <p>Who never waits: the watchdog's thread and the JDK's (neither is a task or a program thread); a task or thread
 * that holds a monitor, or is in a static initializer, a class load or a call site's linking (the agent's count,
 * then {@link HeldMonitors#check()}; such a check notes its counter again and goes on); a check inside the slow path
 * or the agent's own code (those return before they get here). The verdict needs none of the waiting threads: a
 * waiting virtual thread is unmounted (its loop runs other tasks), a waiting platform thread is parked at a
 * safepoint, so the forced collection runs without them, and the blame only cancels.
 *
 * <p>States, process-wide, in {@link #epoch}: even, closed (checks pass); odd, open (a verdict pending).
 * <pre>
 *   closed --open()--> open        the watchdog (a sample or the old generation's threshold) saw the limit crossed
 *   open  --close()--> closed      the verdict is done (blamed, or below the limit, or nobody blameable)
 *   open  (WAIT_NS_MAX passed)     still open, but no check waits any more: the watchdog's thread got no core
 * </pre>
 *
 * <p>Things that don't work: stopping the suspect only once the verdict names it. The verdict needs the
 * watchdog's thread on a core for the forced collection and the blame; on a loaded two-core machine that was
 * 13 to 178 ms, during which a program allocating 1 GB/s put up to 122 MiB more on the heap (docs/benchmarks.md,
 * "Soft limit"). Solution: the fast allocators wait for the verdict, bounded by its deadline.
 *
 * <h2>Thread safety</h2>
 * {@link #epoch} is advanced by compare-and-set (opened by the watchdog's thread or the JDK's notification thread,
 * closed by the watchdog's thread); the waiters' table is a fixed array of slots taken by compare-and-set; each
 * thread's note is its own (a task's fields, a platform thread's thread-local).
 */
public final class VerdictGate {
    private VerdictGate() {}

    /** The longest a check waits for a verdict, from the gate's opening. */
    public static final long WAIT_NS_MAX = 500_000_000L;
    /** Waiters the gate can wake when it closes; more wait in slices of {@link #WAIT_SLICE_NS}. */
    static final int WAITERS_MAX = 64;
    /** How long a waiter that found no free slot parks before it looks again. */
    static final long WAIT_SLICE_NS = 1_000_000L;

    /** Even: closed; odd: a verdict pending. Advanced by compare-and-set; read by every gated check. */
    private static final AtomicLong EPOCH = new AtomicLong();
    /** Mirror of {@link #EPOCH} for the checks' plain volatile read. Written after each advance. */
    private static volatile long epoch;
    /** Allocation since a thread's first check of this opening that makes it wait. Written before the opening. */
    private static volatile long candidateBytes;
    /** When the current opening's waits end ({@code System.nanoTime()}). Written before the opening. */
    private static volatile long deadlineNs;
    /** Threads waiting now; a slot is taken and cleared by its waiter, read by {@link #close}. */
    private static final AtomicReferenceArray<Thread> WAITERS = new AtomicReferenceArray<>(WAITERS_MAX);
    /**
     * Who waits in each slot of {@link #WAITERS}: the task ({@link WaitingTask}) or the platform thread. Set by the
     * waiter after it took the slot, cleared before it gives it back; read by {@link #isWaiting}.
     */
    private static final AtomicReferenceArray<Object> OWNERS = new AtomicReferenceArray<>(WAITERS_MAX);

    /** Statistics: openings, and checks that waited. Any thread. */
    private static final AtomicLong OPENINGS = new AtomicLong();
    private static final AtomicLong WAITS = new AtomicLong();

    /** A platform thread's note: {epoch, counter at the first check of that opening}. The thread itself. */
    private static final ThreadLocal<long[]> FOREIGN = ThreadLocal.withInitial(() -> new long[] {-1, 0});

    /** Holder, so that loading the gate does not start the management machinery. */
    private static final class Counters {
        static final com.sun.management.ThreadMXBean THREADS =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    }

    /** Loads what the gate's checks need (the thread MX bean), while memory is plentiful. */
    public static void prepare() {
        Counters.THREADS.getCurrentThreadAllocatedBytes();
        FOREIGN.get();
    }

    /**
     * Opens the gate if closed: from now on a thread that allocates {@code candidateBytes} or more waits at its next
     * compiled check, until {@link #close} or {@link #WAIT_NS_MAX}. Returns whether this call opened it. The
     * watchdog's thread or the JDK's notification thread; never blocks.
     */
    public static boolean open(long candidateBytes) {
        assert candidateBytes > 0 : "candidate bytes " + candidateBytes;
        long e = EPOCH.get();
        if ((e & 1) != 0) {
            return false;
        }
        PendingCancels.incrementEveryTask(); // first: the count never drops below the openings still counted
        VerdictGate.candidateBytes = candidateBytes;
        deadlineNs = System.nanoTime() + WAIT_NS_MAX;
        if (!EPOCH.compareAndSet(e, e + 1)) {
            PendingCancels.decrementEveryTask(); // opened (or closed and opened) by the other thread meanwhile
            return false;
        }
        epoch = e + 1;
        OPENINGS.incrementAndGet();
        return true;
    }

    /** Closes the gate if open and wakes its waiters. The watchdog's thread (or the monitor's close). */
    public static void close() {
        long e = EPOCH.get();
        if ((e & 1) == 0 || !EPOCH.compareAndSet(e, e + 1)) {
            return;
        }
        epoch = e + 1;
        PendingCancels.decrementEveryTask();
        for (int i = 0; i < WAITERS_MAX; i++) {
            Thread t = WAITERS.get(i);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Whether a verdict is pending. Any thread. */
    public static boolean isOpen() {
        return (epoch & 1) != 0;
    }

    /**
     * Whether {@code owner} (a task, as the {@code WaitingTask} it is, or a platform thread) waits at the gate now.
     * The watchdog's thread, while it decides whom to blame.
     */
    public static boolean isWaiting(Object owner) {
        if (owner == null || !isOpen()) {
            return false;
        }
        for (int i = 0; i < WAITERS_MAX; i++) {
            if (OWNERS.get(i) == owner) {
                return true;
            }
        }
        return false;
    }

    /** Openings so far, and checks that waited. */
    public static long openings() {
        return OPENINGS.get();
    }

    public static long waits() {
        return WAITS.get();
    }

    /**
     * The gated check on a Weft task (the agent's slow path, {@code t.inAgentCode} set): waits if the gate is open
     * and the task allocated {@link #candidateBytes} since its first check of this opening. The task's thread.
     */
    static void awaitTask(WaitingTask t) {
        long e = epoch;
        if ((e & 1) == 0 || t.monitorDepth != 0) {
            return;
        }
        Thread carrier = t.carrierThread();
        if (carrier == null) {
            return; // not on a loop we know: no counter to read
        }
        long now = Counters.THREADS.getThreadAllocatedBytes(carrier.threadId());
        if (now < 0) {
            return;
        }
        if (t.gateEpoch != e || t.gateCarrier != carrier) {
            // first check of this opening, or moved to another carrier (another counter): note and go on
            t.gateEpoch = e;
            t.gateCarrier = carrier;
            t.gateBaseBytes = now;
            return;
        }
        if (t.gateBaseBytes == Long.MIN_VALUE || now - t.gateBaseBytes < candidateBytes) {
            return; // waited already in this opening, or allocated little
        }
        if (HeldMonitors.check() != HeldMonitors.NOT_HELD) {
            t.gateBaseBytes = now; // a foreign monitor or a static initializer: go on, look again later
            return;
        }
        t.gateBaseBytes = Long.MIN_VALUE;
        await(e, t);
    }

    /**
     * The gated check at an explicit cancellation point of a Weft task ({@code Cancellation.checkpoint()}): as
     * {@link #awaitTask}, with the task marked as inside the slow path meanwhile, so that a check the agent compiled
     * into the JDK code the wait runs (the stack walk) returns at once. Nothing inside the slow path or the agent's
     * own code, or in agent-compiled {@code synchronized} code. The task's thread.
     *
     * <p>Things that don't work: gating only the agent's checks. A program whose loop has an explicit checkpoint and
     * no compiled one (code the agent did not instrument, a test's program) ran on while the verdict was pending,
     * and G1's humongous arrays, 2 GB/s, put 8 to 30 MiB more on the heap between the forced collection and the
     * blame's cancel (docs/benchmarks.md, "Humongous arrays after the gate").
     */
    public static void awaitCheckpoint(WaitingTask t) {
        if ((epoch & 1) == 0 || t.inAgentCode || t.monitorDepth != 0) {
            return;
        }
        t.inAgentCode = true;
        try {
            awaitTask(t);
        } finally {
            t.inAgentCode = false;
        }
    }

    /**
     * The gated check on a thread that is not a Weft task: waits as {@link #awaitTask} does, but only on a platform
     * thread of the program's under {@code weft run} ({@link ProgramCancel#isProgramThread}: never the watchdog's, a
     * JDK thread or Weft's own). The current thread.
     */
    static void awaitForeign() {
        long e = epoch;
        if ((e & 1) == 0 || !ProgramCancel.installed()) {
            return;
        }
        Thread self = Thread.currentThread();
        if (self.isVirtual() || !ProgramCancel.isProgramThread(self)) {
            return;
        }
        long now = Counters.THREADS.getCurrentThreadAllocatedBytes();
        long[] note = FOREIGN.get();
        if (now < 0) {
            return;
        }
        if (note[0] != e) {
            note[0] = e;
            note[1] = now;
            return;
        }
        if (note[1] == Long.MIN_VALUE || now - note[1] < candidateBytes) {
            return;
        }
        if (HeldMonitors.check() != HeldMonitors.NOT_HELD) {
            note[1] = now;
            return;
        }
        note[1] = Long.MIN_VALUE;
        await(e, self);
    }

    /**
     * Waits until the opening {@code e} closes, the thread is interrupted, or the opening's deadline; {@code owner}
     * (the task or the thread) is {@link #isWaiting} meanwhile.
     */
    private static void await(long e, Object owner) {
        Thread self = Thread.currentThread();
        int slot = -1;
        for (int i = 0; i < WAITERS_MAX; i++) {
            if (WAITERS.compareAndSet(i, null, self)) {
                slot = i;
                OWNERS.set(i, owner);
                break;
            }
        }
        WAITS.incrementAndGet();
        try {
            long end = deadlineNs;
            long leftNs;
            // registered before the re-check: a close after it unparks us, a close before it is seen here
            while (epoch == e && !self.isInterrupted() && (leftNs = end - System.nanoTime()) > 0) {
                LockSupport.parkNanos(VerdictGate.class, slot >= 0 ? leftNs : Math.min(leftNs, WAIT_SLICE_NS));
            }
        } finally {
            if (slot >= 0) {
                OWNERS.set(slot, null);
                WAITERS.set(slot, null);
            }
        }
    }
}
