package dev.weft.cli.torture;

import dev.weft.Blocking;
import dev.weft.CancelScope;
import dev.weft.Cancellation;
import dev.weft.Cancelled;
import dev.weft.Channel;
import dev.weft.Task;
import dev.weft.TaskFailedException;
import dev.weft.TaskScope;
import dev.weft.ThrowingCallable;
import dev.weft.VirtualClock;
import dev.weft.Weft;
import dev.weft.cli.torture.TortureModel.BodyRecord;
import dev.weft.cli.torture.TortureModel.Invariant;
import dev.weft.cli.torture.TortureModel.Kind;
import dev.weft.cli.torture.TortureModel.MScope;
import dev.weft.cli.torture.TortureModel.MTask;
import dev.weft.cli.torture.TortureModel.Violation;
import dev.weft.cli.torture.TortureModel.Wait;
import dev.weft.cli.torture.TortureTree.Checkpoint;
import dev.weft.cli.torture.TortureTree.Child;
import dev.weft.cli.torture.TortureTree.Cleanup;
import dev.weft.cli.torture.TortureTree.Event;
import dev.weft.cli.torture.TortureTree.Fail;
import dev.weft.cli.torture.TortureTree.Forever;
import dev.weft.cli.torture.TortureTree.Join;
import dev.weft.cli.torture.TortureTree.Node;
import dev.weft.cli.torture.TortureTree.Nursery;
import dev.weft.cli.torture.TortureTree.Ping;
import dev.weft.cli.torture.TortureTree.PingKind;
import dev.weft.cli.torture.TortureTree.RaceExit;
import dev.weft.cli.torture.TortureTree.Scope;
import dev.weft.cli.torture.TortureTree.ScopeKind;
import dev.weft.cli.torture.TortureTree.SelfInterrupt;
import dev.weft.cli.torture.TortureTree.Sleep;
import dev.weft.cli.torture.TortureTree.Spawn;
import dev.weft.cli.torture.TortureTree.Try;
import dev.weft.cli.torture.TortureTree.WaitKind;
import java.time.Duration;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link TortureTree} on a fresh Weft runtime, using only the public API, in lock step with the
 * {@link TortureModel}, and returns the violations found.
 *
 * <h2>Threads</h2>
 * The calling thread is the <em>driver</em>: it fires the plan's events when every task is blocked
 * (quiescence, judged by the model), then cancels what is left until the run ends, and is the watchdog:
 * a blocked task that should have woken is reported after {@link #WAKE_GRACE_NS} (a JDK call left without
 * its interrupt is then interrupted directly, so the run can go on); no progress for {@link #HANG_NS}
 * is reported with {@code Weft.dump()}, then everything is cancelled, and after another such period the
 * run is abandoned rather than hanging. {@code Weft.run} runs on a platform thread of its own. A
 * <em>racer</em> platform thread cancels scopes right as they exit, while a <em>holder</em> thread may
 * hold the racing task's {@code Task} handle monitor for some microseconds (a legal delay that widens
 * race windows). A <em>canceller</em> Weft task (a sibling of the tree, outside {@code R0}) performs the
 * plan's cancels "from another task".
 *
 * <h2>Checks</h2>
 * Inline, at every cancellation point, scope exit, task scope exit and task end (see {@link TortureModel});
 * and after the run: finally blocks, finished tasks, the failures {@code Weft.run} reports, the dump.
 */
final class TortureEngine {
    /** A blocked task the model expects to wake is reported after this long parked. */
    static final long WAKE_GRACE_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** No task report for this long: a hang. */
    static final long HANG_NS = TimeUnit.SECONDS.toNanos(5);
    /** Rounds of "cancel everything still open" after the plan. */
    static final int FINAL_ROUNDS_MAX = 40;

    /** An injected failure: carries the id of the {@link Fail} that threw it. */
    interface Injected {
        int id();
    }

