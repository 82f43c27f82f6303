package dev.weft;

import dev.weft.internal.cancel.CheckpointProbe;
import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.PendingCancels;
import dev.weft.internal.cancel.ProgramCancel;
import dev.weft.internal.cancel.WaitQueue;
import dev.weft.internal.cancel.WaitingTask;
import dev.weft.internal.event.Jfr;
import dev.weft.internal.jdk.ScopedValues;
import dev.weft.internal.jdk.VirtualThreads;
import dev.weft.internal.loop.CarrierSlot;
import dev.weft.internal.loop.Schedulable;
import dev.weft.internal.loop.Scheduler;
import dev.weft.internal.task.TaskExtension;
import dev.weft.internal.task.TaskHandle;
import dev.weft.internal.task.TaskHooks;
import dev.weft.internal.time.TimerQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * A Weft task: a virtual thread whose scheduler is this object, so its continuation runs on the loop in
 * {@link #scheduler} (changeable: that is how a task moves), plus its cancel-scope chain and context.
 *
 * <p>States ({@link #state}):
 * <pre>
 *   ST_NEW        created by the spawner; root scope entered, thread not started
 *   ST_RUNNING    thread started (spawner, {@link #start}); body running or waiting
 *   ST_SUCCEEDED  body returned (task's thread, {@link #complete})
 *   ST_FAILED     body threw, not a Cancelled, or its end threw ({@link #runBody}'s epilogue; task's thread)
 *   ST_CANCELLED  body ended by a Cancelled: absorbed by the task's own scope ({@link #cancel()}), or
 *                 propagating from an enclosing scope ({@link #cancelPropagates}), which the nursery re-raises
 * </pre>
 * {@code ST_NEW → ST_RUNNING → one of the three ends}; the end is written once, after the result or failure.
 *
 * <p>Interrupts: the protocol is {@link WaitingTask}'s (Weft posts, re-arms after a JDK call consumed it, and
 * clears on leaving the cancelled region). This class adds the carrier's re-arm after every unmount.
 */
final class TaskImpl<T> extends WaitingTask implements Task<T>, Executor, Schedulable, TaskHandle {

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
    /** Whether a Cancelled that ended the body came from an enclosing scope. Written before {@link #state}. */
    private boolean cancelPropagates;
    /** Threads waiting for the end, or null until the first joiner. Signalled all at once by {@link #complete}. */
    private volatile WaitQueue joiners;
    /** ScopedValue bindings to inherit (the spawner's), or null. Written once before start. */
    private Object scopedValueBindings;
    /** Set when the body starts. The task's thread only. */
    private boolean bodyStarted;
    /** Set when the body has ended: {@link #current()} no longer finds the task. The task's thread only. */
    private boolean bodyEnded;
    /**
     * The scheduler whose carrier is running the task now (set by {@link #runOn} before each mount). Written by
     * the carrier just before the task runs on it; read by the task's own thread while mounted.
     */
    Scheduler mountedOn;
    /**
     * The mount observer's word for this task ({@link TaskExtension.MountObserver}; memory budgets keep the bytes
     * the carriers allocated while it was mounted here). Written by the carrier that mounts the task; racy by
     * design (approximate attribution).
     */
    private long mountWord;
    /**
     * Whether the task runs an unmodified program's {@code main} ({@code weft run}): the program's cancellation is
     * delivered once, then held back while its cleanup runs ({@link ProgramCancel}). Written once before start.
     */
    private boolean graceMode;
    /** The {@code Cancelled} with reason MEMORY thrown to the body ({@link #memoryCancelsThrown}). Task thread only. */
    private int memoryCancelsThrown;
    /** Whether the program's cancellation has been delivered to this task in the grace. Task thread or carrier. */
    private volatile boolean graceDelivered;
    /**
     * Whether the task is parked in a scope's wait for its children ({@link TaskScopeImpl}). Written by the task's
     * thread around the wait; read by any (the heap watchdog).
     */
    volatile boolean awaitingChildren;
    /**
     * {@link System#nanoTime()} at the start, for the task-end event's lifetime; 0 when no JFR recording ran then.
     * Written once by the spawner before the thread starts; read by the task's thread at its end.
     */
    private long startedNs;
    /** An extension's state for this task (memory budgets: grace, the watchdog's error), or null. Any thread. */
    private volatile TaskHandle.Attachment attachment;

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
        assert state == ST_NEW : "task started twice";
        Thread t = VirtualThreads.newThread(this, givenName, this); // scheduler: this; body: run()
        ownContinuation = VirtualThreads.runContinuation(t);
        if (scopedValueBindings != null) {
            ScopedValues.inherit(t, scopedValueBindings);
        }
        thread = t;
        state = ST_RUNNING;
        boolean recording = Jfr.recording; // one read on the spawn path; the event classes load only while recording
        if (recording) {
            startedNs = RuntimeEvents.startNsIfTaskEndEnabled();
        }
        t.start();
        if (recording) {
            RuntimeEvents.taskStarted(this);
        }
    }

    /** The name given at spawn, or null (then {@link #name()} is {@code task-ID}). */
    String givenName() {
        return givenName;
    }

    /** The task's number in its runtime (1 for the root). */
    long id() {
        return id;
    }

    /** Captures the spawner's ScopedValue bindings for the child (on the spawner's thread). */
    void inheritScopedValues() {
        scopedValueBindings = ScopedValues.current();
    }

    /**
     * The current thread's task, or null. A task's virtual thread has the task as its scheduler; a virtual
     * thread that merely inherited it (created by user code inside the task) is not the task's thread.
     */
    static TaskImpl<?> current() {
        return WaitingTask.ofCurrentThread() instanceof TaskImpl<?> t ? t : null;
    }

    @Override
    protected Thread taskThread() {
        return thread;
    }

    @Override
    protected boolean runsOnCurrentThread() {
        return thread == Thread.currentThread() && !bodyEnded;
    }

    @Override
    protected boolean cancelVisible() {
        return deliverableCancel() != null;
    }

    @Override
    protected Object visibleCancelScope() {
        return deliverableCancel();
    }

    /** Makes this (root) task run an unmodified program's {@code main}: see {@link #graceMode}. Before start. */
    void runsUnmodifiedProgram() {
        assert state == ST_NEW : "grace mode set after start";
        graceMode = true;
        walkAlways(); // the grace ends on a clock, which marks nobody: every check walks
    }

    /** Whether {@code hit} is the program's cancellation, in the grace of its cleanup. */
    private boolean inProgramGrace(CancelScopeImpl hit) {
        return graceMode && hit == rootCancel && ProgramCancel.inGrace();
    }

    /**
     * The cancelled scope whose cancellation is to be delivered now: {@link #visibleCancel()}, unless it is the
     * program's and was delivered already in the grace (its cleanup runs). Any thread.
     */
    CancelScopeImpl deliverableCancel() {
        CancelScopeImpl hit = visibleCancel();
        if (hit != null && graceDelivered && inProgramGrace(hit)) {
            return null;
        }
        return hit;
    }

    @Override
    protected boolean deliveredByConsumption() {
        if (!graceDelivered && inProgramGrace(visibleCancel())) {
            graceDelivered = true; // the program saw the interrupt (an InterruptedException): its cleanup runs
            return true;
        }
        return false;
    }

    @Override
    protected TimerQueue timers() {
        return runtime.timers();
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
            // A virtual thread created inside this task inherited us as its scheduler (the program's own virtual
            // threads, the JDK's I/O pollers): it runs on the JDK's scheduler, never on a Weft loop it would hold.
            VirtualThreads.defaultScheduler().execute(r);
        }
    }

    @Override
    public void runOn(Scheduler s) {
        mountedOn = s;
        // Memory budgets: attribute what the carrier allocates while the task is mounted to the task
        // (ThreadMXBean returns -1 for virtual threads). Off unless a HeapWatchdog is installed; allocation-free.
        TaskExtension.MountObserver<?> observer = TaskHooks.mountObserver();
        if (observer == null) {
            ownContinuation.run();
            afterUnmount(); // level-triggered: a JDK call that consumed Weft's interrupt parks no longer
            return;
        }
        mountWord = runObserved(observer);
        afterUnmount();
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
        assert Thread.currentThread() == thread && current == rootCancel : "body started off its thread or scope";
        Throwable fail = null;
        Cancelled cancelled = null;
        T value = null;
        try {
            syncInterruptAfterEntry();
            value = body.call();
        } catch (Throwable t) {
            Cancelled c = t instanceof Cancelled cc ? cc : asCancelled(t);
            if (c != null) {
                cancelled = c;
            } else {
                fail = t;
            }
        }
        if (cancelled != null) {
            if (rootCancel.absorbs()) {
                rootCancel.markCaught(); // the task's own cancel(): it ends here
            } else {
                cancelPropagates = true; // an enclosing scope's: the nursery re-raises it
            }
        }
        // The epilogue. Whatever it throws (an OutOfMemoryError while the heap is still full, a StackOverflowError),
        // the task is completed: otherwise its scope waits for it forever. Each step is tried on its own; the first
        // throwable of the epilogue becomes the task's failure if the body had none.
        Throwable epilogue = null;
        // Memory budgets: end the task's grace; a real OutOfMemoryError, or the heap watchdog's
        // cancellation, becomes the task's MemoryLimitError.
        if (attachment != null || fail instanceof OutOfMemoryError) {
            try {
                Throwable f = taskEnded(fail, cancelled);
                if (f != fail) {
                    fail = f;
                    cancelled = null;
                }
            } catch (Throwable t) {
                epilogue = t;
            }
        }
        current = null;
        try {
            rootCancel.exitTaskRootDetached(this);
        } catch (Throwable t) {
            epilogue = epilogue == null ? t : epilogue;
        }
        try {
            clearOnEnd();
        } catch (Throwable t) {
            epilogue = epilogue == null ? t : epilogue;
        }
        bodyEnded = true;
        if (epilogue != null && fail == null) {
            fail = epilogue; // a body that returned, or was cancelled, did not end cleanly: the task fails
            cancelled = null;
        }
        complete(value, fail, cancelled);
    }

    /**
     * Marks the task done and tells its joiners and its scope. Cannot fail to do so: the state is written first
     * (no allocation); if waking the joiners throws (out of memory), the extension gives back memory and they are
     * woken one at a time, which allocates nothing; the scope's {@link TaskScopeImpl#onChildDone} never throws.
     */
    private void complete(T value, Throwable fail, Cancelled cancelled) {
        assert state == ST_RUNNING : "task '" + name() + "' completed twice (state " + state + ")";
        assert isCurrentThread() || bodyEnded : "completion off the task's thread";
        assert current == null : "task ended with a scope still entered";
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
        if (Jfr.recording) {
            RuntimeEvents.taskEnded(this, startedNs, fail, cancelled);
        }
        WaitQueue j = joiners; // read after the state write: a joiner that adds later re-checks the state
        if (j != null) {
            try {
                WaitQueue.wakeAll(j.signalAll());
            } catch (Throwable t) {
                outOfMemoryInEpilogue(t);
                WaitQueue.Node n;
                for (int i = 0; i < WAKE_ONE_BY_ONE_MAX && (n = j.signalOne()) != null; i++) {
                    Park.signal(n);
                }
            }
        }
        runtime.releaseAdmission(scheduler, this);
        if (parentScope != null) {
            parentScope.onChildDone(this); // never throws: it counts the child as finished whatever happens
        } // the root: Weft.run's thread wakes through the waiter list above
    }

    /** Bound on the allocation-free wake-up of joiners (a thread joins at most once at a time). */
    private static final int WAKE_ONE_BY_ONE_MAX = 1 << 20;

    /** A step of the epilogue threw {@code t}: if memory ran out, the extension gives some back (the reserve). */
    static void outOfMemoryInEpilogue(Throwable t) {
        if (t instanceof OutOfMemoryError) {
            TaskExtension e = TaskHooks.extension();
            if (e != null) {
                try {
                    e.outOfMemory();
                } catch (Throwable ignored) {
                    // nothing more to give back
                }
            }
        }
    }

    boolean isDone() {
        return state >= ST_SUCCEEDED;
    }

    /** The joiners' queue, created by the first joiner. */
    private WaitQueue joiners() {
        WaitQueue j = joiners;
        if (j == null) {
            synchronized (this) {
                j = joiners;
                if (j == null) {
                    joiners = j = new WaitQueue();
                }
            }
        }
        return j;
    }

    /** Whether the Cancelled that ended the task came from an enclosing scope (valid once done). */
    boolean cancelPropagates() {
        return cancelPropagates;
    }

    /** Waits until the task finishes; a cancellation point if called from a task. */
    void awaitDone() {
        TaskImpl<?> me = current();
        if (me != null) {
            me.checkpoint();
        }
        WaitQueue.Node node = null;
        while (!isDone()) {
            if (node == null) {
                node = new WaitQueue.Node();
            } else {
                node.reset();
            }
            joiners().add(node);
            if (isDone()) { // completed between the check and the add
                Park.abandon(node);
                break;
            }
            Park.await(me, node, Park.NO_DEADLINE, Park.CANCELLABLE);
        }
        if (me != null) {
            me.checkpoint();
        }
    }

    /**
     * Waits for the end without being a cancellation point (the thread that called Weft.run); an interrupt of
     * that thread runs {@code onInterrupt} (it cancels the root) and the wait goes on.
     */
    void awaitDoneUninterruptibly(Runnable onInterrupt) {
        boolean interrupted = false;
        WaitQueue.Node node = new WaitQueue.Node();
        while (!isDone()) {
            joiners().add(node);
            if (isDone()) {
                Park.abandon(node);
                break;
            }
            if (Park.await(null, node, Park.NO_DEADLINE, Park.INTERRUPTIBLE) == Park.INTERRUPTED) {
                interrupted = true;
                onInterrupt.run();
            }
            node.reset();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    // ---------------------------------------------------------------- cancellation

    /** Outermost cancelled scope visible from the innermost one, or null. Any thread (dumps) / owner. */
    CancelScopeImpl visibleCancel() {
        return CancelScopeImpl.effectiveCancel(current);
    }

    /** Raises Cancelled if the task is inside a cancelled, unshielded scope. The task's thread only. */
    @Override
    protected void checkpoint() {
        if (PendingCancels.count == 0 || !mayHaveCancel()) {
            return; // nothing cancelled anywhere, or nothing that can reach this task (PendingCancels)
        }
        assert isCurrentThread() : "checkpoint off the task's thread";
        CheckpointProbe.reached(this);
        CancelScopeImpl hit = (CancelScopeImpl) cancelToRaise(); // deliverableCancel(), the flag cleared first
        if (hit != null) {
            resetAgentBackoff();
            if (inProgramGrace(hit)) {
                boolean consumed = interruptConsumed();
                graceDelivered = true;
                syncInterrupt(); // withdraws Weft's interrupt: the cleanup's I/O must not fail on it
                if (consumed) {
                    return; // a JDK call delivered it already: the program is cleaning up
                }
            } else {
                postForCancel();
            }
            hit.noticed();
            countThrown(hit);
            throw new Cancelled(hit.reason, hit.name(), hit.origin());
        }
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
        if (deliverableCancel() != null) {
            postForCancel();
        }
        hit.noticed();
        countThrown(hit);
        Cancelled c = new Cancelled(hit.reason, hit.name(), hit.origin());
        c.addSuppressed(t);
        return c;
    }

    private void countThrown(CancelScopeImpl hit) {
        if (hit.reason == CancelReason.MEMORY && memoryCancelsThrown < Integer.MAX_VALUE) {
            memoryCancelsThrown++;
        }
    }

    @Override
    public int memoryCancelsThrown() {
        return memoryCancelsThrown;
    }

    /** Whether the task is inside a cancelled, unshielded scope. */
    boolean isCancelled() {
        return PendingCancels.count != 0 && mayHaveCancel() && visibleCancel() != null;
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

    // ---------------------------------------------------------------- memory budgets
    // How extensions (memory budgets) see this task: TaskHandle, and the events of TaskExtension. The runtime
    // installs the lookup of the current task (RuntimeImpl's constructor); memory installs itself.

    /** The current thread's task, for {@link TaskHooks#installTasks}. */
    static final Supplier<TaskImpl<?>> CURRENT = TaskImpl::current;

    /** Runs the continuation between the observer's two calls ({@link #runOn}, while an extension observes). */
    private <M> long runObserved(TaskExtension.MountObserver<M> observer) {
        M m = observer.mounted(this);
        ownContinuation.run();
        return observer.unmounted(m, this, mountWord);
    }

    /** Tells the extension the body ended ({@link #runBody}); returns the failure the task ends with. */
    private Throwable taskEnded(Throwable fail, Cancelled cancelled) {
        TaskExtension e = TaskHooks.extension(); // installed before the first attachment was made
        return e == null ? fail : e.taskEnded(this, fail, cancelled);
    }

    /** Tells the extension that {@code scope}, opened by this task, exited (TaskScopeImpl.open). Task thread. */
    void taskScopeExited(TaskScopeImpl scope) {
        if (attachment != null) {
            TaskHooks.extension().taskScopeExited(this, scope);
        }
    }

    /**
     * Whether {@code t} is a memory failure (a scope cancels the siblings with reason MEMORY): an
     * {@link OutOfMemoryError} or the extension's memory error, possibly wrapped in TaskFailedExceptions.
     */
    static boolean isMemoryFailure(Throwable t) {
        TaskExtension e = TaskHooks.extension();
        for (int i = 0; i < 3 && t != null; i++, t = t.getCause()) {
            if (t instanceof OutOfMemoryError || (e != null && e.isMemoryFailure(t))) {
                return true;
            }
            if (!(t instanceof TaskFailedException)) {
                return false;
            }
        }
        return false;
    }

    @Override
    public boolean isRunning() {
        return !isDone();
    }

    @Override
    public boolean isAwaitingChildren() {
        return awaitingChildren;
    }

    @Override
    public TaskHandle.Attachment attachment() {
        return attachment;
    }

    @Override
    public TaskHandle.Attachment attachIfAbsent(TaskHandle.Attachment a) {
        TaskHandle.Attachment m = attachment;
        if (m == null) {
            synchronized (this) {
                m = attachment;
                if (m == null) {
                    attachment = m = a;
                }
            }
        }
        return m;
    }

    @Override
    public void cancelForMemory(Throwable origin) {
        rootCancel.cancel(CancelReason.MEMORY, origin);
    }

    @Override
    protected Thread carrierThread() {
        return mountedOn instanceof CarrierSlot slot ? slot.carrierThread() : null;
    }

    @Override
    public CarrierSlot mountedCarrierSlot() {
        assert isCurrentThread() : "mountedCarrierSlot off the task's thread";
        // the loop that mounted the task, not `scheduler`: moveTo sets that before the move, which a pinned
        // yield can leave undone until the next park
        return mountedOn instanceof CarrierSlot slot ? slot : null;
    }

    @Override
    public TaskHandle.Scope innermostTaskScope() {
        assert isCurrentThread() : "innermostTaskScope off the task's thread";
        for (CancelScopeImpl s = current; s != null && s != rootCancel; s = s.parent) {
            if (s.kind == CancelScopeImpl.KIND_TASK_SCOPE) {
                return (TaskScopeImpl) s.subject;
            }
        }
        return null;
    }
}
