package dev.weft;

import dev.weft.internal.cancel.PendingCancels;
import dev.weft.internal.cancel.ProgramCancel;
import dev.weft.internal.event.CancelDeliveredEvent;
import dev.weft.internal.event.Jfr;
import dev.weft.internal.time.TimerQueue;
import java.time.Duration;
import java.util.ArrayDeque;

/**
 * The one implementation of {@link CancelScope}; also the root scope of every task and the scope of
 * every {@link TaskScope}. It originates cancellation (explicit, deadline) and is a node of the scope tree
 * through which cancellation propagates to the tasks inside.
 *
 * <p>States ({@link #state}, guarded by {@code this}):
 * <pre>
 *   ST_NEW            created, not entered, not cancelled
 *   ST_NEW_CANCELLED  created, cancel requested before entry (a deadline in the past, or cancel())
 *   ST_ENTERED        entered by its owner, not cancelled
 *   ST_CANCELLED      entered and cancelled: counted in PendingCancels, code inside sees it
 *   ST_EXITED         left the tree; {@link #reason} says whether a cancel was ever requested
 * </pre>
 * Transitions, by event (anything else is a Weft bug and fails an assertion in {@link #transition}):
 * <pre>
 *   state \ event     enter (owner)          cancel (any thread)                     exit (owner)
 *   ST_NEW            ST_ENTERED             ST_NEW_CANCELLED                        -
 *   ST_NEW_CANCELLED  ST_CANCELLED, count+1  -                                       -
 *   ST_ENTERED        misuse error           ST_CANCELLED, count+1, wake the subtree ST_EXITED
 *   ST_CANCELLED      misuse error           -                                       ST_EXITED, count-1
 *   ST_EXITED         misuse error           reason recorded, nothing woken          -
 * </pre>
 *
 * <p>Tree: {@link #parent} is the scope that was innermost in the owning task when this one was entered,
 * or, for a task's root scope, the {@link TaskScope}'s scope in the parent task. Children (nested scopes
 * and child tasks' root scopes) form an intrusive doubly linked list guarded by the parent's monitor. A
 * monitor is never held while another scope's is taken: propagation snapshots the children of one scope at a
 * time onto an explicit stack.
 *
 * <p>The effective cancellation of code inside a scope (Trio's {@code CancelStatus.effectively_cancelled}) is
 * computed by one walk, {@link #effectiveCancel}: from the innermost scope outwards up to and including the
 * first shield, the outermost cancelled scope. That scope absorbs the {@link Cancelled} (Trio's rule).
 */
final class CancelScopeImpl implements CancelScope {
    static final long NO_DEADLINE = Long.MAX_VALUE;

    /** Created, not entered, not cancelled. */
    static final int ST_NEW = 0;
    /** Created, cancel requested before entry. */
    static final int ST_NEW_CANCELLED = 1;
    /** Entered by its owner, not cancelled. */
    static final int ST_ENTERED = 2;
    /** Entered and cancelled; counted in PendingCancels. */
    static final int ST_CANCELLED = 3;
    /** Left the tree. */
    static final int ST_EXITED = 4;

    /** Kinds, for dumps. */
    static final int KIND_CANCEL = 0;
    static final int KIND_TASK_SCOPE = 1;
    static final int KIND_TASK_ROOT = 2;

    /** Name for errors and dumps. Written by the creator (or via {@link #name(String)}), read by any. */
    private volatile String name;
    /** Relative timeout applied at entry, or -1. Immutable. */
    private final long relativeTimeoutNs;
    /** Whether outer cancellation is hidden. Written by any thread; read lock-free by the walk. */
    private volatile boolean shield;
    /** Absolute deadline, or NO_DEADLINE. Written under this; volatile for lock-free reads. */
    private volatile long deadlineNs;
    /** Null until cancelled, then why. Written once under this; read lock-free by checkpoints. */
    volatile CancelReason reason;
    /** Whether this is the root scope of an unmodified program ({@code weft run}). Written once before entry. */
    private boolean cancelsProgram;
    /** Where an explicit cancel came from. Written with {@link #reason}, under this. */
    private Throwable origin;

    /**
     * While a JFR recording runs: the delivery event, begun at the cancel request, ended at the exit; and when the
     * request came and when a cancellation point first raised for it ({@link System#nanoTime()}, 0 if not yet).
     * The event and the request time are written once under this by the canceller and read under this at the exit;
     * the notice time is written by the first task that raised (racing tasks inside: one of their times wins).
     */
    private CancelDeliveredEvent deliveredEvent;
    private long requestedNs;
    private volatile long noticedNs;

