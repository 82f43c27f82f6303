package dev.weft.internal.cancel;

import dev.weft.internal.jdk.VirtualThreads;
import dev.weft.internal.time.TimerQueue;

/**
 * A task as the wait primitive sees it, and the owner of its thread's interrupt status.
 *
 * <p>Weft wakes a task blocked in a JDK call ({@code Thread.sleep}, {@code BlockingQueue.take}, socket I/O) by
 * interrupting its thread, and owns that interrupt. This class is the whole protocol; nothing else posts or
 * clears Weft's interrupt.
 *
 * <p>State (guarded by {@code this}; volatile for lock-free reads of the fast paths):
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
 */
public abstract class WaitingTask {
    /** See the class comment. Written under this; read lock-free. */
    private volatile boolean posted;
    /** See the class comment. Written under this; read lock-free. */
    private volatile boolean foreignOwed;
    /** See the class comment. Guarded by this; written by the task's thread. */
    private int shieldedWaits;

    protected WaitingTask() {}

    /** The task's thread, or null before it started. */
    protected abstract Thread taskThread();

    /** Whether the task's body runs on the current thread now. */
    protected abstract boolean runsOnCurrentThread();

    /**
     * Whether the task's innermost scope sees a cancel (no shield in between). Any thread; reads the task's
     * scope chain through volatile links.
     */
    protected abstract boolean cancelVisible();

    /** Raises the task's Cancelled if {@link #cancelVisible()}. The task's thread only. */
    protected abstract void checkpoint();

    /** The clock the task's deadlines and sleeps use. */
    protected abstract TimerQueue timers();

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
        synchronized (this) {
            if (cancelVisible()) {
                postLocked(t);
            }
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
        Thread t = taskThread();
        synchronized (this) {
            if (shieldedWaits == 0 && cancelVisible()) {
                postLocked(t);
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
        synchronized (this) {
            postLocked(self);
        }
    }

    private void postLocked(Thread t) {
        assert Thread.holdsLock(this);
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
        synchronized (this) {
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
        }
    }

    /** The task's thread, when its body has ended: clears Weft's interrupt, gives back the program's own. */
    public final void clearOnEnd() {
        Thread self = Thread.currentThread();
        synchronized (this) {
            if (posted) {
                posted = false;
                Thread.interrupted();
            }
            foreignOwed = false; // the thread ends: nobody left to give it to
        }
    }

    // ---------------------------------------------------------------- used by Park

    /** The task's thread found its status set in a Weft wait and cleared it: records a foreign interrupt. */
    final void interruptConsumed() {
        synchronized (this) {
            if (!posted) {
                foreignOwed = true;
            }
        }
    }

    /** At the end of a Weft wait: gives back an owed foreign interrupt unless Weft owns the status. */
    final void restoreOwed() {
        if (!foreignOwed) {
            return;
        }
        synchronized (this) {
            if (!posted && foreignOwed) {
                foreignOwed = false;
                Thread.currentThread().interrupt();
            }
        }
    }

    final void enterShieldedWait() {
        synchronized (this) {
            shieldedWaits++;
        }
    }

    final void exitShieldedWait() {
        synchronized (this) {
            shieldedWaits--;
            assert shieldedWaits >= 0 : "shielded wait underflow";
        }
        syncInterrupt(); // re-post if the cancel is still visible: the cleanup after the wait sees it
    }

    /** For dumps and tests: whether Weft owns the interrupt status now. */
    public final boolean interruptPosted() {
        return posted;
    }
}
