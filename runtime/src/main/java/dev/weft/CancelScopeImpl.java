package dev.weft;

import dev.weft.internal.cancel.PendingCancels;
import dev.weft.internal.time.TimerQueue;
import java.time.Duration;

/**
 * The one implementation of {@link CancelScope}; also the root scope of every task and the scope of
 * every {@link TaskScope}.
 *
 * <p>State table ({@link #state}, guarded by {@code this}):
 * <pre>
 *   NEW     --enter()-->  ENTERED  --exit()-->  EXITED
 * </pre>
 * Orthogonal: {@link #reason} goes from null to a reason once (cancelled). {@link #counted} is true while
 * the scope is both ENTERED and cancelled, which is exactly when it adds one to
 * {@link PendingCancels#count}.
 *
 * <p>Tree: {@link #parent} is the scope that was innermost in the owning task when this one was entered,
 * or, for a task's root scope, the {@link TaskScope}'s scope in the parent task. Children (nested scopes
 * and child tasks' root scopes) form an intrusive doubly linked list guarded by the parent's monitor.
 * Locks are taken parent before child only.
 */
final class CancelScopeImpl implements CancelScope {
    static final long NO_DEADLINE = Long.MAX_VALUE;

    /** Created, not yet entered. */
    static final int NEW = 0;
    /** Entered by its owner; cancellation reaches code inside. */
    static final int ENTERED = 1;
    /** Body finished; the scope is out of the tree. */
    static final int EXITED = 2;

    /** Kinds, for dumps. */
    static final int KIND_CANCEL = 0;
    static final int KIND_TASK_SCOPE = 1;
    static final int KIND_TASK_ROOT = 2;

    /** Name for errors and dumps. Written by the creator (or via {@link #name(String)}), read by any. */
    private volatile String name;
    /** Relative timeout applied at entry, or -1. Immutable. */
    private final long relativeTimeoutNs;
    /** Whether outer cancellation is hidden. Any thread. */
    private volatile boolean shield;
    /** Absolute deadline, or NO_DEADLINE. Guarded by this; volatile for lock-free reads. */
    private volatile long deadlineNs;
    /** Null until cancelled, then why. Written once under this; read lock-free by checkpoints. */
    volatile CancelReason reason;
    /** Where an explicit cancel came from. Written with {@link #reason}. */
    private Throwable origin;

    /** See the state table. Guarded by this. */
    private int state = NEW;
    /** Whether this scope is counted in PendingCancels. Guarded by this. */
    private boolean counted;
    /** Pending deadline timer, or null. Guarded by this. */
    private TimerQueue.Timer timer;

    /** Enclosing scope. Written once at entry by the owner, before publication via the tree. */
    CancelScopeImpl parent;
    /** The task whose code runs inside. Written once at entry. */
    TaskImpl<?> owner;
    /** What this scope belongs to, for dumps. Written at construction. */
    int kind = KIND_CANCEL;
    /** The task scope or task this scope is the scope of, for dumps; or null. */
    Object subject;

    /** Children list head. Guarded by this. */
    private CancelScopeImpl firstChild;
    /** Sibling links. Guarded by the parent's monitor. */
    private CancelScopeImpl prevSibling;
    private CancelScopeImpl nextSibling;

    /** Whether the body ended by this scope catching Cancelled. Written by the owner. */
    private volatile boolean cancelledCaught;

    CancelScopeImpl(String name, long deadlineNs, long relativeTimeoutNs, boolean shield) {
        this.name = name;
        this.deadlineNs = deadlineNs;
        this.relativeTimeoutNs = relativeTimeoutNs;
        this.shield = shield;
    }

    static long checkTimeout(Duration timeout) {
        if (timeout == null) {
            throw new NullPointerException("timeout is null; pass a Duration such as Duration.ofSeconds(5)");
        }
        if (timeout.isNegative()) {
            throw new IllegalArgumentException("timeout must not be negative, got " + timeout
                    + "; use Duration.ZERO to cancel at entry");
        }
        try {
            return timeout.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE / 2; // centuries: effectively none, without overflow
        }
    }

    // ---------------------------------------------------------------- API

    @Override
    public CancelScope name(String name) {
        this.name = name;
        return this;
    }

    @Override
    public String name() {
        String n = name;
        if (n != null) {
            return n;
        }
        return switch (kind) {
            case KIND_TASK_ROOT -> subject instanceof TaskImpl<?> t ? t.name() : "task";
            case KIND_TASK_SCOPE -> "task scope of " + (owner == null ? "?" : owner.name());
            default -> "cancel scope@" + Integer.toHexString(System.identityHashCode(this));
        };
    }