    /** See the state table. Guarded by this. */
    private int state = ST_NEW;
    /** The deadline's timer node, created at the first arm and re-armed in place (no allocation per change). */
    private TimerQueue.Timer deadlineTimer;
    /** The queue the node is armed in, or null. Guarded by this. */
    private TimerQueue armedIn;

    /** Enclosing scope. Written once at entry by the owner (or the spawner), before publication via the tree. */
    CancelScopeImpl parent;
    /** The task whose code runs inside. Written once at entry, under this. */
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

    /** Whether the body ended by this scope catching Cancelled. Written by the owner; read by any. */
    private volatile boolean cancelledCaught;

    CancelScopeImpl(String name, long deadlineNs, long relativeTimeoutNs, boolean shield) {
        this.name = name;
        this.deadlineNs = deadlineNs;
        this.relativeTimeoutNs = relativeTimeoutNs;
        this.shield = shield;
        if (deadlineNs != NO_DEADLINE) {
            cancelIfDeadlinePassed();
        }
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
            o = state == ST_ENTERED || state == ST_CANCELLED ? owner : null;
        }
        if (o != null) {
            if (!shield) {
                wakeSubtree(this); // an outer cancel may be visible inside now: the owner and its children
            }
            if (o.isCurrentThread()) {
                o.syncInterrupt();
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
        try {
            return body.call();
        } catch (Throwable t) {
            // A JDK blocking call woken by Weft's interrupt reports it as InterruptedException & co.
            Cancelled c = t instanceof Cancelled cc ? cc : task.asCancelled(t);
            if (c == null) {
                throw t;
            }
            if (absorbs()) {
                cancelledCaught = true;
                return null;
            }
            throw c;
        } finally {
            exit(task);
        }
    }

    @Override
    public void cancel() {
        cancel(CancelReason.EXPLICIT, CancelOrigin.here("cancel requested"));
    }

    @Override
    public boolean isCancelRequested() {
        if (reason == null && deadlineNs != NO_DEADLINE) {
            cancelIfDeadlinePassed(); // the timer may not have fired yet: answer from the clock (Trio does)
        }
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
        boolean entered;
        synchronized (this) {
            deadlineNs = newDeadlineNs;
            entered = state == ST_ENTERED;
        }
        if (entered) {
            armDeadline(owner.runtime().timers());
        } else {
            cancelIfDeadlinePassed(); // before entry: a deadline already past cancels at once; else applied at entry
        }
    }

    // ---------------------------------------------------------------- the state machine

    /** The one transition helper: asserts the transition is in the table. Caller holds this. */
    private void transition(int from, int to) {
        assert Thread.holdsLock(this);
        assert state == from : "cancel scope '" + name() + "': transition from " + from + " but state is " + state;
        assert switch (from) {
            case ST_NEW -> to == ST_ENTERED || to == ST_NEW_CANCELLED;
            case ST_NEW_CANCELLED -> to == ST_CANCELLED;
            case ST_ENTERED -> to == ST_CANCELLED || to == ST_EXITED;
            case ST_CANCELLED -> to == ST_EXITED;
            default -> false;
        } : "cancel scope '" + name() + "': no transition " + from + " -> " + to;
        if (to == ST_CANCELLED) {
            PendingCancels.increment();
            if (owner != null) {
                owner.markMayHaveCancel(); // entered cancelled, or cancelled: after the count, before any wake
            }
        } else if (from == ST_CANCELLED) {
            PendingCancels.decrement();
        }
        state = to;
    }

    /** Whether the scope is entered (cancelled or not). Any thread. */
    synchronized boolean isEntered() {
        return state == ST_ENTERED || state == ST_CANCELLED;
    }

    /** Enters this scope in {@code task}, which must be the current thread's task. */
    void enter(TaskImpl<?> task) {
        assert task.isCurrentThread() : "enter off the owner's thread";
        CancelScopeImpl outer = task.current;
        TimerQueue timers = task.runtime().timers();
        long relDeadline = relativeTimeoutNs >= 0 ? timers.nanoTime() + relativeTimeoutNs : NO_DEADLINE;
        synchronized (this) { // one lock round: a cancel() before or after this block counts the scope once
            if (state != ST_NEW && state != ST_NEW_CANCELLED) {
                throw new IllegalStateException("cancel scope '" + name() + "' was already "
                        + (state == ST_EXITED ? "used" : "entered and is still running")
                        + "; a CancelScope runs one block: create a new one for each block");
            }
            owner = task;
            parent = outer;
            if (relativeTimeoutNs >= 0 && (deadlineNs == NO_DEADLINE || relDeadline - deadlineNs < 0)) {
                deadlineNs = relDeadline;
            }
            transition(state, state == ST_NEW ? ST_ENTERED : ST_CANCELLED);
        }
        if (outer != null) {
            outer.addChild(this);
        }
        task.current = this;
        armDeadline(timers);
        task.syncInterruptAfterEntry();
    }

    /** Enters this scope as the root scope of {@code child}, on the spawning thread, before the child starts. */
    void enterAsTaskRoot(TaskImpl<?> child, CancelScopeImpl spawnScope) {
        kind = KIND_TASK_ROOT;
        subject = child;
        TimerQueue timers = child.runtime().timers();
        synchronized (this) {
            assert state == ST_NEW || state == ST_NEW_CANCELLED : "task root entered twice";
            owner = child;
            parent = spawnScope;
            if (relativeTimeoutNs >= 0) {
                long rel = timers.nanoTime() + relativeTimeoutNs;
                if (deadlineNs == NO_DEADLINE || rel - deadlineNs < 0) {
                    deadlineNs = rel;
                }
            }
            transition(state, state == ST_NEW ? ST_ENTERED : ST_CANCELLED);
        }
        if (spawnScope != null) {
            spawnScope.addChild(this);
        }
        child.current = this;
        if (deadlineNs != NO_DEADLINE) {
            armDeadline(timers);
        }
    }

    /** Arms (or re-arms, or disarms) the deadline timer for {@link #deadlineNs}; cancels now if it passed. */
    private void armDeadline(TimerQueue timers) {
        boolean passed = false;
        synchronized (this) {
            long d = deadlineNs;
            if (state != ST_ENTERED) {
                return; // not entered, or cancelled already: nothing to time
            }
            if (d == NO_DEADLINE) {
                if (armedIn != null) {
                    armedIn.disarm(deadlineTimer);
                    armedIn = null;
                }
            } else if (d - timers.nanoTime() <= 0) {
                passed = true;
            } else {
                if (deadlineTimer == null) {
                    deadlineTimer = new TimerQueue.Timer(this::onDeadline);
                }
                timers.arm(deadlineTimer, d); // the queue's lock is a leaf: taken under ours
                armedIn = timers;
            }
        }
        if (passed) {
            cancel(CancelReason.DEADLINE, null);
        }
    }

    /** The timer's action. A re-armed node may run a stale action: re-check against the clock. */
    private void onDeadline() {
        TimerQueue timers;
        synchronized (this) {
            timers = armedIn;
        }
        if (timers != null && deadlineNs - timers.nanoTime() <= 0) {
            cancel(CancelReason.DEADLINE, null);
        }
    }

    /** Before entry or while entered: cancels now if the deadline already passed on the runtime's clock. */
    private void cancelIfDeadlinePassed() {
        synchronized (this) {
            if (state == ST_EXITED) {
                return; // a deadline passing after the exit cancels nothing
            }
        }
        TaskImpl<?> o = owner;
        TaskImpl<?> clockOf = o != null ? o : TaskImpl.current();
        if (clockOf == null) {
            return; // no runtime, no clock: decided at entry
        }
        if (deadlineNs - clockOf.runtime().timers().nanoTime() <= 0) {
            cancel(CancelReason.DEADLINE, null);
        }
    }

    /**
     * Leaves this scope; {@code task} is the current thread's task. The task's chain changes first, then the
     * scope leaves the tree, then the interrupt is re-synced under the task's lock: a canceller that saw the
     * old chain posted before the sync (which clears it); one that sees the new chain posts nothing.
     */
    void exit(TaskImpl<?> task) {
        if (task.current != this) {
            // Only reachable through a Weft bug: run/call nest by construction.
            throw new AssertionError("cancel scope '" + name() + "' exited while '"
                    + task.current.name() + "' is innermost");
        }
        task.current = parent;
        if (shield) {
            task.markMayHaveCancel(); // leaving a shield: the cancels it hid may show again
        }
        leaveTree(task);
        task.syncInterrupt();
    }

    /** ST_EXITED: stops the deadline timer, stops counting as pending, unlinks from the parent. */
    private void leaveTree(TaskImpl<?> task) {
        CancelDeliveredEvent delivered;
        synchronized (this) {
            transition(state, ST_EXITED);
            if (armedIn != null) {
                armedIn.disarm(deadlineTimer);
                armedIn = null;
            }
            delivered = deliveredEvent;
            deliveredEvent = null;
        }
        if (delivered != null) {
            RuntimeEvents.cancelDelivered(this, delivered, requestedNs, noticedNs);
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

    /** Whether a Cancelled arriving at this scope's exit stops here: it is the outermost visible cancelled scope. */
    boolean absorbs() {
        return reason != null && effectiveCancel(this) == this;
    }

    /**
     * The effective-cancellation walk, the only one: from {@code innermost} outwards, up to and including the
     * first shield, the outermost cancelled scope; null if none is visible. Any thread (reads volatile links).
     */
    static CancelScopeImpl effectiveCancel(CancelScopeImpl innermost) {
        CancelScopeImpl hit = null;
        for (CancelScopeImpl s = innermost; s != null; s = s.parent) {
            if (s.reason != null) {
                hit = s;
            }
            if (s.shield) {
                break;
            }
        }
        return hit;
    }

    /** Cancels with {@code why}; the first reason wins. Any thread. */
    void cancel(CancelReason why, Throwable where) {
        if (cancelsProgram && reason == null) {
            ProgramCancel.cancel(why); // weft run: the grace begins before the cancel is visible to anyone
        }
        boolean entered;
        boolean recording = Jfr.recording;
        synchronized (this) {
            if (reason != null) {
                return;
            }
            origin = where;
            if (recording && state != ST_EXITED) { // a cancel after the exit changes nothing: no event
                deliveredEvent = RuntimeEvents.cancelRequested(this, why, where, state == ST_ENTERED);
                requestedNs = System.nanoTime(); // after the request's own event, as the delivery event begins
            }
            reason = why;
            TaskImpl<?> counted = owner != null ? owner : TaskImpl.current();
            if (counted != null && state != ST_EXITED) {
                counted.runtime().countCancellation(why);
            }
            switch (state) {
                case ST_NEW -> transition(ST_NEW, ST_NEW_CANCELLED);
                case ST_ENTERED -> transition(ST_ENTERED, ST_CANCELLED);
                default -> { } // ST_EXITED: recorded only
            }
            if (armedIn != null) {
                armedIn.disarm(deadlineTimer); // cancelled: the deadline has nothing left to do
                armedIn = null;
            }
            entered = state == ST_CANCELLED;
        }
        if (entered) {
            wakeSubtree(this);
        }
    }

    /** Makes this the root scope of an unmodified program: its cancellation cancels the whole program. */
    void cancelsProgram() {
        cancelsProgram = true;
    }

    Throwable origin() {
        return origin;
    }

    /** A cancellation point is raising this scope's cancellation: the first time, for the delivery event. */
    void noticed() {
        if (noticedNs == 0 && Jfr.recording) {
            noticedNs = System.nanoTime();
        }
    }

    /** The kind, for events and dumps. */
    String kindName() {
        return switch (kind) {
            case KIND_TASK_SCOPE -> "task-scope";
            case KIND_TASK_ROOT -> "task-root";
            default -> "cancel-scope";
        };
    }

    /**
     * Marks every task that owns a scope at or below {@code root}, not behind a shield, as one a cancel may reach
     * ({@link dev.weft.internal.cancel.PendingCancels}: its next check walks), and wakes those whose innermost scope
     * is there. Iterative, one scope's monitor at a time. Each task decides under its own lock whether the cancel is
     * still visible.
     */
    private static void wakeSubtree(CancelScopeImpl root) {
        ArrayDeque<CancelScopeImpl> todo = new ArrayDeque<>();
        todo.push(root);
        while (!todo.isEmpty()) {
            CancelScopeImpl s = todo.pop();
            TaskImpl<?> o = s.owner;
            if (o != null) {
                o.markMayHaveCancel(); // after the reason (or shield) was written: see PendingCancels
                if (o.current == s) {
                    o.wake();
                }
            }
            synchronized (s) {
                for (CancelScopeImpl c = s.firstChild; c != null; c = c.nextSibling) {
                    if (!c.shield) {
                        todo.push(c);
                    }
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
        sb.append(kindName());
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
