package dev.weft;

import dev.weft.internal.budget.StockSlot;
import dev.weft.internal.budget.TaskAllocation;
import dev.weft.internal.budget.TaskMemory;
import dev.weft.internal.cancel.PendingCancels;
import dev.weft.internal.jdk.VirtualThreads;
import dev.weft.internal.loop.Schedulable;
import dev.weft.internal.loop.Scheduler;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;

/**
 * A Weft task: a virtual thread whose scheduler is this object, so its continuation runs on the loop in
 * {@link #scheduler} (changeable: that is how a task moves), plus its cancel-scope chain and context.
 *
 * <p>State table ({@link #state}): {@code ST_NEW → ST_RUNNING → ST_SUCCEEDED | ST_FAILED | ST_CANCELLED}.
 *
 * <p>Interrupts. Weft wakes a task blocked in a JDK call by interrupting its thread, and owns that
 * interrupt: {@link #weftInterrupt} records that the current interrupt status was posted by Weft. While
 * the task is inside a cancelled scope (not shielded), the status stays posted, so every JDK blocking call
 * in {@code finally} also wakes (level-triggered); when the task leaves the cancelled region, Weft clears
 * the status it posted. An interrupt posted by someone else is left alone.
 */
final class TaskImpl<T> implements Task<T>, Executor, Schedulable {

    /** Created, thread not started. */
    static final int ST_NEW = 0;
    /** Thread started, body running or waiting. */
    static final int ST_RUNNING = 1;
    /** Body returned. */
    static final int ST_SUCCEEDED = 2;
    /** Body threw (not its cancellation). */
    static final int ST_FAILED = 3;
    /** Body ended by Cancelled. */
    static final int ST_CANCELLED = 4;

    private static final VarHandle WAITERS;

