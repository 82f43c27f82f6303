package dev.weft.internal.cancel;

import dev.weft.internal.jdk.VirtualThreads;
import dev.weft.internal.time.TimerQueue;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A task as the wait primitive sees it, and the owner of its thread's interrupt status.
 *
 * <p>Weft wakes a task blocked in a JDK call ({@code Thread.sleep}, {@code BlockingQueue.take}, socket I/O) by
 * interrupting its thread, and owns that interrupt. This class is the whole protocol; nothing else posts or
 * clears Weft's interrupt.
 *
 * <p>State (guarded by {@link #lock}; volatile for lock-free reads of the fast paths):
 * <pre>
 *   posted       Weft's interrupt is in the status, or a JDK call consumed it while the cancel is visible
 *   foreignOwed  the program's own interrupt arrived (before or during Weft's) and is owed back to it
 *   shieldedWaits  &gt; 0 while the task waits without being a cancellation point (a nursery joining its children)
 * </pre>
 * Transitions, by event:
 * <pre>
 *   event                          thread      posted        status                 foreignOwed
 *   cancel visible, wake()         canceller   false→true    set                    |= status was set
 *   cancel visible, checkpoint     task        false→true    set                    |= status was set
 *   JDK call consumed it, unmount  carrier     true          set again (level)      -
 *   scope left, cancel invisible   task        true→false    cleared, then foreign  false
 *   Weft wait saw a foreign one    task        false         cleared for the wait   true; set again at the end
 * </pre>
 * Invariant: {@code posted == false} implies the status holds no interrupt of Weft's. Every check of "is the
 * cancel still visible" that leads to posting runs under the lock, and the task changes its scope chain before
 * it takes the lock to re-sync, so a canceller racing a scope's exit either posts before the exit clears it or
 * sees the new chain and posts nothing: no stray interrupt after a scope exits.
 *
 * <p>Things that don't work: a monitor as the lock. A canceller running as a virtual thread can unmount while it
 * holds the lock (its {@code Thread.interrupt()} takes the JDK's interrupt lock, which may be contended); the
 * carrier then runs the task's {@link #afterUnmount()} and, blocking on the monitor, never gives the canceller its
 * carrier back: a deadlock seen in the first version. Solution: a {@link ReentrantLock}, which the carrier only
 * tries. When it is busy, the carrier sets {@code rearmWanted} and tries once more; whoever holds the lock re-arms on
 * its way out ({@link #unlock()}): a holder may have decided before the JDK consumed the interrupt, and skipping the
 * re-arm then left the next JDK wait asleep (found by the torture suite).
 *
 * <p>Known limit: a JDK lock that parks clears the interrupt status while it waits and sets it again after (AQS
 * does); if Weft posts in that window, the program's own pending interrupt looks like none and is cleared with
 * Weft's when the task leaves the cancelled scope, as is a program interrupt that arrives while Weft's is posted.
 * Weft's own paths avoid JDK locks on the task's thread where it matters (the blocking pool's submission is
 * lock-free; the task takes this lock by spinning and yielding, never by parking in it).
 */
public abstract class WaitingTask {
    /** Guards the interrupt state below. Never held while blocking; the carrier only tries it. */
    private final ReentrantLock lock = new ReentrantLock();
    /** See the class comment. Written under lock; read lock-free. */
    private volatile boolean posted;
    /** See the class comment. Written under lock; read lock-free. */
    private volatile boolean foreignOwed;
    /** See the class comment. Guarded by lock; written by the task's thread. */
    private int shieldedWaits;
    /**
     * Set by the carrier when it found the lock busy after an unmount: whoever holds the lock does the re-arm when it
     * unlocks ({@link #unlock()}). Any thread.
     */
    private volatile boolean rearmWanted;

    /**
     * Cancellation points that took the slow path ({@link CheckpointProbe#reached}, the agent's checks): how the
     * checkpoint-gap sampler sees progress while its probe is armed ({@link CheckpointGaps}). Written by the task's
     * thread only; read by the sampler.
     */
    volatile int slowChecks;

    /**
     * The checkpoint-gap sampler's armed probe that watches this task, or null: the task's first slow check
     * disarms it at once ({@link CheckpointGaps#reached}), so the process's checks leave their slow path as soon as
     * the suspect proves it reaches cancellation points, not a sample period later. Set by the sampler, cleared by
     * either.
     */
    volatile Object gapWatch;

    /**
     * Whether a cancel may be visible to this task: the second test of every check, after the process-wide count
     * ({@link PendingCancels}, which gives the protocol and its memory-ordering argument). Starts set; set by any
     * thread that may have made a cancel visible to the task ({@link #markMayHaveCancel}); cleared by the task's
     * thread only, just before it walks its scopes ({@link #cancelToRaise}).
     */
    private volatile boolean mayHaveCancel = true;
    /**
     * Whether the task walks its scopes at every check that finds the count non-zero: set for the task of an
     * unmodified program's {@code main}, whose cancellation's grace ends on a clock. Written once before the task's
     * thread starts.
     */
    private boolean walksAlways;

    // Agent checks ({@link AgentChecks}); the task's thread only.
    /** Monitors held in agent-compiled code; no compiled check throws while it is above zero. */
    int monitorDepth;
    /** Checks to let pass before the next stack walk for monitors the agent did not count, and the back-off. */
    int foreignMonitorSkips;
    int foreignMonitorBackoff;
    /** Walks for {@link #foreignMonitorScope} that ran out of memory or stack. */
    int foreignMonitorFailures;
    /** The cancelled scope the back-off above was computed for; a different one starts afresh. */
    Object foreignMonitorScope;
    /**
     * A monitor the last walk found held (by code the agent did not compile), or null: until the task releases it
     * ({@link Thread#holdsLock}), checks hold the cancel back without walking, and the first check after the release
     * walks again, so a callback that spends nearly all its checks inside the monitor is still cancelled at its first
     * check outside (a back-off counting checks could skip every one of those).
     */
    Object foreignMonitor;
    /** The walk's out-parameter for {@link #foreignMonitor}; created by the first walk, then reused. */
    Object[] foreignMonitorOut;
    /**
     * True while the task runs the agent checks' slow path or the agent's own code ({@link AgentChecks}): a check
     * compiled into JDK code that runs there (an opted-in {@code java.util}) then returns at once.
     */
    boolean inAgentCode;
    /**
     * The heap watchdog's gate ({@link VerdictGate}): the opening this task last noted, the carrier whose counter it
     * read then, and that counter ({@link Long#MIN_VALUE} once it waited in that opening). The task's thread only.
     */
    long gateEpoch = -1;
    Thread gateCarrier;
    long gateBaseBytes;
    /**
     * The heap watchdog's allowance ({@link AllocationAllowance}): checks left before the next read of the carrier's
     * counter and checks per read, the arming and carrier of the last read and that counter, and the sample whose
     * wait timed out. The task's thread only.
     */
    int allowanceChecksLeft = 1;
    int allowanceChecksPerRead = 1;
    long allowanceArming = -1;
    Thread allowanceCarrier;
    long allowanceLastBytes;
    long allowanceWaitedEpoch = -1;

    protected WaitingTask() {}

    /** The platform thread the task is mounted on now, or null if unknown. The task's thread. */
    protected Thread carrierThread() {
        return null;
    }

    /** The task's thread, or null before it started. */
    protected abstract Thread taskThread();

    /** Whether {@code t} is this task's thread (a virtual thread it started inherits its scheduler, not this). */
    public final boolean ownsThread(Thread t) {
        return t != null && taskThread() == t;
    }

    /** Whether the task's body runs on the current thread now. */
    protected abstract boolean runsOnCurrentThread();

    /**
     * Whether the task's innermost scope sees a cancel (no shield in between). Any thread; reads the task's
     * scope chain through volatile links.
     */
    protected abstract boolean cancelVisible();

    /** Raises the task's Cancelled if {@link #cancelVisible()}. The task's thread only. */
    protected abstract void checkpoint();

    /** The cancelled scope a checkpoint would raise for now, or null. The task's thread. */
    protected abstract Object visibleCancelScope();

    /**
     * Whether this task's check must go on to its slow path once the count is non-zero: a cancel may be visible to
     * it, or a probe wants every check. One volatile read while no probe is armed. Any thread (the task's, in checks).
     */
    public final boolean mayHaveCancel() {
        return mayHaveCancel || PendingCancels.everyTask != 0;
    }

    /**
     * Called after a change that may make a cancel visible to this task (see the table in {@link PendingCancels}):
     * its next check walks its scopes. Any thread.
     */
    public final void markMayHaveCancel() {
        mayHaveCancel = true;
    }

    /** Makes the task walk its scopes at every check that finds the count non-zero. Before the thread starts. */
    protected final void walkAlways() {
        walksAlways = true;
    }

    /**
     * The checkpoint's walk: {@link #visibleCancelScope()}, with the task's flag cleared before it (so that a
     * cancel landing during the walk marks the task again: see {@link PendingCancels}) and set again when the walk
     * found a cancel (level-triggered). The task's thread only.
     */
    protected final Object cancelToRaise() {
        if (mayHaveCancel && !walksAlways) {
            mayHaveCancel = false; // a volatile write before the walk's volatile reads: the Dekker pair
        }
        Object hit = visibleCancelScope();
        if (hit != null && !mayHaveCancel) {
            mayHaveCancel = true;
        }
        return hit;
    }

    /** Forgets the agent checks' monitor-walk back-off (a cancellation was delivered). The task's thread. */
    protected final void resetAgentBackoff() {
        foreignMonitorSkips = 0;
        foreignMonitorBackoff = 0;
        foreignMonitorFailures = 0;
        foreignMonitorScope = null;
        foreignMonitor = null;
    }

    /** The clock the task's deadlines and sleeps use. */
    protected abstract TimerQueue timers();

    /** The task's own wait node, reused by its waits (one at a time). The task's thread only. */
    private WaitQueue.Node ownNode;

    /**
     * The task's own wait node, reset for its next wait: a task waits in one queue at a time and {@link Park#await}
     * leaves the node in no queue when it returns, so waits need not allocate one. The task's thread only.
     */
    public final WaitQueue.Node reusableNode() {
        WaitQueue.Node n = ownNode;
        if (n == null) {
            ownNode = n = new WaitQueue.Node();
        } else {
            n.reset();
        }
        return n;
    }

    /** The task's timed-wait wake-up on a virtual clock; created on first use, re-armed per wait. Task thread. */
    private TimerQueue.Timer wakeup;

    /** The node {@link Park} arms for a timed wait on a virtual clock: it unparks the task's thread. */
    final TimerQueue.Timer wakeupTimer() {
        TimerQueue.Timer w = wakeup;
        if (w == null) {
            Thread t = taskThread();
            wakeup = w = new TimerQueue.Timer(() -> java.util.concurrent.locks.LockSupport.unpark(t));
        }
        return w;
    }

    /** Now on the task's clock (its runtime's; a {@code VirtualClock} in tests). */
    public final long nanoTime() {
        return timers().nanoTime();
    }

    /** The current thread's task, or null (a platform thread, a virtual thread that is not a Weft task). */
    public static WaitingTask ofCurrentThread() {
        if (VirtualThreads.currentScheduler() instanceof WaitingTask w && w.runsOnCurrentThread()) {
            return w;
        }
        return null;
    }

    // ---------------------------------------------------------------- posting

    /**
     * Canceller side: interrupts the task's thread if a cancel is visible to it now, decided under the lock.
     * Any thread.
     */
    public final void wake() {
        Thread t = taskThread();
        if (t == null) {
            return;
        }
        lock.lock();
        try {
            if (cancelVisible()) {
                postLocked(t);
            }
        } finally {
            unlock();
        }
    }

    /**
     * Carrier side, just after the task's continuation yielded: if a JDK call consumed Weft's interrupt and the
     * cancel is still visible, interrupt again, so every later JDK blocking call wakes too (level-triggered).
     * Not while the task waits without being a cancellation point.
     */
    public final void afterUnmount() {
        if (PendingCancels.count == 0) {
            return; // a cancel that becomes visible after this read wakes the task itself
        }
        if (!lock.tryLock()) {
            // see "Things that don't work" above: never block the carrier. The holder may have decided before the JDK
            // consumed the interrupt, so ask it to re-arm when it unlocks, then try once more ourselves (if that fails
            // too, the holder's unlock comes after our request and sees it)
            rearmWanted = true;
            if (!lock.tryLock()) {
                return;
            }
        }
        try {
            rearmWanted = false;
            rearmLocked();
        } finally {
            unlock();
        }
    }

    /** The carrier's re-arm, under the lock. */
    private void rearmLocked() {
        Thread t = taskThread();
        if (posted && shieldedWaits == 0 && !t.isInterrupted() && deliveredByConsumption()) {
            // a JDK call consumed the interrupt, and that was the one delivery the cancellation gets: withdraw it
            posted = false;
            if (foreignOwed) {
                foreignOwed = false;
                t.interrupt();
            }
            return;
        }
        if (shieldedWaits == 0 && cancelVisible()) {
            postLocked(t);
        }
    }

    /**
     * Called when a JDK call has consumed Weft's interrupt: whether that counts as the delivery of a cancellation that
     * is delivered once (an unmodified program's, in its grace), so that it is not posted again. Under the lock.
     */
    protected boolean deliveredByConsumption() {
        return false;
    }

    /** Whether Weft's interrupt was posted and a JDK call has consumed it. Decided under the lock. Task thread. */
    protected final boolean interruptConsumed() {
        lockOnTaskThread();
        try {
            return posted && !Thread.currentThread().isInterrupted();
        } finally {
            unlock();
        }
    }

    /** Releases the lock; does a re-arm the carrier asked for while the lock was busy. */
    private void unlock() {
        lock.unlock();
        while (rearmWanted && lock.tryLock()) {
            try {
                rearmWanted = false;
                rearmLocked();
            } finally {
                lock.unlock();
            }
        }
    }

    /** The task's own thread, raising Cancelled: keeps the status posted for the JDK calls in cleanup. */
    public final void postForCancel() {
        Thread self = Thread.currentThread();
        assert self == taskThread() : "postForCancel off the task's thread";
        if (posted && self.isInterrupted()) {
            return;
        }
        lockOnTaskThread();
        try {
            postLocked(self);
        } finally {
            unlock();
        }
    }

    /** Spins before yielding: see {@link #lockOnTaskThread()}. */
    private static final int LOCK_SPINS = 256;

    /**
     * Takes the lock on the task's own thread without ever parking in it. A contended {@code ReentrantLock.lock()}
     * parks, and AQS clears the interrupt status while it waits and sets it again afterwards; a canceller holding the
     * lock meanwhile would read the status as clear and take the program's own interrupt for none. So the task spins
     * briefly, then yields its carrier between attempts (a yield leaves the status alone); the holder's critical
     * section is a few field writes and one {@code Thread.interrupt()}.
     */
    private void lockOnTaskThread() {
        for (int i = 0; !lock.tryLock(); i++) {
            if (i < LOCK_SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield();
            }
        }
    }

    private void postLocked(Thread t) {
        assert lock.isHeldByCurrentThread();
        if (!posted) {
            posted = true;
            if (t.isInterrupted()) {
                foreignOwed = true; // the program's own interrupt is in the status: give it back later
            } else {
                t.interrupt();
            }
        } else if (shieldedWaits == 0 && !t.isInterrupted()) {
            t.interrupt(); // a JDK call consumed ours while the cancel stayed visible
        }
    }

    /**
     * The task's thread, after its scope chain changed (a scope entered or left, a shield toggled, the body
     * started or ended): posts Weft's interrupt if a cancel is visible, or clears it and gives back the
     * program's own if one is owed.
     */
    public final void syncInterrupt() {
        Thread self = Thread.currentThread();
        assert self == taskThread() : "syncInterrupt off the task's thread";
        lockOnTaskThread();
        try {
            if (cancelVisible()) {
                postLocked(self);
            } else if (posted) {
                posted = false;
                Thread.interrupted();
                if (foreignOwed) {
                    foreignOwed = false;
                    self.interrupt();
                }
            }
        } finally {
            unlock();
        }
    }

    /**
     * The task's thread, after it entered a scope or started its body: as {@link #syncInterrupt()}, but without the
     * lock while nothing is cancelled anywhere and Weft owns no interrupt. Safe there, unlike on a scope's exit: a
     * canceller increments the pending count before it wakes anyone, so reading zero after the chain changed means
     * any canceller still to come sees the new chain (and this task needs nothing cleared).
     */
    public final void syncInterruptAfterEntry() {
        if (PendingCancels.count == 0 && !posted) {
            return;
        }
        syncInterrupt();
    }

    /** The task's thread, when its body has ended: clears Weft's interrupt (the thread ends: nothing is owed). */
    public final void clearOnEnd() {
        if (!posted && !foreignOwed) {
            return; // a canceller arriving later finds no scope entered (the chain is empty) and posts nothing
        }
        lockOnTaskThread();
        try {
            if (posted) {
                posted = false;
                Thread.interrupted();
            }
            foreignOwed = false; // the thread ends: nobody left to give it to
        } finally {
            unlock();
        }
    }

    // ---------------------------------------------------------------- used by Park

    /**
     * The task's thread, in a Weft wait that found its status set: clears it and records a foreign interrupt if
     * it was not Weft's. The read-and-clear runs under the lock, so a canceller posting at the same moment cannot
     * make the program's own interrupt look like Weft's.
     */
    final void consumeInterrupt() {
        lockOnTaskThread();
        try {
            if (Thread.interrupted() && !posted) {
                foreignOwed = true;
            }
        } finally {
            unlock();
        }
    }

    /** At the end of a Weft wait: gives back an owed foreign interrupt unless Weft owns the status. */
    final void restoreOwed() {
        if (!foreignOwed) {
            return;
        }
        lockOnTaskThread();
        try {
            if (!posted && foreignOwed) {
                foreignOwed = false;
                Thread.currentThread().interrupt();
            }
        } finally {
            unlock();
        }
    }

    final void enterShieldedWait() {
        lockOnTaskThread();
        try {
            shieldedWaits++;
        } finally {
            unlock();
        }
    }

    final void exitShieldedWait() {
        lockOnTaskThread();
        try {
            shieldedWaits--;
            assert shieldedWaits >= 0 : "shielded wait underflow";
        } finally {
            unlock();
        }
        syncInterrupt(); // re-post if the cancel is still visible: the cleanup after the wait sees it
    }
}
