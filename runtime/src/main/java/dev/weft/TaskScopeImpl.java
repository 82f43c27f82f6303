package dev.weft;

import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.WaitQueue;
import dev.weft.internal.loop.Scheduler;
import dev.weft.internal.task.TaskHandle;
import java.util.ArrayList;
import java.util.function.BiConsumer;

/**
 * The one implementation of {@link TaskScope}.
 *
 * <p>State table ({@link #state}, guarded by {@code this}):
 * <pre>
 *   state \ event  body ended (owner)   child done (child's thread)        spawn
 *   ST_OPEN        ST_JOINING           live-1                             live+1
 *   ST_JOINING     -                    live-1; at 0 wake the owner        live+1 while live &gt; 0 (from children)
 *   ST_CLOSED      -                    -                                  IllegalStateException
 * </pre>
 * The owner leaves ST_JOINING for ST_CLOSED when it sees live == 0.
 *
 * <p>Outcome, as Trio's nursery: the failures (body's and children's) win, the first one primary and the others
 * suppressed; otherwise, if the body or a child ended by a Cancelled from an enclosing scope, the nursery's exit
 * sees that Cancelled: its own scope absorbs it when that scope is the one cancelled ({@code cancelledCaught()}
 * turns true and the body's result is returned), else it propagates to the scope that owns it.
 */
final class TaskScopeImpl implements TaskScope, TaskHandle.Scope {
    /** Body running. */
    static final int ST_OPEN = 0;
    /** Body done, waiting for children. */
    static final int ST_JOINING = 1;
    /** Everything finished. */
    static final int ST_CLOSED = 2;

    private final RuntimeImpl runtime;
    final TaskImpl<?> owner;
    final CancelScopeImpl cancelScope;
    private final boolean supervising;
    private final BiConsumer<Task<?>, Throwable> onFailure;

    /** See the state table. Guarded by this. */
    private int state = ST_OPEN;
    /** Children not finished. Guarded by this. */
    private int live;
    /** Failures in order of occurrence (not for supervising scopes' children). Guarded by this. */
    private ArrayList<Throwable> failures;
    /** Task names for failures (parallel to failures; null for the body). Guarded by this. */
    private ArrayList<String> failureTasks;
    /** Resources to close on exit (reverse order). Owner thread only; created on first use. */
    private ExitStack exits;
    /** A child's Cancelled from an enclosing scope, the first one. Guarded by this. */
    private Cancelled childCancelled;
    /** The owner's node while it waits for the children; null otherwise. Guarded by this. */
    private WaitQueue.Node joinNode;
    /**
     * The first failed child whose failure could not be recorded (out of memory in {@link #onChildDone}), or null.
     * Guarded by this; written by children's threads, read by the owner after the children finished.
     */
    private TaskImpl<?> unrecorded;

    private TaskScopeImpl(TaskImpl<?> owner, boolean supervising, BiConsumer<Task<?>, Throwable> onFailure) {
        this.runtime = owner.runtime();
        this.owner = owner;
        this.supervising = supervising;
        this.onFailure = onFailure;
        this.cancelScope = new CancelScopeImpl(null, CancelScopeImpl.NO_DEADLINE, -1, false);
        cancelScope.kind = CancelScopeImpl.KIND_TASK_SCOPE;
        cancelScope.subject = this;
    }

    static <T, X extends Throwable> T open(ScopeBody<T, X> body, boolean supervising,
            BiConsumer<Task<?>, Throwable> onFailure) throws X {
        if (body == null) {
            throw new NullPointerException("body is null; pass a lambda: TaskScope.run(scope -> { ...; return x; })");
        }
        TaskImpl<?> task = TaskImpl.currentOrThrow("TaskScope.run");
        TaskScopeImpl ts = new TaskScopeImpl(task, supervising, onFailure);
        ts.cancelScope.enter(task);
        assert ts.cancelScope.parent != null : "a task scope always has an enclosing scope (the task's root)";
        T result = null;
        Cancelled bodyCancelled = null;
        Throwable bodyFailure = null;
        try {
            result = body.run(ts);
        } catch (Cancelled c) {
            bodyCancelled = c;
        } catch (Throwable t) {
            Cancelled c = task.asCancelled(t);
            if (c != null) {
                bodyCancelled = c;
            } else {
                bodyFailure = t;
                ts.recordFailure(t, null);
            }
        }
        ts.awaitChildren();
        ts.handOverUnrecorded();
        Cancelled cancelled = bodyCancelled;
        synchronized (ts) {
            if (cancelled == null && ts.childCancelled != null) {
                cancelled = ts.childCancelled; // Trio: a child's Cancelled comes out of the nursery
            }
        }
        boolean absorbed = cancelled != null && ts.cancelScope.absorbs();
        if (absorbed) {
            ts.cancelScope.markCaught();
        }
        ts.cancelScope.exit(task);
        ts.closeExits();
        // Memory budgets: a grace lent inside this scope ends when it exits.
        task.taskScopeExited(ts);

        Throwable primary = ts.primaryFailure(bodyFailure);
        if (primary != null) {
            throw TaskScopeImpl.<RuntimeException>sneaky(primary);
        }
        if (cancelled != null && !absorbed) {
            throw cancelled;
        }
        return bodyCancelled != null ? null : result;
    }

