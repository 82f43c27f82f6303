package dev.weft.internal.cancel;

import dev.weft.internal.jdk.HeldMonitors;
import java.lang.management.ManagementFactory;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.LockSupport;

/**
 * The heap watchdog's allowance: what the program may allocate before the watchdog has looked at the heap again.
 * It bounds the heap between two of the watchdog's samples in the allocating threads' own time, not in the
 * watchdog thread's wall time, so a watchdog that waits for a core does not let a fast allocator run on.
 *
 * <p>How. While the live-heap estimate is high (the watchdog {@link #grant grants} at each of its samples; below the
 * level it {@link #disarm disarms}), one pending cancel is counted for the allowance ({@link PendingCancels#count}),
 * so every compiled check and explicit checkpoint takes its second test, as for a cancel in another task; there, on
 * a task or a program thread under {@code weft run}, it counts down a number of checks, and when that reaches zero
 * reads the thread's allocation counter (a task's carrier's: a virtual thread allocates in its carrier's TLAB) and
 * takes what it allocated since its last read from the shared {@link #remaining} allowance (one atomic add). The
 * number of checks between two reads adapts so that a read comes every {@link #quantumBytes} of allocation
 * (between 1 and {@link #CHECKS_PER_READ_MAX} checks). A read that finds the allowance spent wakes the watchdog's
 * thread and waits until its next sample (which grants afresh), the thread is interrupted, or {@link #WAIT_NS_MAX};
 * a thread whose wait timed out does not wait again before the next sample.
 *
 * <p>The bound. The watchdog grants {@code max(floor, (target - estimate) / factor)} at each sample, where the target
 * is the soft limit plus half its grace and the factor the most heap an allocated byte can take (2 under G1: a
 * humongous array takes whole regions). So the estimate at the next sample is at most the target plus, for each
 * thread that allocates, what it allocates between two reads ({@link #quantumBytes} plus one check's worth), times
 * the factor; the first sample above the soft limit opens the {@link VerdictGate}.
 *
 * <p>Who never waits: the watchdog's, the JDK's and Weft's own threads (not tasks, not program threads); a task in
 * agent-compiled {@code synchronized} code, or whose stack walk finds a foreign monitor, a static initializer, a
 * class load or a call site's linking (it is charged, and goes on); a check inside the slow path or the agent's own
 * code. Their allocation still counts against the allowance.
 *
 * <p>Things that don't work: sampling faster. What passed the bound was allocated between two samples of the
 * watchdog's thread, 3 to 37 ms apart near the limit on the loaded two-core machine, 3 to 50 MiB at 1 to 4 GB/s
 * (docs/benchmarks.md, "The live heap at the error (fast allocator)"); the thread cannot reserve a core, and
 * neither can the JDK's notification thread that delivers the old generation's threshold. Solution: the allocator
 * stops itself when it has allocated what the last sample allowed.
 *
 * <h2>Thread safety</h2>
 * {@link #grant} and {@link #disarm} are synchronized on the class (the watchdog's thread, and the monitor's close);
 * {@link #remaining} is taken from by atomic adds from any thread; each thread's note is its own (a task's fields, a
 * platform thread's thread-local); the waiters' table is a fixed array of slots taken by compare-and-set.
 */
public final class AllocationAllowance {
    private AllocationAllowance() {}

    /** The longest one wait for a sample lasts. */
    public static final long WAIT_NS_MAX = 500_000_000L;
    /** Most checks between two reads of the allocation counter. */
    static final int CHECKS_PER_READ_MAX = 256;
    /** Waiters a grant can wake; more wait in slices of {@link #WAIT_SLICE_NS}. */
    static final int WAITERS_MAX = 64;
    /** How long a waiter that found no free slot parks before it looks again. */
    static final long WAIT_SLICE_NS = 1_000_000L;

    /** Whether the allowance is counted in {@link PendingCancels#count}. Written under the class lock, read by checks. */
    static volatile boolean armed;
    /** Bumped at every grant and disarm; a waiter waits for it to move. Written under the class lock. */
    private static volatile long epoch;
    /** Bumped at every arming: a note from an earlier arming counts nothing. Written under the class lock. */
    private static volatile long arming;
    /** What may still be allocated before the next sample. Set by grants, taken from by any thread's read. */
    private static final AtomicLong REMAINING = new AtomicLong(Long.MAX_VALUE);
    /** Allocation between two reads of a thread's counter. Written under the class lock. */
    private static volatile long quantumBytes = 64 << 10;
    /** The thread that grants (the watchdog's), woken when the allowance is spent. Written under the class lock. */
    private static volatile Thread sampler;
    /** Threads waiting now; a slot is taken and cleared by its waiter, read by {@link #grant}. */
    private static final AtomicReferenceArray<Thread> WAITERS = new AtomicReferenceArray<>(WAITERS_MAX);

