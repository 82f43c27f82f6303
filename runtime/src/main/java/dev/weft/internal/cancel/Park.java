package dev.weft.internal.cancel;

import dev.weft.internal.time.TimerQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * The one wait primitive: every Weft wait (channel send and receive, sleep, join, a nursery joining its
 * children, the blocking pool, object pools) parks here, and nowhere else (Trio's
 * {@code wait_task_rescheduled}).
 *
 * {@snippet class=dev.weft.internal.cancel.ParkSnippets region=await}
 *
 * <p>What it does, in order, on every wake-up: returns if the node was signalled; in {@link #CANCELLABLE} mode,
 * raises the task's {@code Cancelled} if a cancel is visible (after taking the node out of its queue, passing on
 * a signal that raced the departure); returns false once the deadline passed on the task's clock (a
 * {@code VirtualClock} in tests: the wait arms a timer, never polls); parks. An interrupt it finds is classified
 * by the task's {@link WaitingTask} (Weft's own, or the program's, which is given back when the wait ends).
 *
 * <h2>Modes</h2>
 * {@link #CANCELLABLE}: a cancellation point, always (also when no wait is needed: callers checkpoint first).
 * {@link #SHIELDED}: not a cancellation point; the task's thread is not re-interrupted while it waits, and the
 * interrupt status is re-synced afterwards. On a thread that is not a Weft task, both modes wait until
 * signalled or the deadline; {@link #INTERRUPTIBLE} returns {@link #INTERRUPTED} on an interrupt there.
 */
public final class Park {
    private Park() {}

    /** No deadline. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    /** A cancellation point. */
    public static final int CANCELLABLE = 0;
    /** Not a cancellation point; the wait completes whatever the task's cancel state. */
    public static final int SHIELDED = 1;
    /** Outside tasks only: an interrupt ends the wait with {@link #INTERRUPTED}. */
    public static final int INTERRUPTIBLE = 2;

    /** The node was signalled. */
    public static final int SIGNALLED = 0;
    /** The deadline passed first. */
    public static final int TIMED_OUT = 1;
    /** The thread (not a task) was interrupted, in {@link #INTERRUPTIBLE} mode. */
    public static final int INTERRUPTED = 2;

    /**
     * Waits until {@code node} is signalled or {@code deadlineNs} passes on the task's clock (on
     * {@link System#nanoTime()} outside tasks); {@code node} may be null for a pure timed wait. On return the node
     * is in no queue.
     *
     * @param task the current thread's task, or null on a thread that is not a Weft task
     * @return {@link #SIGNALLED}, {@link #TIMED_OUT} or {@link #INTERRUPTED}
     */
    public static int await(WaitingTask task, WaitQueue.Node node, long deadlineNs, int mode) {
        assert task == null || task.runsOnCurrentThread() : "await for a task off its thread";
        assert node == null || node.thread == Thread.currentThread() : "await on another thread's node";
        if (task != null && node != null && mode == CANCELLABLE && deadlineNs == NO_DEADLINE) {
            return awaitSignal(task, node);
        }
        TimerQueue timers = task == null ? null : task.timers();
        boolean virtualClock = timers != null && timers.isVirtual();
        TimerQueue.Timer wakeup = null; // armed on a virtual clock only; the task's own node, re-armed per wait
        boolean foreign = false; // non-task threads: an interrupt consumed here, given back at the end
        boolean shielded = task != null && mode == SHIELDED;
        if (shielded) {
            task.enterShieldedWait();
        }
        boolean done = false;
        try {
            while (true) {
                if (node != null && node.isSignalled()) {
                    done = true;
                    node.home = null;
                    return SIGNALLED;
                }
                if (task != null && mode == CANCELLABLE) {
                    task.checkpoint(); // throws Cancelled; the finally below leaves the queue
                }
                long remainingNs = NO_DEADLINE;
                if (deadlineNs != NO_DEADLINE) {
                    remainingNs = deadlineNs - (timers != null ? timers.nanoTime() : System.nanoTime());
                    if (remainingNs <= 0) {
                        return TIMED_OUT;
                    }
                    if (virtualClock && wakeup == null) {
                        wakeup = task.wakeupTimer();
                        timers.arm(wakeup, deadlineNs); // a stale run after the disarm is one spurious unpark
                    }
                }
                Object blocker = node != null ? node : Park.class;
                if (remainingNs == NO_DEADLINE || virtualClock) {
                    LockSupport.park(blocker);
                } else {
                    LockSupport.parkNanos(blocker, remainingNs);
                }
                if (task != null) {
                    if (Thread.currentThread().isInterrupted()) {
                        task.consumeInterrupt(); // classified under the task's lock
                    }
                } else if (Thread.interrupted()) {
                    if (mode == INTERRUPTIBLE) {
                        return INTERRUPTED;
                    }
                    foreign = true;
                }
            }
        } finally {
            if (wakeup != null) {
                timers.disarm(wakeup);
            }
            if (!done && node != null) {
                leave(node);
            }
            if (shielded) {
                task.exitShieldedWait();
            } else if (task != null) {
                task.restoreOwed();
            }
            if (foreign) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** The common case (a task, a node, a cancellation point, no deadline): the loop above, minus what it skips. */
    private static int awaitSignal(WaitingTask task, WaitQueue.Node node) {
        boolean done = false;
        try {
            while (!node.isSignalled()) {
                task.checkpoint(); // throws Cancelled; the finally below leaves the queue
                LockSupport.park(node);
                if (Thread.currentThread().isInterrupted()) {
                    task.consumeInterrupt();
                }
            }
            done = true;
            node.home = null;
            return SIGNALLED;
        } finally {
            if (!done) {
                leave(node);
            }
            task.restoreOwed();
        }
    }

    /**
     * Leaves the queue {@code node} was added to without waiting (the condition turned true between the check
     * and the add); a signal that raced the departure is passed on.
     */
    public static void abandon(WaitQueue.Node node) {
        assert node.thread == Thread.currentThread() : "abandon of another thread's node";
        leave(node);
    }

    /** A waiter leaving without a signal: out of its queue, passing on a signal that raced the departure. */
    private static void leave(WaitQueue.Node node) {
        WaitQueue home = node.home;
        node.home = null;
        if (home == null || home.remove(node)) {
            return;
        }
        if (node.isSignalled()) {
            // dequeued by a waker while we left: hand the signal to the next waiter of that queue, if any
            WaitQueue.wake(home.signalOne());
        }
    }

    /**
     * Signals a node that is in no queue and unparks its thread: one waiter and one waker (a job's completion), or
     * one waiter and several wakers that each may signal it (a select's node, signalled by every channel it waits
     * on; a second mark is harmless and the waiter re-checks its condition).
     */
    public static void signal(WaitQueue.Node node) {
        node.markSignalled();
        LockSupport.unpark(node.thread);
    }
}