    static final class InjectedFailure extends RuntimeException implements Injected {
        private static final long serialVersionUID = 1L;
        private final int id;

        InjectedFailure(int id) {
            super("X" + id, null, true, false);
            this.id = id;
        }

        @Override
        public int id() {
            return id;
        }
    }

    static final class InjectedCheckedFailure extends Exception implements Injected {
        private static final long serialVersionUID = 1L;
        private final int id;

        InjectedCheckedFailure(int id) {
            super("X" + id + " (checked)", null, true, false);
            this.id = id;
        }

        @Override
        public int id() {
            return id;
        }
    }

    /** What one tree did. */
    record Result(long seed, TortureTree tree, List<Violation> violations, List<String> notes, long elapsedNs,
            boolean abandoned) {
        boolean ok() {
            return broken().isEmpty();
        }

        /** The invariants this tree broke (not counting what followed a watchdog interrupt). */
        Set<Invariant> broken() {
            Set<Invariant> s = EnumSet.noneOf(Invariant.class);
            for (Violation v : violations) {
                if (!v.afterRecovery()) {
                    s.add(v.invariant());
                }
            }
            return s;
        }

        /** One line: the seed, the broken invariants, the first message. */
        String line() {
            String first = violations.stream().filter(v -> !v.afterRecovery()).findFirst()
                    .map(v -> v.toString().replace('\n', ' ')).orElse("");
            if (first.length() > 240) {
                first = first.substring(0, 240) + "...";
            }
            return "seed=" + seed + " " + broken() + " " + first;
        }

        /** The tree and every violation. */
        String report() {
            StringBuilder sb = new StringBuilder();
            sb.append("torture seed ").append(seed).append(": ").append(violations.size()).append(" violation(s) in ")
                    .append(elapsedNs / 1_000_000).append(" ms").append(abandoned ? " (run abandoned)" : "").append('\n');
            for (Violation v : violations) {
                sb.append("  ").append(v.invariant()).append(" [").append(v.invariant().rule).append("]")
                        .append(v.afterRecovery() ? " (after a watchdog interrupt: not counted)" : "").append("\n    ")
                        .append(v.message().replace("\n", "\n    ")).append('\n');
            }
            for (String n : notes) {
                sb.append("  note: ").append(n).append('\n');
            }
            sb.append(tree);
            sb.append("  replay: TortureMain --seed ").append(seed).append('\n');
            return sb.toString();
        }
    }

    /** Generates the tree for {@code seed} and runs it. */
    static Result run(long seed) {
        return new TortureEngine(TortureTree.generate(seed)).execute();
    }

    private final TortureTree tree;
    private final VirtualClock clock = VirtualClock.create();
    private final TortureModel m = new TortureModel(clock);
    private final String runtimeName;
    /** Shadows by id: cancel scopes (also cleanup scopes and R0 = 0), task scopes. Written before the run. */
    private final Map<Integer, MScope> shadow = new HashMap<>();
    /** Real cancel scopes by id, made before the run. */
    private final Map<Integer, CancelScope> real = new HashMap<>();
    /** Child tasks by task id, registered as they are spawned. */
    private final Map<Integer, MTask> childTasks = new ConcurrentHashMap<>();
    private final Channel<Integer> commands = Channel.create(64);
    private final LinkedBlockingQueue<Object[]> raceJobs = new LinkedBlockingQueue<>();
    private volatile MTask canceller;
    private Thread racer;
    /** Written by the runner thread before it marks the run done. */
    private volatile Throwable runThrown;

