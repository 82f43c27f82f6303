package dev.weft;

import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.WaitQueue;
import dev.weft.internal.loop.Scheduler;
import dev.weft.internal.task.TaskHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
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

    /** What {@link #openRaw} returns when the scope absorbed its cancellation before the body returned. */
    private static final Object ABSORBED = new Object();

    static <T, X extends Throwable> T open(ScopeBody<T, X> body, boolean supervising,
            BiConsumer<Task<?>, Throwable> onFailure) throws X {
        Object r = openRaw(body, supervising, onFailure);
        @SuppressWarnings("unchecked")
        T result = r == ABSORBED ? null : (T) r;
        return result;
    }

    /** {@link TaskScope#runOptional}: empty for an absorbed cancellation, NullPointerException for a null result. */
    static <T, X extends Throwable> Optional<T> openOptional(ScopeBody<? extends T, X> body) throws X {
        Object r = openRaw(body, false, null);
        if (r == ABSORBED) {
            return Optional.empty();
        }
        if (r == null) {
            throw new NullPointerException("the body of TaskScope.runOptional returned null, which would read as"
                    + " 'cancelled'; return a value, or use TaskScope.run and check cancelScope().cancelledCaught()");
        }
        @SuppressWarnings("unchecked")
        T result = (T) r;
        return Optional.of(result);
    }

    /** {@link TaskScope#firstSuccess}: every body a child; the first success cancels the scope and wins. */
    static <T> T firstSuccess(List<? extends ThrowingCallable<? extends T, ? extends Exception>> bodies) {
        if (bodies == null || bodies.isEmpty()) {
            throw new IllegalArgumentException("firstSuccess needs at least one body, got "
                    + (bodies == null ? "null" : "none") + "; pass the alternatives to race");
        }
        for (int i = 0; i < bodies.size(); i++) {
            if (bodies.get(i) == null) {
                throw new NullPointerException("firstSuccess body " + i + " is null; pass a lambda: () -> fetch(a)");
            }
        }
        int n = bodies.size();
        AtomicBoolean won = new AtomicBoolean();
        Object[] winner = new Object[1];      // written by the winning child before it cancels the scope
        Throwable[] failures = new Throwable[n]; // slot i written by child i only; read after the scope joined them
        TaskScope.run(scope -> {
            for (int i = 0; i < n; i++) {
                int index = i;
                ThrowingCallable<? extends T, ? extends Exception> body = bodies.get(i);
                scope.spawn("firstSuccess-" + i, () -> {
                    T value;
                    try {
                        value = body.call();
                    } catch (Exception e) {
                        failures[index] = e; // a loser's failure (or its InterruptedException once cancelled)
                        return;
                    }
                    if (won.compareAndSet(false, true)) {
                        winner[0] = value;
                        scope.cancel(); // absorbed by this scope: the others stop, their cleanup runs
                    }
                });
            }
        });
        if (won.get()) {
            @SuppressWarnings("unchecked")
            T value = (T) winner[0];
            return value;
        }
        TaskFailedException all = null;
        for (int i = 0; i < n; i++) {
            Throwable f = failures[i];
            if (f == null) {
                continue;
            }
            if (all == null) {
                all = new TaskFailedException("firstSuccess-" + i, "every one of the " + n + " bodies of firstSuccess"
                        + " failed; the first failure (body " + i + ") is the cause, the others are suppressed", f);
            } else {
                all.addSuppressed(f);
            }
        }
        assert all != null : "firstSuccess ended with no winner and no failure";
        throw all;
    }

    private static <T, X extends Throwable> Object openRaw(ScopeBody<T, X> body, boolean supervising,
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
        return bodyCancelled != null ? ABSORBED : result;
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
    public Task<Void> spawn(ThrowingRunnable<? extends Exception> body) {
        return spawnInternal(null, null, voidBody(body));
    }

    @Override
    public Task<Void> spawn(String name, ThrowingRunnable<? extends Exception> body) {
        return spawnInternal(null, name, voidBody(body));
    }

    @Override
    public Task<Void> spawnOn(Loop loop, String name, ThrowingRunnable<? extends Exception> body) {
        if (loop == null) {
            throw new NullPointerException("loop is null; pass one of Weft.loops() or Weft.stealingPool()");
        }
        return spawnInternal(runtime.schedulerOf(loop), name, voidBody(body));
    }

    private static ThrowingCallable<Void, Exception> voidBody(ThrowingRunnable<? extends Exception> body) {
        if (body == null) {
            throw new NullPointerException("body is null; pass a lambda: scope.spawn(() -> work())");
        }
        return () -> {
            body.run();
            return null;
        };
    }

    @Override
    public <T> T start(String name, StartBody<T, ? extends Exception> body) {
        if (body == null) {
            throw new NullPointerException("body is null; pass a lambda: scope.start(\"server\", status -> {"
                    + " listen(); status.started(port); serve(); })");
        }
        TaskImpl<?> me = TaskImpl.currentOrThrow("TaskScope.start");
        Startup<T> status = new Startup<>(me);
        TaskImpl<?> child = (TaskImpl<?>) spawnInternal(null, name, () -> {
            status.child = TaskImpl.current();
            Throwable failure = null;
            try {
                body.run(status);
            } catch (Throwable t) {
                failure = t;
                throw t;
            } finally {
                status.childEnded(failure);
            }
            return null;
        });
        return status.await(child);
    }

    /**
     * The {@link TaskStatus} of one {@link #start}: the starter waits until the child reports ready or ends.
     *
     * <p>State table ({@link #state}, guarded by {@code this}):
     * <pre>
     *   state \ event   started(v) (child)        child ended (child)          starter cancelled (starter)
     *   SU_WAITING      SU_STARTED, wake starter  SU_ENDED, wake starter        cancel the child
     *   SU_STARTED      IllegalStateException     -                             -
     *   SU_ENDED        -                         -                             -
     * </pre>
     */
    static final class Startup<T> implements TaskStatus<T> {
        /** The child has not reported yet. */
        static final int SU_WAITING = 0;
        /** The child called started(value). */
        static final int SU_STARTED = 1;
        /** The child ended without calling started. */
        static final int SU_ENDED = 2;

        private final TaskImpl<?> starter;
        /** The child's task; written by the child before its body runs, read by the child. */
        TaskImpl<?> child;
        /** See the state table. Guarded by this. */
        private int state = SU_WAITING;
        /** The value passed to started. Written by the child under this, read by the starter after SU_STARTED. */
        private T value;
        /** The starter's node while it waits, or null. Guarded by this. */
        private WaitQueue.Node waiter;
        /** What ended the child before it called started (null: it returned). Guarded by this. */
        private Throwable endedBy;

        Startup(TaskImpl<?> starter) {
            this.starter = starter;
        }

        @Override
        public void started(T v) {
            if (TaskImpl.current() != child) {
                throw new IllegalStateException("started() must be called by the started task itself ('"
                        + (child == null ? "not running yet" : child.name()) + "'), not by '"
                        + (TaskImpl.current() == null ? Thread.currentThread().getName() : TaskImpl.current().name())
                        + "'; pass the status to no other task");
            }
            WaitQueue.Node wake;
            synchronized (this) {
                if (state != SU_WAITING) {
                    throw new IllegalStateException("started() called twice by task '" + child.name()
                            + "'; report ready once");
                }
                value = v;
                state = SU_STARTED;
                wake = waiter;
                waiter = null;
            }
            if (wake != null) {
                Park.signal(wake);
            }
        }

        /** The child's body ended, by {@code failure} or normally (null). Child's thread. */
        void childEnded(Throwable failure) {
            WaitQueue.Node wake;
            synchronized (this) {
                if (state != SU_WAITING) {
                    return;
                }
                state = SU_ENDED;
                endedBy = failure;
                wake = waiter;
                waiter = null;
            }
            if (wake != null) {
                Park.signal(wake);
            }
        }

        /** The starter's wait: a cancellation point; cancels the child if the starter is cancelled first. */
        T await(TaskImpl<?> childTask) {
            assert TaskImpl.current() == starter : "start() waits on the starter's thread";
            WaitQueue.Node node = new WaitQueue.Node();
            boolean done = false;
            try {
                while (true) {
                    synchronized (this) {
                        if (state == SU_STARTED) {
                            done = true;
                            return value;
                        }
                        if (state == SU_ENDED) {
                            done = true;
                            break;
                        }
                        waiter = node;
                    }
                    Park.await(starter, node, Park.NO_DEADLINE, Park.CANCELLABLE);
                    synchronized (this) {
                        waiter = null;
                    }
                    node.reset();
                }
            } finally {
                if (!done) {
                    synchronized (this) {
                        waiter = null;
                    }
                    childTask.cancel(); // started for a caller that left: Trio cancels it too
                }
            }
            // ended without calling started: report how
            Throwable failure;
            synchronized (this) {
                failure = endedBy;
            }
            String name = childTask.name();
            if (failure instanceof Cancelled) {
                throw new CancellationException("task '" + name + "' was cancelled before it called started()");
            }
            if (failure != null) {
                throw new TaskFailedException(name, "task '" + name + "' failed before it called started(): "
                        + failure, failure);
            }
            throw new IllegalStateException("task '" + name + "' returned without calling status.started(); call"
                    + " it once the task is ready (Trio's task_status.started())");
        }
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