    /** Builds the exception run() throws: the first failure, later ones suppressed; null if none. */
    private Throwable primaryFailure(Throwable bodyFailure) {
        ArrayList<Throwable> list;
        ArrayList<String> names;
        synchronized (this) {
            if (unrecorded != null && !supervising) {
                TaskImpl<?> lost = unrecorded;
                unrecorded = null;
                addFailureHeld(lost.exception(), lost.name());
            }
            if (failures == null) {
                return null;
            }
            list = new ArrayList<>(failures);
            names = new ArrayList<>(failureTasks);
        }
        // The body's TaskFailedException from join() repeats a child's failure: report the child's once.
        for (int i = list.size() - 1; i >= 0; i--) {
            if (list.get(i) instanceof TaskFailedException tfe && names.get(i) == null) {
                for (Throwable other : list) {
                    if (other == tfe.getCause()) {
                        list.remove(i);
                        names.remove(i);
                        break;
                    }
                }
            }
        }
        Throwable first = list.getFirst();
        Throwable primary;
        if (first instanceof RuntimeException || first instanceof Error || first == bodyFailure) {
            primary = first;
        } else {
            primary = new TaskFailedException(names.getFirst(), first);
        }
        for (int i = 1; i < list.size(); i++) {
            Throwable other = list.get(i);
            if (other != primary) {
                primary.addSuppressed(other);
            }
        }
        return primary;
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }

    private void recordFailure(Throwable t, String taskName) {
        synchronized (this) {
            addFailureHeld(t, taskName);
        }
        // Memory budgets: a memory failure cancels the siblings with reason MEMORY.
        cancelScope.cancel(TaskImpl.isMemoryFailure(t) ? CancelReason.MEMORY : CancelReason.FAILED_SIBLING, null);
    }

    /** Waits, not as a cancellation point, until every child finished. Owner thread. */
    private void awaitChildren() {
        assert TaskImpl.current() == owner : "awaitChildren off the owner's thread";
        WaitQueue.Node node = new WaitQueue.Node();
        assert !owner.awaitingChildren : "a task waits for the children of one scope at a time";
        owner.awaitingChildren = true;
        try {
            while (true) {
                synchronized (this) {
                    if (live == 0) {
                        state = ST_CLOSED;
                        joinNode = null;
                        return;
                    }
                    state = ST_JOINING;
                    joinNode = node;
                }
                Park.await(owner, node, Park.NO_DEADLINE, Park.SHIELDED);
                node.reset();
            }
        } finally {
            owner.awaitingChildren = false;
        }
    }

    /**
     * Called on a child's thread when it finished. Never throws, and always counts the child as finished: recording
     * its failure may run out of memory (the child may have failed because the heap is full), and a child never
     * counted leaves {@link #awaitChildren} waiting forever. A failure that could not be recorded is kept in
     * {@link #unrecorded} (no allocation) and reported by {@link #primaryFailure}.
     */
    void onChildDone(TaskImpl<?> child) {
        TaskState end = child.state();
        try {
            if (end == TaskState.FAILED) {
                recordOrHandOver(child);
            }
        } catch (Throwable t) {
            TaskImpl.outOfMemoryInEpilogue(t); // gives back the emergency reserve, if memory ran out
            try {
                recordOrHandOver(child); // again, with the reserve's room
            } catch (Throwable again) {
                synchronized (this) {
                    if (unrecorded == null) {
                        unrecorded = child;
                    }
                }
                if (!supervising) {
                    try {
                        cancelScope.cancel(CancelReason.MEMORY, null);
                    } catch (Throwable ignored) {
                        // the siblings run on; the failure is still reported when the scope exits
                    }
                }
            }
        } finally {
            counted(child, end);
        }
    }

    /** A supervisor's handler that could not be told of a child's failure (out of memory) is told now. Owner. */
    private void handOverUnrecorded() {
        TaskImpl<?> lost;
        synchronized (this) {
            lost = supervising ? unrecorded : null;
            if (lost != null) {
                unrecorded = null;
            }
        }
        if (lost != null) {
            try {
                onFailure.accept(lost, lost.exception());
            } catch (Throwable handlerFailure) {
                runtime.errors().report("failure handler of " + cancelScope.name(), handlerFailure);
            }
        }
    }

