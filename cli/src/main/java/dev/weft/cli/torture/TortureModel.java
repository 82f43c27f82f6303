package dev.weft.cli.torture;

import dev.weft.CancelScope;
import dev.weft.Cancelled;
import dev.weft.Task;
import dev.weft.TaskFailedException;
import dev.weft.TaskScope;
import dev.weft.VirtualClock;
import dev.weft.cli.torture.TortureTree.WaitKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The oracle: a shadow of the running tree in Trio's semantics, updated in lock step by the engine, and the
 * checks that compare what Weft did with what Trio predicts.
 *
 * <p>Every scope the tree enters and every task it starts has a shadow here ({@link MScope}, {@link MTask})
 * with its parent link, shield flag and cancel state. Every cancel the engine causes (explicit, deadline by
 * advancing the virtual clock, shield turned off) goes through this model under its lock, <em>together</em>
 * with the real call, so a task that asks the model "is my region cancelled?" under the same lock gets the
 * answer the runtime must also give. Cancels the runtime makes by itself (a failure cancels its task scope)
 * are <em>pending</em> from the moment the failure leaves a task or a scope body until the real scope says
 * {@code isCancelRequested()}; checks treat pending as "may".
 *
 * <p>Where timing decides (an eager event racing a task, a failure cancel in flight), a check looks at the
 * state both before and after the runtime decided and only flags what is wrong in every interleaving.
 *
 * <p>Thread safety: every method takes {@link #lock}.
 */
final class TortureModel {

    /** The invariants, each with the message prefix its violations carry. */
    enum Invariant {
        FINALLY_ONCE("every finally block runs exactly once"),
        NO_TASK_OUTLIVES_SCOPE("no task outlives its scope (liveChildren() == 0 at exit, Weft.dump() empty after Weft.run)"),
        FAILURES_REPORTED_ONCE("every failure is reported exactly once (thrown + suppressed); the first failure cancels its task scope"),
        CANCELLED_STAYS_IN_OWNER("no Cancelled escapes the scope that owns it (the outermost cancelled scope visible); none reaches Weft.run's caller"),
        CANCELLED_REACHES_OWNER("only the owner absorbs a Cancelled: a cancel scope that is not the outermost cancelled one propagates it; cancelledCaught() tells the truth"),
        TASK_SCOPE_PROPAGATES("a task scope whose body or children were cancelled by an enclosing scope throws Cancelled instead of returning"),
        CANCELLATION_POINTS("a cancellation point raises if and only if a visible scope is cancelled (level-triggered; shields hide outer cancels)"),
        WEFT_WAITS_WAKE("a Weft wait (sleep, channel, Blocking.call, join) inside a cancelled scope wakes"),
        JDK_CALLS_WAKE("a JDK blocking call inside a cancelled scope wakes, also after an earlier one consumed the wake-up interrupt"),
        NO_STRAY_INTERRUPT("no interrupt is left set outside a cancelled scope (after a scope exits, at the end of each task body)"),
        PROGRAM_INTERRUPT_KEPT("an interrupt the program set itself survives Weft waits and the cancellation that follows"),
        NO_UNEXPECTED_EXCEPTION("no exception other than the injected failures and cancellations escapes"),
        TERMINATES("the run terminates");

        final String rule;

        Invariant(String rule) {
            this.rule = rule;
        }
    }

    /**
     * A broken invariant. {@code afterRecovery}: found after the watchdog interrupted a stuck JDK call itself
     * (not through the API), so it may be a consequence of that foreign interrupt; reported, not counted.
     */
    record Violation(Invariant invariant, String message, boolean afterRecovery) {
        @Override
        public String toString() {
            return invariant + ": " + message + (afterRecovery ? " [after a watchdog interrupt]" : "");
        }
    }

    enum Kind {
        /** A CancelScope. */
        CANCEL,
        /** A TaskScope's cancel scope. */
        NURSERY,
        /** A task's own root scope (Task.cancel()); its parent is the task scope it was spawned into. */
        TASK_ROOT
    }

    enum CancelState {
        NONE,
        /** A failure asks the runtime to cancel this task scope; it may not have done so yet. */
        PENDING,
        /** Cancelled explicitly, by its deadline, or (for a failure) the runtime says so. */
        DEFINITE
    }

    /** A task as the model sees it; the driver waits until none is RUNNING (or expected to wake). */
    enum TaskState {
        /** Registered at spawn, or reported progress: running until it reports a wait or its end. */
        RUNNING,
        /** Reported a wait ({@link Wait}): wakes on cancellation, or when its wait completes. */
        BLOCKED,
        /** Its task scope body ended; inside TaskScope.run, waiting for the children. */
        WAITING_CHILDREN,
        /** Its body ended. */
        DONE
    }

    /** An interrupt the program set on its own thread: none, set (must survive), or set while Weft's may be posted. */
    enum ProgramInterrupt { NONE, SET, UNKNOWN }

    static final long NO_DEADLINE = Long.MAX_VALUE;

    /** A shadow scope. All fields guarded by the model lock. */
    final class MScope {
        final String name;
        final Kind kind;
        /** The enclosing scope, set at entry (for a task root: the task scope it was spawned into). */
        MScope parent;
        boolean shield;
        /** cancel() was called through the model (with the real call). */
        boolean explicit;
        /** Virtual deadline; known at creation (absolute) or entry (relative). */
        long deadlineNs = NO_DEADLINE;
        /** Task scope only: a failure left its body or a child, so the runtime must cancel it. */
        boolean failurePending;
        boolean entered;
        boolean exited;
        CancelScope cancelScope;
        TaskScope taskScope;
        /** For a task root: its task. */
        MTask task;
        // task scope bookkeeping
        final List<MTask> children = new ArrayList<>();
        boolean bodyDone;
        Throwable bodyOutcome;
        /** The failures in {@link #bodyOutcome} when the body ended. */
        final Map<Integer, Integer> bodyIds = new TreeMap<>();
        final List<Throwable> bodyOthers = new ArrayList<>();
        Snapshot lastFinish;

        MScope(String name, Kind kind, boolean shield) {
            this.name = name;
            this.kind = kind;
            this.shield = shield;
        }

        CancelState state() {
            if (explicit || (deadlineNs != NO_DEADLINE && clock.nanoTime() >= deadlineNs)) {
                return CancelState.DEFINITE;
            }
            if (failurePending) {
                return taskScope != null && taskScope.cancelScope().isCancelRequested()
                        ? CancelState.DEFINITE : CancelState.PENDING;
            }
            return CancelState.NONE;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** A shadow task. All fields guarded by the model lock. */
    final class MTask {
        final String name;
        final MScope root;
        MScope innermost;
        TaskState state = TaskState.RUNNING;
        Wait wait;
        Thread thread;
        Task<?> task;
        ProgramInterrupt programInterrupt = ProgramInterrupt.NONE;
        boolean started;
        boolean done;
        /** Never ran its body (the runtime finished it before it started); noted, not a violation. */
        boolean neverStarted;
        Throwable outcome;
        /** The failures in {@link #outcome} when the body ended (the runtime attaches more to it later). */
        Map<Integer, Integer> outcomeIds = Map.of();
        /** Exceptions in the outcome that are neither injected failures, wrappers nor cancellations. */
        List<Throwable> outcomeOthers = List.of();
        Snapshot endSnapshot;
        /** Real time since the model expects this blocked task to wake; 0 if it does not. */
        long wakeExpectedSinceNs;
        /** The watchdog interrupted it to unstick a JDK call; the InterruptedException that follows is ours. */
        boolean recoveryInterrupt;
        /** A wake-up violation was reported for the current wait. */
        boolean wakeReported;
        /** A stray interrupt was reported and is still set (reported once, left for the runtime to clear). */
        boolean strayReported;
        /** The last JDK call of this task that a cancellation woke (its InterruptedException consumed the interrupt). */
        String lastJdkWake;
        /** Real time since the current sleep became due on the virtual clock; 0 if not (yet). */
        long dueSinceNs;

        MTask(String name, MScope root) {
            this.name = name;
            this.root = root;
            root.task = this;
        }

        @Override
        public String toString() {
            return name;
        }
    }

    /** Where a task waits: {@code kind} for forever waits, else a deadline, a joined task or the command channel. */
    record Wait(String what, WaitKind kind, long untilNs, MTask joinee, boolean commands) {
        static Wait forever(String what, WaitKind kind) {
            return new Wait(what, kind, NO_DEADLINE, null, false);
        }
    }

    /** The outermost cancelled scope visible from a scope, counting only definite cancels, and counting pending ones too. */
    record Snapshot(MScope strict, MScope loose) {}

    final ReentrantLock lock = new ReentrantLock();
    /** Signalled on every change. */
    final Condition changed = lock.newCondition();
    private final VirtualClock clock;
    private final List<Violation> violations = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    final List<MTask> tasks = new ArrayList<>();
    final List<MScope> scopes = new ArrayList<>();
    private final Map<String, MScope> byName = new HashMap<>();
    /** Bumped by every change (wakes the driver). */
    long version;
    /** Bumped by task reports only (the watchdog's notion of progress). */
    long progress;
    /** Stuck JDK calls the watchdog interrupted itself. */
    int recoveries;
    /** Racer threads that have not fired yet. */
    int racers;
    /** Commands posted to the canceller task and not yet taken. */
    int commands;
    boolean runDone;
    /** Ids of failures thrown, in order. */
    final List<Integer> thrown = new ArrayList<>();
    /** Try blocks entered and finally blocks run, by id. */
    final Map<Integer, Integer> triesEntered = new TreeMap<>();
    final Map<Integer, Integer> finallyRuns = new TreeMap<>();

    TortureModel(VirtualClock clock) {
        this.clock = clock;
    }

    // ---------------------------------------------------------------- queries (lock held)

    /** The outermost cancelled scope visible from {@code s} (inclusive); shields hide what is outside them. */
    private MScope outermost(MScope s, boolean strict) {
        MScope found = null;
        for (MScope x = s; x != null; x = x.parent) {
            CancelState st = x.state();
            if (st == CancelState.DEFINITE || (!strict && st == CancelState.PENDING)) {
                found = x;
            }
            if (x.shield) {
                break;
            }
        }
        return found;
    }

    private Snapshot snapshot(MScope s) {
        return new Snapshot(outermost(s, true), outermost(s, false));
    }

    /** The task's next cancellation point must raise. */
    private boolean must(MTask t) {
        return outermost(t.innermost, true) != null;
    }

    /** The task's next cancellation point may raise. */
    private boolean may(MTask t) {
        return outermost(t.innermost, false) != null;
    }

    /**
     * A due sleep whose task has not reported waking after this long no longer holds the driver back (an
     * ADVANCE can slip between the model's block() and the sleep reading the clock, making the real sleep
     * end later than the model's; the sleep then ends by a later event or a cancel).
     */
    static final long DUE_GRACE_NS = TimeUnit.MILLISECONDS.toNanos(250);

    private boolean wakeExpected(MTask t, long nowRealNs) {
        return switch (t.state) {
            case RUNNING -> true;
            case DONE -> false;
            case WAITING_CHILDREN -> t.innermost.children.stream().allMatch(c -> c.done);
            case BLOCKED -> {
                Wait w = t.wait;
                if (may(t) || (w.joinee != null && w.joinee.done) || (w.commands && commands > 0)) {
                    yield true;
                }
                if (clock.nanoTime() < w.untilNs) {
                    yield false;
                }
                if (t.dueSinceNs == 0) {
                    t.dueSinceNs = nowRealNs;
                }
                yield nowRealNs - t.dueSinceNs < DUE_GRACE_NS;
            }
        };
    }

    /** Every task is blocked where only an event can wake it. */
    boolean quiescent(long nowRealNs) {
        if (racers > 0 || tasks.isEmpty()) { // before the root task starts nothing is blocked yet
            return false;
        }
        for (MTask t : tasks) {
            if (wakeExpected(t, nowRealNs)) {
                return false;
            }
        }
        return true;
    }

    private String chain(MScope s) {
        StringBuilder sb = new StringBuilder();
        for (MScope x = s; x != null; x = x.parent) {
            if (!sb.isEmpty()) {
                sb.append(" < ");
            }
            sb.append(x.name);
            CancelState st = x.state();
            if (st != CancelState.NONE) {
                sb.append(st == CancelState.DEFINITE ? "(cancelled)" : "(cancel pending)");
            }
            if (x.shield) {
                sb.append("[shield]");
            }
        }
        return sb.toString();
    }

    private void violation(MTask t, TortureModel.Invariant inv, String msg) {
        violations.add(new Violation(inv, (t == null ? "" : t.name + ": ") + msg, recoveries > 0));
    }

    private void changed(boolean byTask) {
        version++;
        if (byTask) {
            progress++;
        }
        changed.signalAll();
    }

    // ---------------------------------------------------------------- construction

    MScope newScope(String name, Kind kind, boolean shield) {
        lock.lock();
        try {
            MScope s = new MScope(name, kind, shield);
            scopes.add(s);
            byName.put(name, s);
            return s;
        } finally {
            lock.unlock();
        }
    }

    MTask rootTask(String runtimeName, Thread thread) {
        lock.lock();
        try {
            MScope root = new MScope(runtimeName, Kind.TASK_ROOT, false);
            scopes.add(root);
            byName.put(runtimeName, root);
            root.entered = true;
            MTask t = new MTask("root", root);
            t.innermost = root;
            t.thread = thread;
            t.started = true;
            tasks.add(t);
            changed(true);
            return t;
        } finally {
            lock.unlock();
        }
    }

    /** Registers a child before the real spawn (so the driver counts it as running at once). */
    MTask child(MScope nursery, String name) {
        lock.lock();
        try {
            MScope root = new MScope(name, Kind.TASK_ROOT, false);
            root.parent = nursery;
            root.entered = true;
            scopes.add(root);
            byName.put(name, root);
            MTask t = new MTask(name, root);
            t.innermost = root;
            nursery.children.add(t);
            tasks.add(t);
            changed(true);
            return t;
        } finally {
            lock.unlock();
        }
    }

    void spawned(MTask t, Task<?> task) {
        lock.lock();
        try {
            t.task = task;
        } finally {
            lock.unlock();
        }
    }

    void started(MTask t, Thread thread) {
        lock.lock();
        try {
            t.thread = thread;
            t.started = true;
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- cancels (with the real call, under the lock)

    /** Cancels {@code s} explicitly, with the real call; skipped if its real object does not exist yet. */
    void cancel(MScope s) {
        lock.lock();
        try {
            switch (s.kind) {
                case CANCEL -> s.cancelScope.cancel();
                case NURSERY -> {
                    if (s.taskScope == null) {
                        return; // not entered yet: there is nothing to cancel
                    }
                    s.taskScope.cancel();
                }
                case TASK_ROOT -> {
                    if (s.task.task == null) {
                        return; // spawn has not returned yet
                    }
                    s.task.task.cancel();
                }
            }
            s.explicit = true;
            changed(false);
        } finally {
            lock.unlock();
        }
    }

    void advance(int ms) {
        lock.lock();
        try {
            clock.advance(Duration.ofMillis(ms));
            changed(false);
        } finally {
            lock.unlock();
        }
    }

    void shieldOff(MScope s) {
        lock.lock();
        try {
            s.shield = false;
            s.cancelScope.shield(false);
            changed(false);
        } finally {
            lock.unlock();
        }
    }

    /** Sets a task scope's deadline {@code ms} from now, with the real call. */
    void nurseryDeadline(MScope s, int ms) {
        lock.lock();
        try {
            s.deadlineNs = clock.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
            s.taskScope.cancelScope().setDeadlineNs(s.deadlineNs);
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    void racerStarted() {
        lock.lock();
        try {
            racers++;
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    void racerCancel(MScope s) {
        lock.lock();
        try {
            cancel(s);
            racers--;
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    /** Whether a command may be posted to the canceller (alive and not being cancelled); counts it if so. */
    boolean postCommand(MTask canceller) {
        lock.lock();
        try {
            if (canceller.done || !canceller.started || may(canceller)) {
                return false;
            }
            commands++;
            changed(false);
            return true;
        } finally {
            lock.unlock();
        }
    }

    void commandTaken() {
        lock.lock();
        try {
            commands--;
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    /** The final rounds: cancels R0 first, then every open scope and running task except {@code spare}. */
    void cancelAll(int round, MScope r0, MTask spare) {
        lock.lock();
        try {
            if (round == 0) {
                cancel(r0);
                return;
            }
            for (MScope s : List.copyOf(scopes)) {
                boolean open = s.entered && !s.exited;
                if (s.kind == Kind.TASK_ROOT) {
                    open = s.task.started && !s.task.done && s.task != spare && s.parent != null;
                }
                if (open && !s.explicit) {
                    cancel(s);
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- task reports

    void enter(MTask t, MScope s, long timeoutNs) {
        lock.lock();
        try {
            assert !s.entered : s + " entered twice";
            s.parent = t.innermost;
            s.entered = true;
            if (timeoutNs >= 0) {
                s.deadlineNs = clock.nanoTime() + timeoutNs;
            }
            t.innermost = s;
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    void enterNursery(MTask t, MScope s, TaskScope real) {
        lock.lock();
        try {
            s.taskScope = real;
            s.cancelScope = real.cancelScope();
            enter(t, s, -1);
        } finally {
            lock.unlock();
        }
    }

    void exit(MTask t, MScope s) {
        lock.lock();
        try {
            if (t.innermost != s) {
                violation(t, Invariant.NO_UNEXPECTED_EXCEPTION, "engine bug: leaving " + s + " from " + t.innermost);
            }
            s.exited = true;
            t.innermost = s.parent;
            t.state = TaskState.RUNNING;
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    /** Before a cancellation point that completes by itself: whether it must raise. */
    boolean beforePoint(MTask t) {
        lock.lock();
        try {
            return must(t);
        } finally {
            lock.unlock();
        }
    }

    /** Before a wait: marks the task blocked; returns whether the region is already cancelled. */
    boolean block(MTask t, Wait w) {
        lock.lock();
        try {
            t.state = TaskState.BLOCKED;
            t.wait = w;
            t.wakeExpectedSinceNs = 0;
            t.wakeReported = false;
            t.dueSinceNs = 0;
            changed(true);
            return must(t);
        } finally {
            lock.unlock();
        }
    }

    void unblock(MTask t) {
        lock.lock();
        try {
            t.state = TaskState.RUNNING;
            t.wait = null;
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    /** A cancellation point raised {@code c}: some visible scope must be cancelled, and {@code c} must name one. */
    void raised(MTask t, String what, Cancelled c) {
        lock.lock();
        try {
            if (t.state == TaskState.BLOCKED) {
                t.state = TaskState.RUNNING;
                t.wait = null;
            }
            changed(true);
            if (!may(t)) {
                violation(t, Invariant.CANCELLATION_POINTS, what + " raised " + c.getMessage()
                        + " but no visible scope is cancelled: " + chain(t.innermost));
                return;
            }
            MScope named = byName.get(c.scopeName());
            boolean visible = false;
            for (MScope x = t.innermost; x != null; x = x.parent) {
                if (x == named) {
                    visible = x.state() != CancelState.NONE;
                    break;
                }
                if (x.shield) {
                    break;
                }
            }
            if (!visible) {
                violation(t, Invariant.CANCELLATION_POINTS, what + " raised a Cancelled naming '" + c.scopeName()
                        + "', which is not a cancelled scope visible here: " + chain(t.innermost));
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * A JDK call woke with InterruptedException: true if that is a cancellation; false (and a violation) if no
     * visible scope is cancelled, so the interrupt was stray. A stray one is set again (the runtime may think
     * it posted it; see {@link #checkInterrupt}), and the wait ends.
     */
    boolean interrupted(MTask t, String what) {
        lock.lock();
        try {
            t.state = TaskState.RUNNING;
            t.wait = null;
            changed(true);
            if (t.recoveryInterrupt) {
                t.recoveryInterrupt = false;
                return true;
            }
            if (may(t)) {
                t.lastJdkWake = what;
                return true;
            }
            if (!t.strayReported) {
                violation(t, Invariant.NO_STRAY_INTERRUPT, what + " woke with InterruptedException but no visible scope"
                        + " is cancelled (stray interrupt): " + chain(t.innermost));
            }
            t.strayReported = true;
            Thread.currentThread().interrupt();
            return false;
        } finally {
            lock.unlock();
        }
    }

    void pointViolation(MTask t, Invariant inv, String msg) {
        lock.lock();
        try {
            violation(t, inv, msg + ": " + chain(t.innermost));
        } finally {
            lock.unlock();
        }
    }

    boolean sleepDue(long untilNs) {
        lock.lock();
        try {
            return clock.nanoTime() >= untilNs;
        } finally {
            lock.unlock();
        }
    }

    long nowNs() {
        lock.lock();
        try {
            return clock.nanoTime();
        } finally {
            lock.unlock();
        }
    }

    void failed(int id) {
        lock.lock();
        try {
            thrown.add(id);
        } finally {
            lock.unlock();
        }
    }

    void tryEntered(int id) {
        lock.lock();
        try {
            triesEntered.merge(id, 1, Integer::sum);
        } finally {
            lock.unlock();
        }
    }

    void finallyRan(int id) {
        lock.lock();
        try {
            finallyRuns.merge(id, 1, Integer::sum);
        } finally {
            lock.unlock();
        }
    }

    /** The program is about to interrupt its own thread. */
    void selfInterrupt(MTask t) {
        lock.lock();
        try {
            // inside a cancelled region Weft's own interrupt may be posted already: indistinguishable (documented)
            t.programInterrupt = may(t) || t.programInterrupt != ProgramInterrupt.NONE
                    ? ProgramInterrupt.UNKNOWN : ProgramInterrupt.SET;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The interrupt check at a well-defined point of task {@code t} (on its own thread): outside a cancelled
     * region the flag must be clear, unless the program set it itself, in which case it must still be set.
     */
    void checkInterrupt(MTask t, String where) {
        boolean flag = Thread.currentThread().isInterrupted(); // first: a cancel racing us is marked before it interrupts
        lock.lock();
        try {
            if (may(t)) {
                return; // Weft's interrupt may be posted legitimately
            }
            switch (t.programInterrupt) {
                case NONE -> {
                    if (!flag) {
                        t.strayReported = false;
                    } else if (t.recoveryInterrupt) {
                        t.recoveryInterrupt = false; // the watchdog's own: ours to clear
                        Thread.interrupted();
                    } else if (!t.strayReported) {
                        // reported, not cleared: the runtime may think it posted it, and clearing it behind its back
                        // would leave its record stale (a later cancel would then not wake this task at all)
                        t.strayReported = true;
                        violation(t, Invariant.NO_STRAY_INTERRUPT, where + ": the thread's interrupt is set but no"
                                + " visible scope is cancelled: " + chain(t.innermost));
                    }
                }
                case SET -> {
                    if (!flag) {
                        violation(t, Invariant.PROGRAM_INTERRUPT_KEPT, where + ": the interrupt the program set on"
                                + " its own thread before a cancellation was cleared: " + chain(t.innermost));
                    }
                    Thread.interrupted();
                    t.programInterrupt = ProgramInterrupt.NONE;
                }
                case UNKNOWN -> {
                    Thread.interrupted();
                    t.programInterrupt = ProgramInterrupt.NONE;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- scope exits

    static boolean cancelLike(Throwable t) {
        return t instanceof Cancelled || t instanceof InterruptedException;
    }

    /** What a cancel scope's body did, recorded inside {@code run} (so before the scope decided). */
    static final class BodyRecord {
        boolean ran;
        Throwable outcome;
        Snapshot before;
    }

    Snapshot snapshotOf(MScope s) {
        lock.lock();
        try {
            return snapshot(s);
        } finally {
            lock.unlock();
        }
    }

    private static boolean possiblyOwner(MScope s, Snapshot... snaps) {
        for (Snapshot x : snaps) {
            if (x != null && (x.strict == s || x.loose == s)) {
                return true;
            }
        }
        return false;
    }

    private static boolean possiblyOuterOwner(MScope s, Snapshot... snaps) {
        for (Snapshot x : snaps) {
            if (x != null && ((x.strict != null && x.strict != s) || (x.loose != null && x.loose != s))) {
                return true;
            }
        }
        return false;
    }

    private static String owners(Snapshot... snaps) {
        StringBuilder sb = new StringBuilder();
        for (Snapshot x : snaps) {
            if (x != null) {
                sb.append(sb.isEmpty() ? "" : ", then ").append(x.strict == null ? "none" : x.strict.name);
                if (x.loose != x.strict) {
                    sb.append(" (").append(x.loose == null ? "none" : x.loose.name).append(" counting pending)");
                }
            }
        }
        return sb.toString();
    }

    /** After {@code s.run(body)} returned (outcome null) or threw {@code outcome}. */
    void checkScopeExit(MTask t, MScope s, BodyRecord body, Throwable outcome, boolean cancelledCaught) {
        lock.lock();
        try {
            if (!body.ran) {
                violation(t, Invariant.CANCELLATION_POINTS, s + ".run did not run its body (entering a scope is not a"
                        + " cancellation point); it " + (outcome == null ? "returned" : "threw " + outcome));
                return;
            }
            Snapshot after = snapshot(s);
            Throwable b = body.outcome;
            boolean bodyCancel = b != null && cancelLike(b);
            String where = "leaving " + s + " (" + chain(s) + ")";
            if (outcome == null) {
                if (b != null && !bodyCancel) {
                    violation(t, Invariant.FAILURES_REPORTED_ONCE, where + ": the scope swallowed the failure " + b);
                } else if (bodyCancel) {
                    if (!possiblyOwner(s, body.before, after)) {
                        violation(t, Invariant.CANCELLED_REACHES_OWNER, where + ": the scope absorbed " + describe(b)
                                + " but does not own it (owner: " + owners(body.before, after) + ")");
                    }
                    if (!cancelledCaught) {
                        violation(t, Invariant.CANCELLED_REACHES_OWNER, where + ": absorbed " + describe(b)
                                + " but cancelledCaught() is false");
                    }
                    Map<Integer, Integer> ids = new TreeMap<>();
                    flatten(b, ids, new ArrayList<>());
                    if (!ids.isEmpty()) {
                        violation(t, Invariant.FAILURES_REPORTED_ONCE, where + ": absorbing " + describe(b)
                                + " swallowed the failures " + ids.keySet() + " attached to it");
                    }
                } else if (cancelledCaught) {
                    violation(t, Invariant.CANCELLED_REACHES_OWNER, where + ": cancelledCaught() is true although"
                            + " the body completed normally");
                }
            } else if (cancelLike(outcome)) {
                if (b == null) {
                    violation(t, Invariant.CANCELLATION_POINTS, where + ": the body completed but run threw "
                            + describe(outcome) + " (leaving a scope is not a cancellation point)");
                } else if (!bodyCancel) {
                    violation(t, Invariant.FAILURES_REPORTED_ONCE, where + ": the body failed with " + b
                            + " but run threw " + describe(outcome) + " instead");
                } else if (!possiblyOuterOwner(s, body.before, after)) {
                    violation(t, Invariant.CANCELLED_STAYS_IN_OWNER, where + ": " + describe(outcome)
                            + " escaped the scope that owns it (owner: " + owners(body.before, after) + ")");
                }
            } else if (outcome != b) {
                violation(t, Invariant.NO_UNEXPECTED_EXCEPTION, where + ": run threw " + outcome
                        + (b == null ? " though the body completed" : " instead of the body's " + b));
            }
        } finally {
            lock.unlock();
        }
    }

    private static String describe(Throwable t) {
        return t instanceof Cancelled c ? "Cancelled(" + c.scopeName() + ", " + c.reason() + ")"
                : t.getClass().getSimpleName();
    }

    /** The body of task scope {@code s} ended (in {@code run}, before the scope waits for its children). */
    void nurseryBodyDone(MTask t, MScope s, Throwable outcome) {
        lock.lock();
        try {
            s.bodyDone = true;
            s.bodyOutcome = outcome;
            if (outcome != null && !cancelLike(outcome)) {
                s.failurePending = true;
                flatten(outcome, s.bodyIds, s.bodyOthers);
            }
            t.state = TaskState.WAITING_CHILDREN;
            finishedInNursery(s);
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    private void finishedInNursery(MScope n) {
        if (n.bodyDone && n.children.stream().allMatch(c -> c.done)) {
            n.lastFinish = snapshot(n);
        }
    }

    /** A child task's body ended with {@code outcome} (null: returned). */
    void childDone(MTask t, Throwable outcome) {
        lock.lock();
        try {
            t.done = true;
            t.state = TaskState.DONE;
            t.wait = null;
            t.outcome = outcome;
            t.endSnapshot = snapshot(t.root);
            MScope n = t.root.parent;
            if (outcome != null && !cancelLike(outcome)) {
                n.failurePending = true;
                t.outcomeIds = new TreeMap<>();
                t.outcomeOthers = new ArrayList<>();
                flatten(outcome, t.outcomeIds, t.outcomeOthers);
            } else if (outcome != null && t.endSnapshot.loose == null) {
                violation(t, Invariant.CANCELLED_STAYS_IN_OWNER, describe(outcome) + " escaped the task body but no"
                        + " scope visible from the task is cancelled: " + chain(t.root));
            }
            finishedInNursery(n);
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    /** A join of {@code child} returned (or threw what a join reports for a failed or cancelled task). */
    void joined(MTask t, MTask child, boolean must) {
        lock.lock();
        try {
            if (must) {
                violation(t, Invariant.CANCELLATION_POINTS, "join of " + child + " completed in a cancelled scope: "
                        + chain(t.innermost));
            }
            if (!child.done) {
                if (!child.started && child.task != null && child.task.state() != dev.weft.TaskState.RUNNING) {
                    neverStarted(child);
                } else {
                    violation(t, Invariant.NO_TASK_OUTLIVES_SCOPE, "join of " + child + " returned while its body"
                            + " still runs");
                }
            }
        } finally {
            lock.unlock();
        }
    }

    private void neverStarted(MTask c) {
        c.done = true;
        c.neverStarted = true;
        c.state = TaskState.DONE;
        notes.add(c + " never ran its body (finished by the runtime before it started)");
        finishedInNursery(c.root.parent);
        changed(true);
    }

    /** After {@code TaskScope.run} of {@code s} returned (outcome null) or threw. */
    void checkNurseryExit(MTask t, MScope s, Throwable outcome, int liveChildren) {
        lock.lock();
        try {
            String where = "leaving " + s + " (" + chain(s) + ")";
            if (liveChildren != 0) {
                violation(t, Invariant.NO_TASK_OUTLIVES_SCOPE, where + ": liveChildren() is " + liveChildren);
            }
            for (MTask c : s.children) {
                if (!c.done) {
                    if (!c.started && c.task != null && c.task.state() != dev.weft.TaskState.RUNNING) {
                        neverStarted(c);
                    } else {
                        violation(t, Invariant.NO_TASK_OUTLIVES_SCOPE, where + ": child " + c + " is still running"
                                + (c.started ? "" : " (never started)"));
                    }
                }
            }
            if (!s.bodyDone) {
                violation(t, Invariant.NO_UNEXPECTED_EXCEPTION, where + ": the body did not run");
                return;
            }
            Snapshot after = snapshot(s);
            Map<Integer, Integer> expected = new TreeMap<>();
            List<Throwable> ignored = new ArrayList<>();
            boolean cancelReached = false;
            boolean ambiguous = false;
            if (s.bodyOutcome != null) {
                if (cancelLike(s.bodyOutcome)) {
                    cancelReached = true;
                } else {
                    s.bodyIds.forEach((k, v) -> expected.merge(k, v, Integer::sum));
                    ignored.addAll(s.bodyOthers);
                    if (s.bodyIds.isEmpty() && s.bodyOthers.isEmpty()) {
                        ignored.add(s.bodyOutcome);
                    }
                }
            }
            for (MTask c : s.children) {
                if (c.outcome == null) {
                    continue;
                }
                if (!cancelLike(c.outcome)) {
                    c.outcomeIds.forEach((k, v) -> expected.merge(k, v, Integer::sum));
                    ignored.addAll(c.outcomeOthers);
                    continue;
                }
                // the child's own root absorbs its cancel if it is the owner; otherwise the cancel reaches s
                boolean ownEnd = c.endSnapshot.strict == c.root && c.endSnapshot.loose == c.root;
                Snapshot now = snapshot(c.root);
                boolean ownNow = now.strict == c.root && now.loose == c.root;
                if (!ownEnd && !ownNow) {
                    cancelReached = true;
                } else if (ownEnd != ownNow || c.endSnapshot.strict != c.endSnapshot.loose) {
                    ambiguous = true;
                }
            }
            boolean failures = !expected.isEmpty() || !ignored.isEmpty();
            if (failures) {
                if (s.cancelScope != null && !s.cancelScope.isCancelRequested()) {
                    violation(t, Invariant.FAILURES_REPORTED_ONCE, where + ": a failure did not cancel the task scope");
                }
                if (outcome == null) {
                    violation(t, Invariant.FAILURES_REPORTED_ONCE, where + ": returned normally though failures "
                            + expected.keySet() + " happened in it");
                } else if (cancelLike(outcome)) {
                    violation(t, Invariant.FAILURES_REPORTED_ONCE, where + ": threw " + describe(outcome)
                            + " though failures " + expected.keySet() + " happened in it (a cancel scope outside"
                            + " would swallow them)");
                } else {
                    Map<Integer, Integer> got = new TreeMap<>();
                    List<Throwable> others = new ArrayList<>();
                    flatten(outcome, got, others);
                    if (!got.equals(expected)) {
                        StringBuilder sources = new StringBuilder();
                        if (s.bodyOutcome != null) {
                            sources.append("\n  body: ").append(graph(s.bodyOutcome));
                        }
                        for (MTask c : s.children) {
                            if (c.outcome != null) {
                                sources.append("\n  ").append(c).append(": ").append(graph(c.outcome));
                            }
                        }
                        violation(t, Invariant.FAILURES_REPORTED_ONCE, where + ": reported failures " + got
                                + " (id=count, thrown + suppressed) but " + expected + " left its body and children;"
                                + "\n  thrown: " + graph(outcome) + sources);
                    }
                }
                return;
            }
            if (outcome == null) {
                if (cancelReached && !possiblyOwner(s, s.lastFinish, after)) {
                    violation(t, Invariant.TASK_SCOPE_PROPAGATES, where + ": returned normally though "
                            + outcomes(s) + " were cancelled by " + owners(s.lastFinish, after)
                            + "; a task scope must propagate an outer Cancelled");
                }
            } else if (cancelLike(outcome)) {
                if (!cancelReached && !ambiguous) {
                    violation(t, Invariant.CANCELLATION_POINTS, where + ": threw " + describe(outcome)
                            + " though neither its body nor a child was cancelled by it or an enclosing scope");
                } else if (!possiblyOuterOwner(s, s.lastFinish, after)) {
                    violation(t, Invariant.CANCELLED_STAYS_IN_OWNER, where + ": " + describe(outcome)
                            + " escaped the task scope that owns it (owner: " + owners(s.lastFinish, after) + ")");
                }
            } else {
                violation(t, Invariant.NO_UNEXPECTED_EXCEPTION, where + ": threw " + outcome
                        + " though no failure happened in it");
            }
        } finally {
            lock.unlock();
        }
    }

    /**
     * Counts each injected failure in {@code t} (the throwable, its suppressed, the causes of wrappers),
     * recursively; collects anything else that is neither a wrapper nor a cancellation into {@code others}.
     * Identity-visited once each, so a failure attached twice counts twice.
     */
    static void flatten(Throwable t, Map<Integer, Integer> counts, List<Throwable> others) {
        flatten(t, counts, others, new IdentityHashMap<>());
    }

    private static void flatten(Throwable t, Map<Integer, Integer> counts, List<Throwable> others,
            IdentityHashMap<Throwable, Boolean> seen) {
        if (t == null) {
            return;
        }
        if (t instanceof TortureEngine.Injected inj) {
            counts.merge(inj.id(), 1, Integer::sum);
        } else if (!(t instanceof TaskFailedException) && !cancelLike(t)) {
            others.add(t);
        }
        if (seen.put(t, Boolean.TRUE) != null) {
            return;
        }
        if (!(t instanceof Cancelled)) {
            flatten(t.getCause(), counts, others, seen);
        }
        for (Throwable s : t.getSuppressed()) {
            flatten(s, counts, others, seen);
        }
    }

    private static String outcomes(MScope n) {
        StringBuilder sb = new StringBuilder();
        if (n.bodyOutcome != null) {
            sb.append("its body (").append(describe(n.bodyOutcome)).append(')');
        }
        for (MTask c : n.children) {
            if (c.outcome != null && cancelLike(c.outcome)) {
                sb.append(sb.isEmpty() ? "" : ", ").append(c).append(" (").append(describe(c.outcome)).append(')');
            }
        }
        return sb.toString();
    }

    /** An exception with its causes and suppressed, on one line: {@code A(cause B)[suppressed C, D]}. */
    static String graph(Throwable t) {
        StringBuilder sb = new StringBuilder();
        graph(t, sb, new IdentityHashMap<>(), 0);
        return sb.toString();
    }

    private static void graph(Throwable t, StringBuilder sb, IdentityHashMap<Throwable, Boolean> seen, int depth) {
        if (t instanceof TortureEngine.Injected inj) {
            sb.append('X').append(inj.id()).append('@').append(Integer.toHexString(System.identityHashCode(t)));
        } else if (t instanceof Cancelled c) {
            sb.append("Cancelled(").append(c.scopeName()).append(')');
        } else {
            sb.append(t.getClass().getSimpleName());
        }
        if (seen.put(t, Boolean.TRUE) != null || depth > 8) {
            sb.append("(again)");
            return;
        }
        if (t.getCause() != null && !(t instanceof Cancelled)) {
            sb.append("(cause ");
            graph(t.getCause(), sb, seen, depth + 1);
            sb.append(')');
        }
        Throwable[] sup = t.getSuppressed();
        if (sup.length > 0) {
            sb.append("[suppressed ");
            for (int i = 0; i < sup.length; i++) {
                if (i > 0) {
                    sb.append(", ");
                }
                graph(sup[i], sb, seen, depth + 1);
            }
            sb.append(']');
        }
    }

    // ---------------------------------------------------------------- the end

    void runDone() {
        lock.lock();
        try {
            runDone = true;
            changed(true);
        } finally {
            lock.unlock();
        }
    }

    /** The checks after Weft.run returned {@code result} or threw {@code thrownByRun}. */
    void checkEnd(Throwable thrownByRun, String dumpAfter, String runtimeName) {
        lock.lock();
        try {
            for (var e : triesEntered.entrySet()) {
                int ran = finallyRuns.getOrDefault(e.getKey(), 0);
                if (ran != e.getValue()) {
                    violation(null, Invariant.FINALLY_ONCE, "try F" + e.getKey() + " entered " + e.getValue()
                            + " time(s), its finally ran " + ran + " time(s)");
                }
            }
            for (var e : finallyRuns.entrySet()) {
                if (!triesEntered.containsKey(e.getKey())) {
                    violation(null, Invariant.FINALLY_ONCE, "finally of F" + e.getKey() + " ran without its try");
                }
            }
            for (MTask t : tasks) {
                if (t.task != null && !t.done) {
                    violation(null, Invariant.NO_TASK_OUTLIVES_SCOPE, t + " had not finished its body when Weft.run"
                            + " returned (" + t.state + (t.wait == null ? "" : " in " + t.wait.what) + ")");
                }
            }
            if (dumpAfter.contains("'" + runtimeName + "'")) {
                violation(null, Invariant.NO_TASK_OUTLIVES_SCOPE, "Weft.dump() after Weft.run returned still shows"
                        + " the runtime:\n" + dumpAfter);
            }
            Map<Integer, Integer> expected = new TreeMap<>();
            for (int id : thrown) {
                expected.merge(id, 1, Integer::sum);
            }
            if (thrownByRun == null) {
                if (!expected.isEmpty()) {
                    violation(null, Invariant.FAILURES_REPORTED_ONCE, "Weft.run returned normally though failures "
                            + expected.keySet() + " were thrown");
                }
                return;
            }
            if (thrownByRun instanceof Cancelled c) {
                violation(null, Invariant.CANCELLED_STAYS_IN_OWNER, describe(c) + " reached Weft.run's caller though"
                        + " the root task was never cancelled");
            }
            Map<Integer, Integer> got = new TreeMap<>();
            List<Throwable> others = new ArrayList<>();
            flatten(thrownByRun, got, others);
            if (!got.equals(expected)) {
                violation(null, Invariant.FAILURES_REPORTED_ONCE, "Weft.run reported failures " + got
                        + " (id=count, thrown + suppressed) but " + expected + " were thrown: " + graph(thrownByRun));
            }
            if (!others.isEmpty()) {
                violation(null, Invariant.NO_UNEXPECTED_EXCEPTION, "Weft.run reported unexpected exceptions " + others);
            }
        } finally {
            lock.unlock();
        }
    }

    /** The engine could not run the tree's body code as planned (a bug in the engine or an escaped exception). */
    void engineViolation(Invariant inv, String msg) {
        lock.lock();
        try {
            violations.add(new Violation(inv, msg, recoveries > 0));
        } finally {
            lock.unlock();
        }
    }

    List<Violation> violations() {
        lock.lock();
        try {
            return List.copyOf(violations);
        } finally {
            lock.unlock();
        }
    }

    List<String> notes() {
        lock.lock();
        try {
            return List.copyOf(notes);
        } finally {
            lock.unlock();
        }
    }

    // ---------------------------------------------------------------- watchdog support (lock held by the caller)

    /**
     * Blocked tasks the model expects to wake because their region is cancelled, but whose thread has sat
     * parked for {@code graceNs} without being woken (for a JDK call: without its interrupt posted).
     * Reports each once per wait; interrupts JDK calls to unstick them (the run goes on).
     */
    void checkWakeups(long nowRealNs, long graceNs) {
        for (MTask t : tasks) {
            if (t.state != TaskState.BLOCKED || t.thread == null || !may(t)) {
                t.wakeExpectedSinceNs = 0;
                continue;
            }
            if (t.wakeExpectedSinceNs == 0) {
                t.wakeExpectedSinceNs = nowRealNs;
                continue;
            }
            if (nowRealNs - t.wakeExpectedSinceNs < graceNs || t.wakeReported) {
                continue;
            }
            Thread.State st = t.thread.getState();
            boolean parked = st == Thread.State.WAITING || st == Thread.State.TIMED_WAITING;
            if (!parked) {
                continue;
            }
            Wait w = t.wait;
            boolean jdk = w.kind != null && w.kind.jdk;
            if (jdk && t.thread.isInterrupted()) {
                continue; // posted; the call is waking
            }
            if (parkedInEngine(t.thread)) {
                continue; // woke, and waits for this model's lock to report it
            }
            t.wakeReported = true;
            violation(t, jdk ? Invariant.JDK_CALLS_WAKE : Invariant.WEFT_WAITS_WAKE, w.what + " did not wake within " + graceNs / 1_000_000 + " ms though "
                    + chain(t.innermost) + (jdk ? "; its interrupt is not posted" : "") + " (thread " + st + ")"
                    + (jdk && t.lastJdkWake != null ? "; earlier, " + t.lastJdkWake + " woke and consumed an interrupt"
                            : ""));
            if (jdk) {
                t.recoveryInterrupt = true;
                recoveries++;
                t.thread.interrupt();
            }
        }
    }

    /** Whether {@code thread} is parked in the engine or this model (not in the wait under test). */
    private static boolean parkedInEngine(Thread thread) {
        for (StackTraceElement e : thread.getStackTrace()) {
            String c = e.getClassName();
            if (c.startsWith("dev.weft.cli.torture.")) {
                return c.equals(TortureModel.class.getName()) || c.startsWith(TortureModel.class.getName() + "$");
            }
        }
        return false;
    }

    /** The live tasks, where each waits and its scope chain (for hang reports). */
    String describeTasks() {
        StringBuilder sb = new StringBuilder();
        for (MTask t : tasks) {
            if (t.done) {
                continue;
            }
            sb.append("    ").append(t).append(' ').append(t.state);
            if (t.wait != null) {
                sb.append(" in ").append(t.wait.what);
            }
            sb.append(" at ").append(chain(t.innermost)).append(t.started ? "" : " (not started)").append('\n');
        }
        if (racers > 0) {
            sb.append("    racers in flight: ").append(racers).append('\n');
        }
        return sb.toString();
    }
}