    static {
        try {
            WAITERS = MethodHandles.lookup().findVarHandle(TaskImpl.class, "waiters", Waiter.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** A thread waiting for this task to finish (Treiber stack node). */
    private static final class Waiter {
        final Thread thread;
        Waiter next;

        Waiter(Thread thread) {
            this.thread = thread;
        }
    }

    /** Marks the waiter stack as closed (task finished). */
    private static final Waiter DONE = new Waiter(null);

    private final RuntimeImpl runtime;
    private final long id;
    private final String givenName;
    /** The scope this task was spawned into, or null for the root task. */
    final TaskScopeImpl parentScope;
    /** The task's own scope; {@link #cancel()} cancels it. */
    final CancelScopeImpl rootCancel;
    /** Innermost entered scope. Written by the task's thread (and the spawner before start); read by any. */
    volatile CancelScopeImpl current;
    /** Where the continuation runs next. Written by the task itself (moves) or the spawner; read by any. */
    volatile Scheduler scheduler;
    /** The virtual thread. Written once by the spawner before start. */
    private Thread thread;
    /** The JDK's runnable for this thread's continuation. Written once before start. */
    private Runnable ownContinuation;
    private final ThrowingCallable<T, ?> body;
    /** The task's context variables (immutable map). Written and read by the task's thread only. */
    ContextMap context;
    /** See the state table. Written by the task's thread; read by any. */
    private volatile int state = ST_NEW;
    /** Result, valid once state is SUCCEEDED. Written before state. */
    private T result;
    /** Failure or Cancelled, valid once state is FAILED or CANCELLED. Written before state. */
    private Throwable failure;
    /** Threads waiting for the end (or DONE). CAS by any thread. */
    @SuppressWarnings("unused")
    private volatile Waiter waiters;
    /** Whether the thread's interrupt status was posted by Weft. Written under {@code this}; read lock-free. */
    private volatile boolean weftInterrupt;
    /** Set when the body starts. The task's thread only. */
    private boolean bodyStarted;
    /** Set when the body has ended: {@link #current()} no longer finds the task. The task's thread only. */
    private boolean bodyEnded;
    /**
     * Monitors this task holds in agent-instrumented code (issue 3): the agent counts every monitorenter and
     * monitorexit it compiles and every synchronized method it wraps; {@link Cancellation#poll()} does not throw
     * while this is above zero, so a cancel is never delivered inside a monitor. The task's thread only.
     */
    int monitorDepth;
    /**
     * Agent checks to let pass before the next stack walk for monitors the agent did not count, and the current
     * back-off ({@link Cancellation#poll()}). The task's thread only.
     */
    int foreignMonitorSkips;
    int foreignMonitorBackoff;
    /** The cancelled scope the back-off above was computed for; a different one starts afresh. */
    CancelScopeImpl foreignMonitorScope;
    /** Walks for that scope that ran out of memory or stack. */
    int foreignMonitorFailures;
    /**
     * The scheduler whose carrier is running the task now (set by {@link #runOn} before each mount). Written by
     * the carrier just before the task runs on it; read by the task's own thread while mounted.
     */
    Scheduler mountedOn;
    /**
     * Memory budgets (issue 5): bytes the carriers allocated while this task was mounted, in the heap
     * watchdog's current window (packed, see TaskAllocation). Written by the carrier that mounts the task;
     * racy by design (approximate attribution).
     */
    private long allocationWindow;
    /** Memory budgets (issue 5): grace and watchdog state, or null; created on first use (MemoryAccess). */
    volatile TaskMemory memory;

    TaskImpl(RuntimeImpl runtime, String name, TaskScopeImpl parentScope, ThrowingCallable<T, ?> body,
            Scheduler scheduler, ContextMap context) {
        this.runtime = runtime;
        this.id = runtime.nextTaskId();
        this.givenName = name;
        this.parentScope = parentScope;
        this.body = body;
        this.scheduler = scheduler;
        this.context = context;
        this.rootCancel = new CancelScopeImpl(null, CancelScopeImpl.NO_DEADLINE, -1, false);
    }

    /** Creates the virtual thread and starts it. Called by the spawner after linking the root scope. */
    void start() {
        Thread t = VirtualThreads.newThread(this, givenName, this); // scheduler: this; body: run()
        ownContinuation = VirtualThreads.runContinuation(t);
        thread = t;
        state = ST_RUNNING;
        t.start();
    }

    /**
     * The current thread's task, or null. A task's virtual thread has the task as its scheduler; a virtual
     * thread that merely inherited it (created by user code inside the task) is not the task's thread.
     */
    static TaskImpl<?> current() {
        if (VirtualThreads.currentScheduler() instanceof TaskImpl<?> t
                && t.thread == Thread.currentThread() && !t.bodyEnded) {
            return t;
        }
        return null;
    }

    static TaskImpl<?> currentOrThrow(String what) {
        TaskImpl<?> t = current();
        if (t == null) {
            throw new IllegalStateException(what + " called outside a Weft task (thread "
                    + Thread.currentThread() + "); run the program's body with Weft.run(...) and call it"
                    + " from there or from a task spawned with TaskScope.run(...)");
        }
        return t;
    }

    RuntimeImpl runtime() {
        return runtime;
    }


    Thread thread() {
        return thread;
    }

    boolean isCurrentThread() {
        return Thread.currentThread() == thread;
    }

    // ---------------------------------------------------------------- scheduling

    /** The virtual thread's scheduler entry point. Never rejects. */
    @Override
    public void execute(Runnable r) {
        if (r == ownContinuation) {
            scheduler.submit(this);
        } else {
            // A virtual thread created inside this task inherited us as its scheduler: run it alongside.
            scheduler.submit(r);
        }
    }

    @Override
    public void runOn(Scheduler s) {
        mountedOn = s;
        // Memory budgets (issue 5): attribute what the carrier allocates while the task is mounted to the task
        // (ThreadMXBean returns -1 for virtual threads). Off unless a HeapWatchdog is installed; allocation-free.
        if (!TaskAllocation.enabled) {
            ownContinuation.run();
            return;
        }
        TaskAllocation.Mount m = TaskAllocation.beforeMount(this);
        ownContinuation.run();
        allocationWindow = TaskAllocation.afterMount(m, this, allocationWindow);
    }

    /** Moves the task (the current thread's) to {@code target}; it resumes there. */
    void moveTo(Scheduler target) {
        assert isCurrentThread();
        if (scheduler == target) {
            checkpoint();
            return;
        }
        runtime.transferAdmission(scheduler, target, this);
        scheduler = target;
        Thread.yield(); // the JDK re-submits the continuation through execute(), now to the target
        checkpoint();
    }

    // ---------------------------------------------------------------- body

    /**
     * The virtual thread's body (the task object doubles as its Runnable: one allocation less per spawn).
     * Runs once, on the task's own thread.
     */
    @Override
    public void run() {
        if (Thread.currentThread() != thread || bodyStarted) {
            throw new UnsupportedOperationException("a Weft task's body runs only on its own thread, once");
        }
        bodyStarted = true;
        runBody();
    }

    private void runBody() {
        Throwable fail = null;
        Cancelled cancelled = null;
        T value = null;
        try {
            syncInterrupt();
            value = body.call();
        } catch (Cancelled c) {
            cancelled = c;
        } catch (Throwable t) {
            Cancelled c = asCancelled(t);
            if (c != null) {
                cancelled = c;
            } else {
                fail = t;
            }
        }
        // Memory budgets (issue 5): end the task's grace; a real OutOfMemoryError, or the heap watchdog's
        // cancellation, becomes the task's MemoryLimitError.
        if (memory != null || fail instanceof OutOfMemoryError) {
            Throwable f = TaskMemory.onTaskEnd(this, memory, fail, cancelled);
            if (f != fail) {
                fail = f;
                cancelled = null;
            }
        }
        current = null;
        rootCancel.exitTaskRootDetached(this);
        clearWeftInterrupt();
        bodyEnded = true;
        complete(value, fail, cancelled);
    }

    private void complete(T value, Throwable fail, Cancelled cancelled) {
        if (fail != null) {
            failure = fail;
            state = ST_FAILED;
        } else if (cancelled != null) {
            failure = cancelled;
            state = ST_CANCELLED;
        } else {
            result = value;
            state = ST_SUCCEEDED;
        }
        Waiter w = (Waiter) WAITERS.getAndSet(this, DONE);
        for (; w != null && w != DONE; w = w.next) {
            LockSupport.unpark(w.thread);
        }
        runtime.releaseAdmission(scheduler, this);
        if (parentScope != null) {
            parentScope.onChildDone(this);
        } // the root: Weft.run's thread wakes through the waiter list above
    }

    boolean isDone() {
        return state >= ST_SUCCEEDED;
    }

    /** Waits until the task finishes; a cancellation point if called from a task. */
    void awaitDone() {
        if (isDone()) {
            TaskImpl<?> me = current();
            if (me != null) {
                me.checkpoint();
            }
            return;
        }
        TaskImpl<?> me = current();
        pushWaiter();
        boolean foreign = false;
        try {
            while (!isDone()) {
                foreign |= parkStep(me, this, CancelScopeImpl.NO_DEADLINE);
            }
            if (me != null) {
                me.checkpoint();
            }
        } finally {
            if (foreign) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Registers the current thread to be unparked at the end; false if the task already ended. */
    private boolean pushWaiter() {
        Waiter node = new Waiter(Thread.currentThread());
        while (true) {
            Waiter head = waiters;
            if (head == DONE) {
                return false;
            }
            node.next = head;
            if (WAITERS.compareAndSet(this, head, node)) {
                return true;
            }
        }
    }

    /** Waits for the end without being a cancellation point (for the thread that called Weft.run). */
    void awaitDoneUninterruptibly(Runnable onInterrupt) {
        if (!pushWaiter()) {
            return;
        }
        boolean interrupted = false;
        while (!isDone()) {
            LockSupport.park(this);
            if (Thread.interrupted()) {
                interrupted = true;
                onInterrupt.run();
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- cancellation

    /** Outermost cancelled scope visible from the innermost one, or null. Any thread (dumps) / owner. */
    CancelScopeImpl visibleCancel() {
        CancelScopeImpl hit = null;
        for (CancelScopeImpl s = current; s != null; s = s.parent) {
            if (s.reason != null) {
                hit = s;
            }
            if (s.isShield()) {
                break;
            }
        }
        return hit;
    }

    /** Raises Cancelled if the task is inside a cancelled, unshielded scope. The task's thread only. */
    void checkpoint() {
        if (PendingCancels.count == 0) {
            return;
        }
        CancelScopeImpl hit = visibleCancel();
        if (hit != null) {
            resetForeignMonitorBackoff();
            postWeftInterrupt();
            throw new Cancelled(hit.reason, hit.name(), hit.origin());
        }
    }

    /** Forgets the agent checks' monitor-walk back-off (a cancellation was delivered, or a new one is due). */
    void resetForeignMonitorBackoff() {
        foreignMonitorSkips = 0;
        foreignMonitorBackoff = 0;
        foreignMonitorFailures = 0;
        foreignMonitorScope = null;
    }

    /**
     * If {@code t} is how a JDK blocking call reports the interrupt Weft posted to cancel this task,
     * returns the {@link Cancelled} it stands for (with {@code t} suppressed); otherwise null. The
     * task's thread only, while its scope chain is unchanged since the throw.
     */
    Cancelled asCancelled(Throwable t) {
        if (!(t instanceof InterruptedException
                || t instanceof java.io.InterruptedIOException
                || t instanceof java.nio.channels.ClosedByInterruptException
                || (t instanceof java.net.SocketException se && se.getMessage() != null
                        && se.getMessage().contains("interrupt")))) {
            return null;
        }
        if (PendingCancels.count == 0) {
            return null;
        }
        CancelScopeImpl hit = visibleCancel();
        if (hit == null) {
            return null;
        }
        postWeftInterrupt();
        Cancelled c = new Cancelled(hit.reason, hit.name(), hit.origin());
        c.addSuppressed(t);
        return c;
    }

    /** Whether the task is inside a cancelled, unshielded scope. */
    boolean isCancelled() {
        return PendingCancels.count != 0 && visibleCancel() != null;
    }

    /** Called by a canceller: wakes the task from any wait. Any thread. */
    void wake() {
        Thread t = thread;
        synchronized (this) {
            if (t == null || state >= ST_SUCCEEDED) {
                return;
            }
            if (!weftInterrupt) {
                weftInterrupt = true;
                t.interrupt();
            }
        }
    }

    private void postWeftInterrupt() {
        if (weftInterrupt) {
            return;
        }
        synchronized (this) {
            if (!weftInterrupt) {
                weftInterrupt = true;
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * Makes the interrupt status agree with the cancel state after the task's scope chain changed
     * (entered or left a scope, shield toggled). The task's thread only.
     */
    void syncInterrupt() {
        if (PendingCancels.count != 0 && visibleCancel() != null) {
            postWeftInterrupt();
            return;
        }
        if (!weftInterrupt) {
            return; // nothing of ours to clear (only this thread clears it; cancellers only set it)
        }
        synchronized (this) {
            if (weftInterrupt && visibleCancel() == null) {
                weftInterrupt = false;
                Thread.interrupted();
            }
        }
    }

    private void clearWeftInterrupt() {
        if (!weftInterrupt) {
            return;
        }
        synchronized (this) {
            if (weftInterrupt) {
                weftInterrupt = false;
                Thread.interrupted();
            }
        }
    }

    /** If the pending interrupt was Weft's, consumes the record and returns true. The task's thread. */
    boolean consumeWeftInterrupt() {
        synchronized (this) {
            if (weftInterrupt) {
                weftInterrupt = false;
                return true;
            }
            return false;
        }
    }

    /**
     * One step of a Weft wait: checkpoint, then park until unparked or {@code deadlineNs} (system clock).
     * Callers loop on their condition. Returns true if it consumed an interrupt that Weft did not post,
     * which the caller must restore when its wait ends.
     */
    static boolean parkStep(TaskImpl<?> me, Object blocker, long deadlineNs) {
        if (me != null) {
            me.checkpoint();
        }
        if (Thread.interrupted()) {
            return me == null || !me.consumeWeftInterrupt();
        }
        if (deadlineNs == CancelScopeImpl.NO_DEADLINE) {
            LockSupport.park(blocker);
        } else {
            long remaining = deadlineNs - System.nanoTime();
            if (remaining > 0) {
                LockSupport.parkNanos(blocker, remaining);
            }
        }
        return false;
    }

    // ---------------------------------------------------------------- Task API

    @Override
    public String name() {
        return givenName != null ? givenName : "task-" + id;
    }

    @Override
    public TaskState state() {
        return switch (state) {
            case ST_SUCCEEDED -> TaskState.SUCCEEDED;
            case ST_FAILED -> TaskState.FAILED;
            case ST_CANCELLED -> TaskState.CANCELLED;
            default -> TaskState.RUNNING;
        };
    }

    @Override
    public T join() {
        awaitDone();
        return switch (state) {
            case ST_SUCCEEDED -> result;
            case ST_FAILED -> throw new TaskFailedException(name(), failure);
            default -> {
                var e = new CancellationException("task '" + name() + "' was cancelled"
                        + (failure instanceof Cancelled c ? " (" + c.reason() + ")" : ""));
                e.initCause(failure);
                throw e;
            }
        };
    }

    @Override
    public T result() {
        if (state != ST_SUCCEEDED) {
            throw new IllegalStateException("task '" + name() + "' has no result: it is " + state()
                    + "; call join() to wait for it");
        }
        return result;
    }

    @Override
    public Throwable exception() {
        if (state != ST_FAILED) {
            throw new IllegalStateException("task '" + name() + "' did not fail: it is " + state());
        }
        return failure;
    }

    /** The failure or Cancelled of a finished task, or null. */
    Throwable outcomeThrowable() {
        return failure;
    }

    @Override
    public void cancel() {
        rootCancel.cancel(CancelReason.EXPLICIT, CancelOrigin.here("task cancel requested"));
    }

    @Override
    public Loop loop() {
        return runtime.loopFor(scheduler);
    }

    @Override
    public String toString() {
        return "Task[" + name() + ", " + state() + "]";
    }

    // ---------------------------------------------------------------- memory budgets (issue 5)

    static {
        TaskMemory.install(new MemoryAccess());
    }

    /** How dev.weft.internal.budget reaches tasks (the only way it does). */
    private static final class MemoryAccess implements TaskMemory.Access {
        @Override
        public TaskMemory current() {
            TaskImpl<?> t = TaskImpl.current();
            return t == null ? null : memoryOf(t);
        }

        @Override
        public TaskMemory of(Task<?> task) {
            return memoryOf((TaskImpl<?>) task);
        }

        private static TaskMemory memoryOf(TaskImpl<?> t) {
            TaskMemory m = t.memory;
            if (m == null) {
                synchronized (t) {
                    m = t.memory;
                    if (m == null) {
                        t.memory = m = new TaskMemory(t);
                    }
                }
            }
            return m;
        }

        @Override
        public StockSlot currentStockSlot() {
            TaskImpl<?> t = TaskImpl.current();
            // the loop that mounted the task, not `scheduler`: moveTo sets that before the move, which a pinned
            // yield can leave undone until the next park
            return t != null && t.mountedOn instanceof StockSlot slot ? slot : null;
        }

        @Override
        public Object innermostTaskScope() {
            TaskImpl<?> t = TaskImpl.current();
            for (CancelScopeImpl s = t == null ? null : t.current; s != null && s != t.rootCancel; s = s.parent) {
                if (s.kind == CancelScopeImpl.KIND_TASK_SCOPE) {
                    return s.subject;
                }
            }
            return null;
        }

        @Override
        public void cancelForMemory(Task<?> task, Throwable origin) {
            ((TaskImpl<?>) task).rootCancel.cancel(CancelReason.MEMORY, origin);
        }
    }
}