    @Override
    public CancelScope shield(boolean shield) {
        this.shield = shield;
        TaskImpl<?> o;
        synchronized (this) {
            o = state == ENTERED ? owner : null;
        }
        if (o != null) {
            if (o.isCurrentThread()) {
                o.syncInterrupt();
            } else if (!shield) {
                // Removing a shield from outside: wake the code inside if an outer cancel is now visible.
                if (isCancelledOrOuterVisible()) {
                    wakeSubtree(this);
                }
            }
        }
        return this;
    }

    @Override
    public boolean isShield() {
        return shield;
    }

    @Override
    public <X extends Throwable> void run(ThrowingRunnable<X> body) throws X {
        call(() -> {
            body.run();
            return null;
        });
    }

    @Override
    public <T, X extends Throwable> T call(ThrowingCallable<T, X> body) throws X {
        TaskImpl<?> task = TaskImpl.currentOrThrow("CancelScope.run");
        enter(task);
        boolean absorbed = false;
        try {
            return body.call();
        } catch (Cancelled c) {
            if (shouldAbsorb()) {
                absorbed = true;
                cancelledCaught = true;
                return null;
            }
            throw c;
        } catch (Throwable t) {
            // A JDK blocking call woken by Weft's interrupt reports it as InterruptedException & co.
            Cancelled c = task.asCancelled(t);
            if (c == null) {
                throw t;
            }
            if (shouldAbsorb()) {
                absorbed = true;
                cancelledCaught = true;
                return null;
            }
            throw c;
        } finally {
            exit(task, absorbed);
        }
    }

    @Override
    public void cancel() {
        cancel(CancelReason.EXPLICIT, CancelOrigin.here("cancel requested"));
    }

    @Override
    public boolean isCancelRequested() {
        return reason != null;
    }

    @Override
    public boolean cancelledCaught() {
        return cancelledCaught;
    }

    @Override
    public long deadlineNs() {
        return deadlineNs;
    }

    @Override
    public void setDeadlineNs(long newDeadlineNs) {
        TimerQueue timers;
        TimerQueue.Timer old;
        synchronized (this) {
            deadlineNs = newDeadlineNs;
            if (state != ENTERED) {
                return; // applied at entry
            }
            timers = owner.runtime().timers();
            old = timer;
            timer = null;
        }
        if (old != null) {
            timers.cancel(old);
        }
        armDeadline(timers);
    }

    // ---------------------------------------------------------------- machinery

    /** Enters this scope in {@code task}, which must be the current thread's task. */
    void enter(TaskImpl<?> task) {
        CancelScopeImpl outer = task.current;
        TimerQueue timers = task.runtime().timers();
        long relDeadline = relativeTimeoutNs >= 0 ? timers.nanoTime() + relativeTimeoutNs : NO_DEADLINE;
        synchronized (this) { // one lock round: a cancel() before or after this block counts the scope once
            if (state != NEW) {
                throw new IllegalStateException("cancel scope '" + name() + "' was already "
                        + (state == ENTERED ? "entered and is still running" : "used")
                        + "; a CancelScope runs one block: create a new one for each block");
            }
            state = ENTERED;
            owner = task;
            parent = outer;
            if (relDeadline - deadlineNs < 0) {
                deadlineNs = relDeadline;
            }
            if (reason != null) {
                counted = true;
                PendingCancels.increment();
            }
        }
        if (outer != null) {
            outer.addChild(this);
        }
        armDeadline(timers);
        task.current = this;
        task.syncInterrupt();
    }


    /** Enters this scope as the root scope of {@code child}, on the spawning thread. */
    void enterAsTaskRoot(TaskImpl<?> child, CancelScopeImpl spawnScope) {
        synchronized (this) {
            assert state == NEW;
            state = ENTERED;
            owner = child;
            parent = spawnScope;
            kind = KIND_TASK_ROOT;
            subject = child;
            if (reason != null && !counted) {
                counted = true;
                PendingCancels.increment();
            }
        }
        if (spawnScope != null) {
            spawnScope.addChild(this);
        }
        child.current = this;
        if (deadlineNs != NO_DEADLINE || relativeTimeoutNs >= 0) {
            TimerQueue timers = child.runtime().timers();
            if (relativeTimeoutNs >= 0) {
                synchronized (this) {
                    long rel = timers.nanoTime() + relativeTimeoutNs;
                    if (rel - deadlineNs < 0) {
                        deadlineNs = rel;
                    }
                }
            }
            armDeadline(timers);
        }
    }

    private void armDeadline(TimerQueue timers) {
        long d = deadlineNs;
        if (d == NO_DEADLINE || reason != null) {
            return;
        }
        if (d - timers.nanoTime() <= 0) {
            cancel(CancelReason.DEADLINE, null);
            return;
        }
        TimerQueue.Timer t = timers.schedule(d, () -> cancel(CancelReason.DEADLINE, null));
        boolean stale;
        synchronized (this) {
            stale = state != ENTERED || timer != null || deadlineNs != d;
            if (!stale) {
                timer = t;
            }
        }
        if (stale) {
            timers.cancel(t);
        }
    }