    private TortureEngine(TortureTree tree) {
        this.tree = tree;
        this.runtimeName = "torture-" + tree.seed;
        long originNs = clock.nanoTime();
        MScope r0 = m.newScope("R0", Kind.CANCEL, false);
        r0.cancelScope = CancelScope.create().name("R0");
        shadow.put(0, r0);
        real.put(0, r0.cancelScope);
        for (Scope s : tree.scopes) {
            boolean shield = s.kind() == ScopeKind.SHIELD || s.kind() == ScopeKind.SHIELD_TIMEOUT;
            MScope ms = m.newScope("S" + s.id(), Kind.CANCEL, shield);
            CancelScope cs = switch (s.kind()) {
                case TIMEOUT, SHIELD_TIMEOUT -> CancelScope.withTimeout(Duration.ofMillis(s.ms()));
                case DEADLINE -> {
                    ms.deadlineNs = originNs + TimeUnit.MILLISECONDS.toNanos(s.ms());
                    yield CancelScope.withDeadlineNs(ms.deadlineNs);
                }
                default -> CancelScope.create();
            };
            cs.name(ms.name).shield(shield);
            ms.cancelScope = cs;
            shadow.put(s.id(), ms);
            real.put(s.id(), cs);
            if (s.kind() == ScopeKind.PRE_CANCELLED) {
                m.cancel(ms);
            }
        }
        for (Cleanup c : tree.cleanups) {
            MScope ms = m.newScope("S" + c.scopeId(), Kind.CANCEL, c.shield());
            CancelScope cs = c.timeoutMs() > 0 ? CancelScope.withTimeout(Duration.ofMillis(c.timeoutMs()))
                    : CancelScope.create();
            cs.name(ms.name).shield(c.shield());
            ms.cancelScope = cs;
            shadow.put(c.scopeId(), ms);
            real.put(c.scopeId(), cs);
        }
        for (Nursery n : tree.nurseries) {
            shadow.put(n.id(), m.newScope("N" + n.id(), Kind.NURSERY, false));
        }
    }

    // ---------------------------------------------------------------- driver