    /** Records the failed child's failure, or hands it to the supervisor's handler. The child's thread. */
    private void recordOrHandOver(TaskImpl<?> child) {
        // Record (or hand over) before the child counts as finished, so run() sees every failure.
        if (supervising) {
            try {
                onFailure.accept(child, child.exception());
            } catch (Throwable handlerFailure) {
                if (handlerFailure instanceof OutOfMemoryError) {
                    throw handlerFailure; // the handler ran out of memory: it is tried again
                }
                runtime.errors().report("failure handler of " + cancelScope.name(), handlerFailure);
            }
        } else {
            recordFailure(child.exception(), child.name());
        }
    }

    /** Counts the child as finished and wakes the owner after the last one. Allocation-free. */
    private void counted(TaskImpl<?> child, TaskState end) {
        WaitQueue.Node wake = null;
        synchronized (this) {
            if (end == TaskState.CANCELLED && child.cancelPropagates() && childCancelled == null) {
                childCancelled = (Cancelled) child.outcomeThrowable();
            }
            live--;
            assert live >= 0 : "live children underflow";
            if (live == 0 && joinNode != null) {
                wake = joinNode;
                joinNode = null;
            }
        }
        if (wake != null) {
            Park.signal(wake);
        }
    }

    /** Adds a failure once (a retry after running out of memory may add it again). Holding this. */
    private void addFailureHeld(Throwable t, String taskName) {
        assert Thread.holdsLock(this);
        if (failures == null) {
            failures = new ArrayList<>(2);
            failureTasks = new ArrayList<>(2);
        }
        for (Throwable f : failures) {
            if (f == t) {
                return;
            }
        }
        failures.add(t);
        failureTasks.add(taskName);
    }

    private void closeExits() {
        if (exits == null) {
            return;
        }
        try {
            exits.close();
        } catch (Throwable t) {
            recordFailure(t, null);
        }
        exits = null;
    }

    // ---------------------------------------------------------------- API

    @Override
    public <T> Task<T> spawn(ThrowingCallable<T, ? extends Exception> body) {
        return spawnInternal(null, null, body);
    }

    @Override
    public <T> Task<T> spawn(String name, ThrowingCallable<T, ? extends Exception> body) {
        return spawnInternal(null, name, body);
    }

    @Override
    public <T> Task<T> spawnOn(Loop loop, String name, ThrowingCallable<T, ? extends Exception> body) {
        if (loop == null) {
            throw new NullPointerException("loop is null; pass one of Weft.loops() or Weft.stealingPool()");
        }
        return spawnInternal(runtime.schedulerOf(loop), name, body);
    }

    private <T> Task<T> spawnInternal(Scheduler where, String name, ThrowingCallable<T, ? extends Exception> body) {
        if (body == null) {
            throw new NullPointerException("body is null; pass a lambda: scope.spawn(() -> work())");
        }
        TaskImpl<?> me = TaskImpl.currentOrThrow("TaskScope.spawn");
        checkSpawner(me);
        Scheduler target = where != null ? where : me.scheduler;
        TaskImpl<T> child = new TaskImpl<>(runtime, name, this, body, target, me.context);
        synchronized (this) {
            if (state == ST_CLOSED || (state == ST_JOINING && live == 0)) {
                throw new IllegalStateException("cannot spawn '" + child.name() + "': " + cancelScope.name()
                        + " is closed (its body returned and its children finished); spawn while the scope"
                        + " is running, or open a new TaskScope");
            }
            live++;
        }
        try {
            runtime.admit(target, child);
        } catch (RuntimeException e) {
            synchronized (this) {
                live--;
            }
            throw e;
        }
        child.rootCancel.enterAsTaskRoot(child, cancelScope);
        child.inheritScopedValues();
        child.start();
        return child;
    }

    private void checkSpawner(TaskImpl<?> me) {
        if (me == owner) {
            return;
        }
        for (TaskImpl<?> t = me; t != null; t = t.parentScope == null ? null : t.parentScope.owner) {
            if (t.parentScope == this) {
                return;
            }
        }
        throw new IllegalStateException("task '" + me.name() + "' cannot spawn into " + cancelScope.name()
                + ": a scope accepts children only from the task that opened it and from tasks running inside"
                + " it; open a TaskScope in '" + me.name() + "' instead, or hand the work over through a Channel");
    }

    @Override
    public <R extends AutoCloseable> R closeOnExit(R resource) {
        if (resource == null) {
            throw new NullPointerException("resource is null");
        }
        if (TaskImpl.current() != owner) {
            throw new IllegalStateException("closeOnExit must be called by the task that opened the scope ('"
                    + owner.name() + "')");
        }
        if (exits == null) {
            exits = ExitStack.create();
        }
        return exits.push(resource);
    }

    @Override
    public void cancel() {
        cancelScope.cancel(CancelReason.EXPLICIT, CancelOrigin.here("task scope cancel requested"));
    }

    @Override
    public CancelScope cancelScope() {
        return cancelScope;
    }

    @Override
    public synchronized int liveChildren() {
        return live;
    }

    @Override
    public String toString() {
        return "TaskScope[" + cancelScope.name() + ", live=" + liveChildren() + "]";
    }
}