    /** Leaves this scope; {@code task} is the current thread's task. */
    void exit(TaskImpl<?> task, boolean absorbed) {
        if (task.current != this) {
            // Only reachable through a Weft bug: run/call nest by construction.
            throw new AssertionError("cancel scope '" + name() + "' exited while '"
                    + task.current.name() + "' is innermost");
        }
        task.current = parent;
        leaveTree(task);
        task.syncInterrupt();
    }

    /** EXITED: stops the deadline timer, stops counting as pending, unlinks from the parent. */
    private void leaveTree(TaskImpl<?> task) {
        TimerQueue.Timer t;
        synchronized (this) {
            state = EXITED;
            t = timer;
            timer = null;
            if (counted) {
                counted = false;
                PendingCancels.decrement();
            }
        }
        if (t != null) {
            task.runtime().timers().cancel(t);
        }
        if (parent != null) {
            parent.removeChild(this);
        }
    }

    /** Leaves this task root scope when the task ends (on the task's thread, after current was cleared). */
    void exitTaskRootDetached(TaskImpl<?> task) {
        assert kind == KIND_TASK_ROOT && task.current == null;
        leaveTree(task);
    }

    /** Records that this scope absorbed a Cancelled (task scopes and task roots). Owner thread. */
    void markCaught() {
        cancelledCaught = true;
    }

    /** Whether a Cancelled propagating out of the body should stop here (Trio's rule). */
    boolean shouldAbsorb() {
        return reason != null && !outerCancelVisible();
    }

    /** Whether a cancelled ancestor is visible from inside this scope (no shield in between). */
    boolean outerCancelVisible() {
        if (shield) {
            return false;
        }
        for (CancelScopeImpl s = parent; s != null; s = s.parent) {
            if (s.reason != null) {
                return true;
            }
            if (s.shield) {
                return false;
            }
        }
        return false;
    }

    private boolean isCancelledOrOuterVisible() {
        return reason != null || outerCancelVisible();
    }

    /** Cancels with {@code why}; the first reason wins. Any thread. */
    void cancel(CancelReason why, Throwable where) {
        TaskImpl<?> o;
        synchronized (this) {
            if (reason != null) {
                return;
            }
            origin = where;
            reason = why;
            if (state == ENTERED) {
                counted = true;
                PendingCancels.increment();
            }
            o = owner;
        }
        if (o != null) {
            wakeSubtree(this);
        }
    }

    Throwable origin() {
        return origin;
    }

    /** Wakes every task whose innermost scope is {@code s} or below it, not behind a shield. */
    private static void wakeSubtree(CancelScopeImpl s) {
        TaskImpl<?> o = s.owner;
        if (o != null && o.current == s) {
            o.wake();
        }
        synchronized (s) {
            for (CancelScopeImpl c = s.firstChild; c != null; c = c.nextSibling) {
                if (!c.shield) {
                    wakeSubtree(c);
                }
            }
        }
    }

    private synchronized void addChild(CancelScopeImpl c) {
        c.prevSibling = null;
        c.nextSibling = firstChild;
        if (firstChild != null) {
            firstChild.prevSibling = c;
        }
        firstChild = c;
    }

    private synchronized void removeChild(CancelScopeImpl c) {
        if (c.prevSibling != null) {
            c.prevSibling.nextSibling = c.nextSibling;
        } else {
            assert firstChild == c : "child not in list";
            firstChild = c.nextSibling;
        }
        if (c.nextSibling != null) {
            c.nextSibling.prevSibling = c.prevSibling;
        }
        c.prevSibling = null;
        c.nextSibling = null;
    }

    /** Snapshot of the children, for dumps. */
    synchronized java.util.List<CancelScopeImpl> children() {
        var list = new java.util.ArrayList<CancelScopeImpl>();
        for (CancelScopeImpl c = firstChild; c != null; c = c.nextSibling) {
            list.add(c);
        }
        java.util.Collections.reverse(list);
        return list;
    }

    /** One line for dumps. */
    String describe(long nowNs) {
        StringBuilder sb = new StringBuilder();
        sb.append(switch (kind) {
            case KIND_TASK_SCOPE -> "task-scope";
            case KIND_TASK_ROOT -> "task-root";
            default -> "cancel-scope";
        });
        sb.append(" '").append(name()).append('\'');
        if (shield) {
            sb.append(" shield");
        }
        long d = deadlineNs;
        if (d != NO_DEADLINE) {
            sb.append(" deadline=").append(Duration.ofNanos(d - nowNs)).append(" from now");
        }
        CancelReason r = reason;
        if (r != null) {
            sb.append(" CANCELLED(").append(r).append(')');
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return "CancelScope[" + name() + (reason != null ? ", cancelled: " + reason : "") + "]";
    }
}