    /** Statistics: grants, reads of a counter, and waits. Any thread. */
    private static final AtomicLong GRANTS = new AtomicLong();
    private static final AtomicLong READS = new AtomicLong();
    private static final AtomicLong WAITS = new AtomicLong();

    /**
     * A platform thread's note: {arming, counter at the last read, checks left, checks per read, epoch it waited out,
     * 1 while inside the check, program thread: 0 unknown, 1 yes, 2 no}. The thread itself.
     */
    private static final ThreadLocal<long[]> FOREIGN = ThreadLocal.withInitial(() -> new long[] {-1, 0, 1, 1, -1, 0, 0});

    /** Holder, so that loading the class does not start the management machinery. */
    private static final class Counters {
        static final com.sun.management.ThreadMXBean THREADS =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    }

    /** Loads what the checks need (the thread MX bean), while memory is plentiful. */
    public static void prepare() {
        Counters.THREADS.getCurrentThreadAllocatedBytes();
        FOREIGN.get();
    }

    /**
     * A fresh sample: from now on the program may allocate {@code allowanceBytes} before it waits for the next one,
     * each thread reading its counter every {@code quantumBytes} or so. Arms the checks if they were not; wakes the
     * waiters. The watchdog's thread.
     */
    public static synchronized void grant(long allowanceBytes, long quantumBytes) {
        assert allowanceBytes > 0 && quantumBytes > 0 : allowanceBytes + ", " + quantumBytes;
        sampler = Thread.currentThread();
        AllocationAllowance.quantumBytes = quantumBytes;
        REMAINING.set(allowanceBytes);
        if (!armed) {
            arming++;
            armed = true;
            PendingCancels.increment();
        }
        epoch++;
        GRANTS.incrementAndGet();
        wakeWaiters();
    }

    /** No allowance needed (the heap is far from the limit, or a blamed task unwinds): the checks pass. Any thread. */
    public static synchronized void disarm() {
        if (!armed) {
            return;
        }
        armed = false;
        REMAINING.set(Long.MAX_VALUE);
        PendingCancels.decrement();
        epoch++;
        wakeWaiters();
    }

    private static void wakeWaiters() {
        for (int i = 0; i < WAITERS_MAX; i++) {
            Thread t = WAITERS.get(i);
            if (t != null) {
                LockSupport.unpark(t);
            }
        }
    }

    /** Whether the checks count allocation now. */
    public static boolean isArmed() {
        return armed;
    }

    /** Grants so far, counter reads by checks, and checks that waited for a sample. */
    public static long grants() {
        return GRANTS.get();
    }

    public static long reads() {
        return READS.get();
    }

    public static long waits() {
        return WAITS.get();
    }

    /**
     * A check on the Weft task {@code t}, the current thread's, while {@link #armed}: counts down, and every so many
     * checks reads the carrier's counter, charges the allowance, and waits for a sample if it is spent. The task's
     * thread.
     */
    public static void checkTask(WaitingTask t) {
        if (--t.allowanceChecksLeft > 0) {
            return;
        }
        if (t.inAgentCode) {
            t.allowanceChecksLeft = 1; // inside the slow path or the agent's own code: the next check reads
            return;
        }
        t.inAgentCode = true;
        try {
            readTask(t);
        } finally {
            t.inAgentCode = false;
        }
    }