    private Result execute() {
        long start = System.nanoTime();
        Weft.Options options = Weft.options().loops(tree.loops).clock(clock).handleSigint(false).name(runtimeName)
                .blockingThreadsMax(16);
        Thread runner = Thread.ofPlatform().name(runtimeName + "-runner").daemon(true).unstarted(() -> {
            try {
                Weft.run(options, this::rootBody);
            } catch (Throwable x) {
                runThrown = x;
            } finally {
                m.runDone();
            }
        });
        runner.start();
        boolean finished = drive();
        if (finished) {
            try {
                runner.join(TimeUnit.NANOSECONDS.toMillis(HANG_NS));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            m.checkEnd(runThrown, Weft.dump(), runtimeName);
        }
        if (racer != null) {
            raceJobs.add(new Object[0]);
        }
        if (holder != null) {
            holdJobs.add(new Object[0]);
        }
        return new Result(tree.seed, tree, m.violations(), m.notes(), System.nanoTime() - start, !finished);
    }

    /** Fires the plan and the final rounds; the watchdog. Returns false if the run was abandoned. */
    private boolean drive() {
        List<Event> plan = tree.plan;
        int next = 0;
        int round = 0;
        long lastProgress = -1;
        long lastProgressAt = System.nanoTime();
        boolean recovering = false;
        MScope r0 = shadow.get(0);
        m.lock.lock();
        try {
            while (!m.runDone) {
                long now = System.nanoTime();
                if (m.progress != lastProgress) {
                    lastProgress = m.progress;
                    lastProgressAt = now;
                }
                if (next < plan.size() && plan.get(next).eager()) {
                    Event e = plan.get(next++);
                    m.lock.unlock();
                    try {
                        spin(e.spins());
                    } finally {
                        m.lock.lock();
                    }
                    fire(e);
                    continue;
                }
                if (m.quiescent(now)) {
                    if (next < plan.size()) {
                        fire(plan.get(next++));
                        continue;
                    }
                    if (round < FINAL_ROUNDS_MAX) {
                        m.cancelAll(round++, r0, canceller);
                        continue;
                    }
                }
                m.checkWakeups(now, WAKE_GRACE_NS);
                if (now - lastProgressAt > HANG_NS) {
                    String what = "no progress for " + TimeUnit.NANOSECONDS.toSeconds(HANG_NS) + " s";
                    if (recovering) {
                        m.engineViolation(Invariant.TERMINATES, what + " after cancelling everything; run abandoned;"
                                + " tasks:\n" + m.describeTasks() + "  Weft.dump():\n" + Weft.dump());
                        return false;
                    }
                    m.engineViolation(Invariant.TERMINATES, what + "; tasks:\n" + m.describeTasks()
                            + "  Weft.dump():\n" + Weft.dump());
                    recovering = true;
                    lastProgressAt = now;
                    m.cancelAll(1, r0, null);
                }
                try {
                    m.changed.await(20, TimeUnit.MILLISECONDS);
                } catch (InterruptedException e) {
                    m.engineViolation(Invariant.NO_STRAY_INTERRUPT, "the engine's driver thread (which calls cancel(),"
                            + " shield(false) and VirtualClock.advance) was interrupted");
                }
            }
            return true;
        } finally {
            m.lock.unlock();
        }
    }

    private static void spin(int n) {
        for (int i = 0; i < n; i++) {
            Thread.onSpinWait();
        }
    }

    /** Fires one event (model lock held). */
    private void fire(Event e) {
        switch (e.kind()) {
            case CANCEL, CANCEL_NURSERY -> m.cancel(shadow.get(e.target()));
            case CANCEL_FROM_TASK -> {
                MTask c = canceller;
                if (c != null && m.postCommand(c)) {
                    commands.trySend(e.target());
                }
            }
            case CANCEL_TASK -> {
                MTask t = childTasks.get(e.target());
                if (t != null) {
                    m.cancel(t.root);
                }
            }
            case ADVANCE -> m.advance(e.ms());
            case SHIELD_OFF -> m.shieldOff(shadow.get(e.target()));
        }
    }

    /** A cancel of {@code scope} by the racer thread, racing the scope's exit. */
    private static final class RaceJob {
        final MScope scope;
        final RaceExit node;
        /** Set by the racer when it runs. */
        volatile boolean armed;
        /** Set by the task when the racing scope's body ended (the exit follows at once). */
        volatile boolean leaving;
        /** Set by the racer after its cancel() returned. */
        volatile boolean fired;
        /** The racing task's handle whose monitor the holder locks, or null. */
        final Object handle;
        /** Set by the holder once it holds the handle's monitor. */
        volatile boolean holding;

        RaceJob(MScope scope, RaceExit node, Object handle) {
            this.scope = scope;
            this.node = node;
            this.handle = handle;
        }
    }

    /** How long the holder keeps a Task handle's monitor: 10 to 60 us from when the racer starts. */
    private static final long HOLD_NS_MIN = TimeUnit.MICROSECONDS.toNanos(10);
    private static final long HOLD_NS_SPREAD = TimeUnit.MICROSECONDS.toNanos(50);
    private final LinkedBlockingQueue<Object[]> holdJobs = new LinkedBlockingQueue<>();
    private Thread holder;

    /** Racing cancels by scope, posted by RaceExit and awaited after the scope exited. */
    private final Map<MScope, RaceJob> races = new ConcurrentHashMap<>();
    /** The longest either side spins for the other (the racer is a platform thread that only spins then). */
    private static final long RACE_WAIT_NS = TimeUnit.MILLISECONDS.toNanos(50);

    /**
     * The body's last act in a racing scope: hands the scope to the racer and waits until the racer runs.
     * The racer then waits until the body ended ({@link #leaving}) and cancels the scope a few microseconds
     * later, while the scope exits.
     */
    private void race(MTask t, MScope s, RaceExit node) {
        RaceJob job = new RaceJob(s, node, node.hold() ? t.task : null);
        m.racerStarted();
        synchronized (raceJobs) {
            if (racer == null) {
                racer = Thread.ofPlatform().name(runtimeName + "-racer").daemon(true).start(this::racerLoop);
            }
            if (job.handle != null && holder == null) {
                holder = Thread.ofPlatform().name(runtimeName + "-holder").daemon(true).start(this::holderLoop);
            }
        }
        races.put(s, job);
        raceJobs.add(new Object[] {job});
        awaitFlag(() -> job.armed);
    }

    private void racerLoop() {
        try {
            while (true) {
                Object[] next = raceJobs.take();
                if (next.length == 0) {
                    return;
                }
                RaceJob j = (RaceJob) next[0];
                if (j.handle != null) {
                    holdJobs.add(new Object[] {j});
                    awaitFlag(() -> j.holding);
                }
                j.armed = true;
                if (!j.node.early()) {
                    awaitFlag(() -> j.leaving);
                }
                long until = System.nanoTime() + j.node.delayNs();
                while (System.nanoTime() < until) {
                    Thread.onSpinWait();
                }
                m.racerCancel(j.scope);
                j.fired = true;
            }
        } catch (InterruptedException e) {
            // the engine is done
        }
    }

    /** Holds a racing task's handle monitor for a while (the racer's cancel may have to wait for it). */
    private void holderLoop() {
        try {
            while (true) {
                Object[] next = holdJobs.take();
                if (next.length == 0) {
                    return;
                }
                RaceJob j = (RaceJob) next[0];
                long until = System.nanoTime() + HOLD_NS_MIN + (j.node.delayNs() * 7919L) % HOLD_NS_SPREAD;
                synchronized (j.handle) {
                    j.holding = true;
                    while (System.nanoTime() < until) {
                        Thread.onSpinWait();
                    }
                }
            }
        } catch (InterruptedException e) {
            // the engine is done
        }
    }

    private static void awaitFlag(java.util.function.BooleanSupplier flag) {
        long end = System.nanoTime() + RACE_WAIT_NS;
        while (!flag.getAsBoolean() && System.nanoTime() < end) {
            Thread.onSpinWait();
        }
    }

    /** After a racing scope exited: once the racing cancel() returned, no interrupt may be left behind. */
    private void afterRace(MTask t, MScope s) {
        RaceJob job = races.remove(s);
        if (job == null) {
            return;
        }
        job.leaving = true; // in case the body never signalled (it raised)
        awaitFlag(() -> job.fired);
        if (job.fired) {
            m.checkInterrupt(t, "after " + s + " exited and a cancel() of it racing the exit returned");
        }
    }

    // ---------------------------------------------------------------- the root task

    private Object rootBody() throws Exception {
        MTask root = m.rootTask(runtimeName, Thread.currentThread());
        MScope n0 = m.newScope("N0", Kind.NURSERY, false);
        nursery(root, n0, 0, scope -> {
            MTask c = m.child(n0, "canceller");
            Task<?> handle = scope.spawn("canceller", () -> cancellerBody(c));
            m.spawned(c, handle);
            canceller = c;
            try {
                runScope(root, shadow.get(0), real.get(0), -1, () -> exec(tree.root, root));
            } finally {
                m.cancel(c.root);
            }
        });
        for (String line : Weft.dump().split("\n")) {
            if (line.contains("task 'T") || line.contains("task 'canceller'")) {
                m.engineViolation(Invariant.NO_TASK_OUTLIVES_SCOPE, "after every task scope closed, Weft.dump() in"
                        + " the root task still shows: " + line.strip());
            }
        }
        m.checkInterrupt(root, "end of the root task");
        return null;
    }

    private Object cancellerBody(MTask c) throws Exception {
        m.started(c, Thread.currentThread());
        Throwable out = null;
        try {
            while (true) {
                m.block(c, new Wait("canceller's Channel.receive", null, TortureModel.NO_DEADLINE, null, true));
                int target;
                try {
                    target = commands.receive();
                } catch (Cancelled x) {
                    m.raised(c, "canceller's Channel.receive", x);
                    throw x;
                }
                m.unblock(c);
                m.commandTaken();
                m.cancel(shadow.get(target));
            }
        } catch (Throwable x) {
            out = x;
            throw x;
        } finally {
            m.childDone(c, out);
        }
    }

    // ---------------------------------------------------------------- statements

    @FunctionalInterface
    private interface Op {
        void run() throws Exception;
    }

    @FunctionalInterface
    private interface NurseryBody {
        void run(TaskScope scope) throws Exception;
    }

    private void exec(List<Node> list, MTask t) throws Exception {
        for (Node n : list) {
            exec(n, t);
        }
    }

    private void exec(Node node, MTask t) throws Exception {
        switch (node) {
            case Checkpoint c -> point(t, "checkpoint #" + c.id(), Cancellation::checkpoint);
            case Ping p -> point(t, "ping " + p.kind() + " #" + p.id(), () -> ping(p.kind()));
            case Forever f -> forever(t, f.kind(), f.swallow(), "forever " + f.kind() + " #" + f.id());
            case Sleep s -> sleep(t, s);
            case Fail f -> {
                m.failed(f.id());
                if (f.checked()) {
                    throw new InjectedCheckedFailure(f.id());
                }
                throw new InjectedFailure(f.id());
            }
            case SelfInterrupt s -> {
                m.selfInterrupt(t);
                Thread.currentThread().interrupt();
                forever(t, s.kind(), false, "forever " + s.kind() + " after a self-interrupt #" + s.id());
            }
            case Scope s -> {
                long timeoutNs = s.kind() == ScopeKind.TIMEOUT || s.kind() == ScopeKind.SHIELD_TIMEOUT
                        ? TimeUnit.MILLISECONDS.toNanos(s.ms()) : -1;
                runScope(t, shadow.get(s.id()), real.get(s.id()), timeoutNs, () -> exec(s.body(), t));
            }
            case Try tr -> tryFinally(t, tr);
            case Nursery n -> nurseryNode(t, n);
            case RaceExit r -> race(t, shadow.get(r.scopeId()), r);
            case Spawn s -> throw new IllegalStateException("engine bug: spawn outside a task scope body");
            case Join j -> throw new IllegalStateException("engine bug: join outside a task scope body");
        }
    }

    /** A cancellation point that completes by itself. */
    private void point(MTask t, String what, Op op) throws Exception {
        boolean must = m.beforePoint(t);
        try {
            op.run();
        } catch (Cancelled c) {
            m.raised(t, what, c);
            throw c;
        }
        if (must) {
            m.pointViolation(t, Invariant.CANCELLATION_POINTS, what + " completed in a cancelled scope");
        }
    }

    private static void ping(PingKind kind) throws Exception {
        switch (kind) {
            case CHANNEL_ROUND_TRIP -> {
                Channel<Integer> ch = Channel.create(1);
                ch.send(1);
                ch.receive();
            }
            case BLOCKING_CALL -> Blocking.call(() -> 1);
            case SLEEP_ZERO -> Weft.sleep(Duration.ZERO);
        }
    }

    /** A wait that only a cancellation ends. */
    private void forever(MTask t, WaitKind kind, boolean swallow, String what) throws Exception {
        m.block(t, Wait.forever(what, kind));
        try {
            switch (kind) {
                case WEFT_SLEEP -> Weft.sleep(Duration.ofDays(1));
                case CHANNEL_RECEIVE -> Channel.<Integer>create(1).receive();
                case BLOCKING_CALL -> Blocking.call(() -> new ArrayBlockingQueue<Integer>(1).take());
                case JDK_QUEUE_TAKE -> new ArrayBlockingQueue<Integer>(1).take();
                case JDK_THREAD_SLEEP -> Thread.sleep(Duration.ofDays(1));
            }
            m.unblock(t);
            m.pointViolation(t, Invariant.CANCELLATION_POINTS, what + " returned normally");
        } catch (Cancelled c) {
            m.raised(t, what, c);
            throw c;
        } catch (InterruptedException e) {
            if (!kind.jdk) {
                m.unblock(t);
                m.pointViolation(t, Invariant.CANCELLATION_POINTS, what + " threw InterruptedException instead"
                        + " of Cancelled");
                throw e;
            }
            if (!m.interrupted(t, what)) {
                return; // a stray interrupt (reported, and set again): the wait ends
            }
            if (swallow) {
                return; // level-triggered: the next cancellation point raises again
            }
            throw e; // counts as the cancellation when it leaves the cancelled scope
        }
    }

    /** A virtual sleep: ends when due (an ADVANCE event) or by cancellation. */
    private void sleep(MTask t, Sleep s) throws Exception {
        String what = "sleep " + s.ms() + "ms #" + s.id();
        long untilNs = m.nowNs() + TimeUnit.MILLISECONDS.toNanos(s.ms());
        boolean must = m.block(t, new Wait(what, null, untilNs, null, false));
        try {
            Weft.sleep(Duration.ofMillis(s.ms()));
        } catch (Cancelled c) {
            m.raised(t, what, c);
            throw c;
        }
        m.unblock(t);
        if (must) {
            m.pointViolation(t, Invariant.CANCELLATION_POINTS, what + " completed though it started in a cancelled scope");
        }
        if (!m.sleepDue(untilNs)) {
            m.pointViolation(t, Invariant.CANCELLATION_POINTS, what + " returned before the virtual clock reached its end");
        }
    }

    private void tryFinally(MTask t, Try tr) throws Exception {
        m.tryEntered(tr.id());
        Throwable inFlight = null;
        try {
            exec(tr.body(), t);
        } catch (Throwable x) {
            inFlight = x;
            throw x;
        } finally {
            m.finallyRan(tr.id());
            try {
                cleanup(t, tr.cleanup());
            } catch (Throwable c) {
                if (inFlight == null) {
                    throw c;
                }
                // an exception is in flight: the program keeps it (a cancellation comes back at the next point)
                if (!TortureModel.cancelLike(c)) {
                    m.engineViolation(Invariant.NO_UNEXPECTED_EXCEPTION, t + ": cleanup of F" + tr.id() + " threw " + c);
                }
            }
        }
    }

    private void cleanup(MTask t, Cleanup c) throws Exception {
        if (c.unshieldedJdk() != null) {
            exec(c.unshieldedJdk(), t);
        }
        long timeoutNs = c.timeoutMs() > 0 ? TimeUnit.MILLISECONDS.toNanos(c.timeoutMs()) : -1;
        runScope(t, shadow.get(c.scopeId()), real.get(c.scopeId()), timeoutNs, () -> exec(c.steps(), t));
    }

    /** Runs {@code body} in cancel scope {@code cs} and checks how it left. */
    private void runScope(MTask t, MScope ms, CancelScope cs, long timeoutNs, Op body) throws Exception {
        BodyRecord rec = new BodyRecord();
        Throwable outcome = null;
        try {
            cs.run(() -> {
                rec.ran = true;
                m.enter(t, ms, timeoutNs);
                try {
                    body.run();
                } catch (Throwable x) {
                    rec.outcome = x;
                    throw x;
                } finally {
                    RaceJob race = races.get(ms);
                    if (race == null || rec.outcome != null) {
                        rec.before = m.snapshotOf(ms);
                    }
                    if (race != null) {
                        race.leaving = true; // a racing scope that completed is left at once: no model lock in between
                    }
                }
            });
        } catch (Throwable x) {
            outcome = x;
        }
        if (rec.ran) {
            m.exit(t, ms);
        }
        m.checkScopeExit(t, ms, rec, outcome, cs.cancelledCaught());
        m.checkInterrupt(t, "after " + ms + " exited");
        afterRace(t, ms);
        if (outcome != null) {
            throw TortureEngine.<Exception>sneaky(outcome);
        }
    }

    private void nurseryNode(MTask t, Nursery n) throws Exception {
        MScope ms = shadow.get(n.id());
        int k = n.children().size();
        MTask[] kids = new MTask[k];
        Task<?>[] handles = new Task<?>[k];
        nursery(t, ms, n.deadlineMs(), scope -> {
            for (Node s : n.body()) {
                switch (s) {
                    case Spawn sp -> {
                        Child c = n.children().get(sp.index());
                        kids[sp.index()] = spawn(scope, ms, c);
                        handles[sp.index()] = kids[sp.index()].task;
                    }
                    case Join j -> join(t, kids[j.index()], handles[j.index()], "join of T"
                            + n.children().get(j.index()).taskId() + " #" + j.id());
                    default -> exec(s, t);
                }
            }
        });
    }

    /** Runs {@code body} in a new task scope and checks how it left. */
    private void nursery(MTask t, MScope ms, int deadlineMs, NurseryBody body) throws Exception {
        TaskScope[] ref = new TaskScope[1];
        Throwable outcome = null;
        try {
            TaskScope.run(scope -> {
                ref[0] = scope;
                scope.cancelScope().name(ms.name);
                m.enterNursery(t, ms, scope);
                Throwable b = null;
                try {
                    if (deadlineMs > 0) {
                        m.nurseryDeadline(ms, deadlineMs);
                    }
                    body.run(scope);
                } catch (Throwable x) {
                    b = x;
                    throw x;
                } finally {
                    m.nurseryBodyDone(t, ms, b);
                }
                return null;
            });
        } catch (Throwable x) {
            outcome = x;
        }
        if (ref[0] == null) {
            m.engineViolation(Invariant.NO_UNEXPECTED_EXCEPTION, t + ": TaskScope.run of " + ms
                    + " did not run its body: " + outcome);
        } else {
            m.exit(t, ms);
            m.checkNurseryExit(t, ms, outcome, ref[0].liveChildren());
            m.checkInterrupt(t, "after " + ms + " exited");
        }
        if (outcome != null) {
            throw TortureEngine.<Exception>sneaky(outcome);
        }
    }

    private MTask spawn(TaskScope scope, MScope nursery, Child c) {
        String name = "T" + c.taskId();
        MTask ct = m.child(nursery, name);
        childTasks.put(c.taskId(), ct);
        ThrowingCallable<Object, Exception> body = () -> childBody(ct, c.body());
        Task<?> task;
        try {
            task = c.otherLoop() && tree.loops == 2 ? scope.spawnOn(Weft.loops().get(1), name, body)
                    : scope.spawn(name, body);
        } catch (RuntimeException | Error e) {
            m.childDone(ct, null);
            m.engineViolation(Invariant.NO_UNEXPECTED_EXCEPTION, "spawn of " + name + " threw " + e);
            throw e;
        }
        m.spawned(ct, task);
        return ct;
    }

    private Object childBody(MTask t, List<Node> body) throws Exception {
        m.started(t, Thread.currentThread());
        Throwable out = null;
        try {
            exec(body, t);
            m.checkInterrupt(t, "end of the body of task " + t);
            return null;
        } catch (Throwable x) {
            out = x;
            throw x;
        } finally {
            m.childDone(t, out);
        }
    }

    private void join(MTask t, MTask child, Task<?> handle, String what) throws Exception {
        boolean must = m.block(t, new Wait(what, null, TortureModel.NO_DEADLINE, child, false));
        try {
            handle.join();
        } catch (Cancelled c) {
            m.raised(t, what, c);
            throw c;
        } catch (TaskFailedException | CancellationException e) {
            // the task scope reports the child's failure; the body goes on
        }
        m.unblock(t);
        m.joined(t, child, must);
    }

    @SuppressWarnings("unchecked")
    private static <E extends Throwable> E sneaky(Throwable t) throws E {
        throw (E) t;
    }
}