    private static void readTask(WaitingTask t) {
        Thread carrier = t.carrierThread();
        if (carrier == null) {
            t.allowanceChecksLeft = CHECKS_PER_READ_MAX; // not on a loop we know: no counter to read
            return;
        }
        long now = Counters.THREADS.getThreadAllocatedBytes(carrier.threadId());
        READS.incrementAndGet();
        long a = arming;
        if (now < 0) {
            t.allowanceChecksLeft = CHECKS_PER_READ_MAX;
            return;
        }
        if (t.allowanceArming != a || t.allowanceCarrier != carrier) {
            // first read of this arming, or moved to another carrier (another counter): note and go on
            t.allowanceArming = a;
            t.allowanceCarrier = carrier;
            t.allowanceLastBytes = now;
            t.allowanceChecksLeft = t.allowanceChecksPerRead = 1;
            return;
        }
        long delta = now - t.allowanceLastBytes;
        t.allowanceLastBytes = now;
        t.allowanceChecksLeft = t.allowanceChecksPerRead = checksPerRead(delta, t.allowanceChecksPerRead);
        if (delta <= 0) {
            return;
        }
        long e = epoch;
        if (REMAINING.addAndGet(-delta) > 0 || t.allowanceWaitedEpoch == e) {
            return;
        }
        if (t.monitorDepth != 0 || HeldMonitors.check() != HeldMonitors.NOT_HELD) {
            return; // a monitor, a static initializer: charged, goes on
        }
        if (!await(e)) {
            t.allowanceWaitedEpoch = e;
        }
    }

    /**
     * A check on a thread that is not a Weft task, while {@link #armed}: as {@link #checkTask}, on the thread's own
     * counter, only for a platform thread of the program's under {@code weft run}. The current thread.
     */
    static void checkForeign() {
        Thread self = Thread.currentThread();
        if (self.isVirtual() || !ProgramCancel.installed()) {
            return;
        }
        long[] note = FOREIGN.get();
        if (--note[2] > 0 || note[5] != 0) {
            return;
        }
        note[5] = 1;
        try {
            if (note[6] == 0) {
                note[6] = ProgramCancel.isProgramThread(self) ? 1 : 2;
            }
            if (note[6] != 1) {
                note[2] = Long.MAX_VALUE; // never again on this thread
                return;
            }
            readForeign(note);
        } finally {
            note[5] = 0;
        }
    }

    private static void readForeign(long[] note) {
        long now = Counters.THREADS.getCurrentThreadAllocatedBytes();
        READS.incrementAndGet();
        long a = arming;
        if (now < 0) {
            note[2] = CHECKS_PER_READ_MAX;
            return;
        }
        if (note[0] != a) {
            note[0] = a;
            note[1] = now;
            note[2] = note[3] = 1;
            return;
        }
        long delta = now - note[1];
        note[1] = now;
        note[2] = note[3] = checksPerRead(delta, (int) note[3]);
        if (delta <= 0) {
            return;
        }
        long e = epoch;
        if (REMAINING.addAndGet(-delta) > 0 || note[4] == e) {
            return;
        }
        if (HeldMonitors.check() != HeldMonitors.NOT_HELD) {
            return;
        }
        if (!await(e)) {
            note[4] = e;
        }
    }

    /**
     * Checks until the next read: so that it comes after about {@link #quantumBytes} at the rate of the last
     * {@code checks} checks ({@code deltaBytes} allocated), between 1 and {@link #CHECKS_PER_READ_MAX}.
     */
    static int checksPerRead(long deltaBytes, int checks) {
        if (deltaBytes <= 0) {
            return Math.min(CHECKS_PER_READ_MAX, 2 * Math.max(1, checks));
        }
        long perCheck = Math.max(1, deltaBytes / Math.max(1, checks));
        return (int) Math.max(1, Math.min(CHECKS_PER_READ_MAX, quantumBytes / perCheck));
    }

    /**
     * Waits until the epoch moves from {@code e} (a sample granted afresh, or the allowance disarmed), the thread is
     * interrupted, or {@link #WAIT_NS_MAX}; wakes the sampler first. Returns false if it timed out.
     */
    private static boolean await(long e) {
        Thread self = Thread.currentThread();
        int slot = -1;
        for (int i = 0; i < WAITERS_MAX; i++) {
            if (WAITERS.compareAndSet(i, null, self)) {
                slot = i;
                break;
            }
        }
        WAITS.incrementAndGet();
        Thread s = sampler;
        if (s != null) {
            LockSupport.unpark(s); // it sleeps until its next poll: ask for the sample now
        }
        try {
            long end = System.nanoTime() + WAIT_NS_MAX;
            long leftNs = WAIT_NS_MAX;
            // registered before the re-check: a grant after it unparks us, a grant before it is seen here
            while (epoch == e && !self.isInterrupted() && (leftNs = end - System.nanoTime()) > 0) {
                LockSupport.parkNanos(AllocationAllowance.class, slot >= 0 ? leftNs : Math.min(leftNs, WAIT_SLICE_NS));
            }
            return leftNs > 0;
        } finally {
            if (slot >= 0) {
                WAITERS.set(slot, null);
            }
        }
    }
}
