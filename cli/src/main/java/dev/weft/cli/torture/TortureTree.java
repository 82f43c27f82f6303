package dev.weft.cli.torture;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * One random program for the torture engine, generated from a seed: a tree of statements run by the root
 * task and its children, and a plan of cancellation events fired from outside.
 *
 * <p>A tree is small (scope nesting at most {@link #DEPTH_MAX}, at most {@link #CHILDREN_MAX} child tasks) and
 * every wait in it either completes by itself (checkpoints, a channel round trip, a virtual sleep that an
 * {@code ADVANCE} event makes due) or waits <em>forever</em> until a cancellation reaches it. The engine
 * fires the plan's events when every task is blocked (or, for "eager" events, at once, while tasks still
 * run), and after the plan cancels what is left ({@code R0}, then every open scope) until the run ends.
 *
 * <p>Names: {@code S<id>} cancel scopes, {@code N<id>} task scopes (nurseries), {@code T<id>} child tasks,
 * {@code F<id>} try/finally blocks, {@code X<id>} injected failures. {@code R0} is the cancel scope around
 * the whole tree, inside the root task.
 */
final class TortureTree {
    /** Deepest nesting of scopes, nurseries and try blocks. */
    static final int DEPTH_MAX = 4;
    /** Most child tasks in one tree (the root task and the engine's canceller task come on top). */
    static final int CHILDREN_MAX = 7;
    /** A racing cancel lands 0 to this many nanoseconds after the racing scope's body ended (its exit takes microseconds). */
    static final int RACE_DELAY_NS_MAX = 6_000;
    /** Statements per list at most. */
    static final int STATEMENTS_MAX = 3;

    /** Waits that end only by cancellation. */
    enum WaitKind {
        /** {@code Weft.sleep(1 day)} on the virtual clock. */
        WEFT_SLEEP(false),
        /** {@code Channel.receive()} on a channel nobody sends to. */
        CHANNEL_RECEIVE(false),
        /** {@code Blocking.call(() -> queue.take())} on an empty queue. */
        BLOCKING_CALL(false),
        /** {@code ArrayBlockingQueue.take()} on an empty queue, in the task itself. */
        JDK_QUEUE_TAKE(true),
        /** {@code Thread.sleep(1 day)} in the task itself. */
        JDK_THREAD_SLEEP(true);

        final boolean jdk;

        WaitKind(boolean jdk) {
            this.jdk = jdk;
        }
    }

    /** Cancellation points that complete by themselves. */
    enum PingKind { CHANNEL_ROUND_TRIP, BLOCKING_CALL, SLEEP_ZERO }

    /** How a cancel scope is made. */
    enum ScopeKind { PLAIN, SHIELD, TIMEOUT, DEADLINE, PRE_CANCELLED, SHIELD_TIMEOUT }

    sealed interface Node permits Checkpoint, Ping, Forever, Sleep, Fail, SelfInterrupt, Scope, Try, Nursery,
            Spawn, Join, RaceExit {}

    /** {@code Cancellation.checkpoint()}. */
    record Checkpoint(int id) implements Node {}

    /** A cancellation point that completes by itself. */
    record Ping(int id, PingKind kind) implements Node {}

    /**
     * A wait that ends only by cancellation. For JDK kinds, {@code swallow} catches the
     * {@code InterruptedException} and goes on (the next cancellation point must raise: level-triggered);
     * otherwise it propagates, and counts as the cancellation when it leaves the cancelled scope.
     */
    record Forever(int id, WaitKind kind, boolean swallow) implements Node {}

    /** {@code Weft.sleep(ms)} on the virtual clock: ends when an ADVANCE event makes it due, or by cancellation. */
    record Sleep(int id, int ms) implements Node {}

    /** Throws an injected failure ({@code X<id>}), checked or unchecked. Always the last statement of a list. */
    record Fail(int id, boolean checked) implements Node {}

    /** The program interrupts its own thread, then waits forever in a Weft wait (which must keep that interrupt). */
    record SelfInterrupt(int id, WaitKind kind) implements Node {}

    /**
     * A cancel scope {@code S<id>} ({@code ms}: its timeout, or its absolute deadline's offset from the clock's
     * origin, in virtual milliseconds). {@code raceExit}: the body's last act hands the scope to a racer
     * thread that cancels it after a random spin, racing the scope's exit.
     */
    record Scope(int id, ScopeKind kind, int ms, List<Node> body, boolean raceExit) implements Node {}

    /** {@code try { body } finally { cleanup }}; the cleanup runs in a (usually shielded) scope {@code S<cleanupScopeId>}. */
    record Try(int id, List<Node> body, Cleanup cleanup) implements Node {}

    /**
     * A finally block: an optional JDK wait that swallows its interrupt (unshielded: it must wake at once in a
     * cancelled scope), then {@code steps} in cancel scope {@code S<scopeId>}.
     */
    record Cleanup(int scopeId, boolean shield, int timeoutMs, Forever unshieldedJdk, List<Node> steps) {}

    /** {@code TaskScope.run} {@code N<id>}; {@code deadlineMs > 0} sets a deadline on its cancel scope. */
    record Nursery(int id, int deadlineMs, List<Child> children, List<Node> body) implements Node {}

    /** A child task {@code T<taskId>}; {@code otherLoop} spawns it on loop 1 when there are two. */
    record Child(int taskId, boolean otherLoop, List<Node> body) {}

    /** In a nursery body: spawns the nursery's child {@code index}. */
    record Spawn(int index) implements Node {}

    /** In a nursery body: joins the nursery's child {@code index} (spawned earlier). */
    record Join(int id, int index) implements Node {}

    /**
     * Last statement of a racing scope's body (see {@link Scope#raceExit}): the racer cancels the scope
     * {@code delayNs} after the body signalled its end (or, if {@code early}, after the racer started, so
     * the cancel usually meets the rest of the body instead). {@code hold} (child tasks only): meanwhile a
     * third thread holds the monitor of the task's {@code Task} handle for some microseconds (any object's
     * monitor may be locked by anyone), a delay that widens whatever window the cancel races through.
     */
    record RaceExit(int scopeId, int delayNs, boolean early, boolean hold) implements Node {}

    enum EventKind {
        /** {@code CancelScope.cancel()} from the engine's platform thread. */
        CANCEL,
        /** {@code CancelScope.cancel()} from the canceller task. */
        CANCEL_FROM_TASK,
        /** {@code Task.cancel()}. */
        CANCEL_TASK,
        /** {@code TaskScope.cancel()}. */
        CANCEL_NURSERY,
        /** Moves the virtual clock forward by {@code ms}. */
        ADVANCE,
        /** {@code CancelScope.shield(false)}. */
        SHIELD_OFF
    }

    /** An event of the plan; {@code eager} fires it without waiting for the tasks to block. */
    record Event(EventKind kind, int target, int ms, boolean eager, int spins) {
        @Override
        public String toString() {
            String t = switch (kind) {
                case CANCEL, CANCEL_FROM_TASK, SHIELD_OFF -> " S" + target;
                case CANCEL_TASK -> " T" + target;
                case CANCEL_NURSERY -> " N" + target;
                case ADVANCE -> " +" + ms + "ms";
            };
            return kind + t + (eager ? " (eager, " + spins + " spins)" : "");
        }
    }

    final long seed;
    final int loops;
    final List<Node> root;
    final List<Event> plan;
    /** Ids of cancel scopes (incl. cleanup scopes), shields, nurseries, child tasks: event targets. */
    final List<Scope> scopes = new ArrayList<>();
    final List<Cleanup> cleanups = new ArrayList<>();
    final List<Nursery> nurseries = new ArrayList<>();
    final List<Child> children = new ArrayList<>();
    /** Largest id used. */
    int idMax;

    private final transient SplittableRandom rnd;
    private int childBudget = CHILDREN_MAX;

    private TortureTree(long seed) {
        this.seed = seed;
        this.rnd = new SplittableRandom(seed);
        this.loops = rnd.nextInt(4) == 0 ? 2 : 1;
        this.root = statements(1, new TaskGen(false), false);
        this.plan = plan();
    }

    /** The tree for {@code seed}; the same seed always gives the same tree. */
    static TortureTree generate(long seed) {
        return new TortureTree(seed);
    }

    /** Per-task generation state. */
    private static final class TaskGen {
        /** A child task (it has a Task handle), not the root task. */
        final boolean child;

        TaskGen(boolean child) {
            this.child = child;
        }

        /** After the task interrupts itself, no JDK wait may follow in it (it would consume the interrupt). */
        boolean selfInterrupted;
    }

    private int nextId() {
        return ++idMax;
    }

    private boolean chance(int percent) {
        return rnd.nextInt(100) < percent;
    }

    private List<Node> statements(int depth, TaskGen task, boolean allowEmpty) {
        List<Node> list = new ArrayList<>();
        int n = (allowEmpty ? 0 : 1) + rnd.nextInt(STATEMENTS_MAX);
        for (int i = 0; i < n; i++) {
            Node s = statement(depth, task);
            list.add(s);
            if (s instanceof Fail) {
                break;
            }
        }
        return list;
    }

    private Node statement(int depth, TaskGen task) {
        boolean composite = depth < DEPTH_MAX;
        while (true) {
            int r = rnd.nextInt(100);
            if (r < 11) {
                return new Checkpoint(nextId());
            } else if (r < 21) {
                return new Ping(nextId(), PingKind.values()[rnd.nextInt(PingKind.values().length)]);
            } else if (r < 38) {
                return forever(task, true);
            } else if (r < 42) {
                return new Sleep(nextId(), 5 + 10 * rnd.nextInt(3));
            } else if (r < 47) {
                return new Fail(nextId(), rnd.nextBoolean());
            } else if (r < 50) {
                task.selfInterrupted = true;
                return new SelfInterrupt(nextId(), WaitKind.values()[rnd.nextInt(3)]);
            } else if (r < 68 && composite) {
                return scope(depth, task);
            } else if (r < 82 && composite) {
                return tryBlock(depth, task);
            } else if (r < 100 && composite && childBudget > 0) {
                return nursery(depth, task);
            }
        }
    }

    private Forever forever(TaskGen task, boolean allowJdk) {
        int kinds = task.selfInterrupted || !allowJdk ? 3 : WaitKind.values().length;
        WaitKind kind = WaitKind.values()[rnd.nextInt(kinds)];
        return new Forever(nextId(), kind, kind.jdk && rnd.nextBoolean());
    }

    private Scope scope(int depth, TaskGen task) {
        int id = nextId();
        ScopeKind kind = ScopeKind.values()[rnd.nextInt(ScopeKind.values().length)];
        int ms = switch (kind) {
            case TIMEOUT, SHIELD_TIMEOUT -> 5 + 10 * rnd.nextInt(3);
            case DEADLINE -> -5 + 10 * rnd.nextInt(4); // -5 ms: already past at entry
            default -> 0;
        };
        boolean race = chance(30);
        List<Node> body;
        if (race) {
            // a body that reaches its end by itself, so the racing cancel meets the exit
            body = new ArrayList<>();
            for (int i = rnd.nextInt(3); i > 0; i--) {
                body.add(chance(50) ? new Checkpoint(nextId())
                        : new Ping(nextId(), PingKind.values()[rnd.nextInt(PingKind.values().length)]));
            }
            boolean hold = task.child && chance(50);
            body.add(new RaceExit(id, rnd.nextInt(hold ? RACE_DELAY_NS_MAX / 3 : RACE_DELAY_NS_MAX), hold || chance(25),
                    hold));
            if (chance(40)) {
                body.add(new Checkpoint(nextId()));
            }
        } else {
            body = statements(depth + 1, task, false);
        }
        Scope s = new Scope(id, kind, ms, body, race);
        scopes.add(s);
        return s;
    }

    private Try tryBlock(int depth, TaskGen task) {
        int id = nextId();
        List<Node> body = statements(depth + 1, task, false);
        int scopeId = nextId();
        boolean shield = chance(85);
        int timeout = chance(40) ? 5 + 10 * rnd.nextInt(3) : 0;
        Forever jdk = !task.selfInterrupted && chance(20)
                ? new Forever(nextId(), rnd.nextBoolean() ? WaitKind.JDK_QUEUE_TAKE : WaitKind.JDK_THREAD_SLEEP, true)
                : null;
        List<Node> steps = new ArrayList<>();
        int n = 1 + rnd.nextInt(2);
        for (int i = 0; i < n; i++) {
            int r = rnd.nextInt(100);
            if (r < 35) {
                steps.add(new Ping(nextId(), PingKind.values()[rnd.nextInt(PingKind.values().length)]));
            } else if (r < 55) {
                steps.add(new Checkpoint(nextId()));
            } else if (r < 75) {
                steps.add(new Sleep(nextId(), 5 + 10 * rnd.nextInt(3)));
            } else {
                steps.add(forever(task, false));
            }
        }
        Cleanup c = new Cleanup(scopeId, shield, timeout, jdk, steps);
        cleanups.add(c);
        return new Try(id, body, c);
    }

    private Nursery nursery(int depth, TaskGen task) {
        int id = nextId();
        int k = 1 + rnd.nextInt(Math.min(3, childBudget));
        childBudget -= k;
        List<Child> kids = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            int taskId = nextId();
            Child c = new Child(taskId, loops == 2 && chance(40), statements(depth + 1, new TaskGen(true), false));
            kids.add(c);
            children.add(c);
        }
        // the body runs in the parent task: it shares the parent's generation state
        List<Node> rest = statements(depth + 1, task, true);
        List<Node> body = new ArrayList<>();
        if (chance(70)) {
            for (int i = 0; i < k; i++) {
                body.add(new Spawn(i));
            }
            body.addAll(rest);
        } else {
            body.addAll(rest);
            for (int i = 0; i < k; i++) {
                body.add(rnd.nextInt(body.size() + 1), new Spawn(i));
            }
            // a Fail must stay last
            for (int i = 0; i < body.size() - 1; i++) {
                if (body.get(i) instanceof Fail f) {
                    body.remove(i);
                    body.add(f);
                    break;
                }
            }
        }
        if (chance(35) && !(body.getLast() instanceof Fail)) {
            body.add(new Join(nextId(), rnd.nextInt(k)));
        }
        int deadline = chance(15) ? 5 + 10 * rnd.nextInt(3) : 0;
        Nursery n = new Nursery(id, deadline, kids, body);
        nurseries.add(n);
        return n;
    }

    private List<Event> plan() {
        List<Event> events = new ArrayList<>();
        int n = 1 + rnd.nextInt(5);
        List<Integer> shields = new ArrayList<>();
        for (Scope s : scopes) {
            if (s.kind == ScopeKind.SHIELD || s.kind == ScopeKind.SHIELD_TIMEOUT) {
                shields.add(s.id);
            }
        }
        for (Cleanup c : cleanups) {
            if (c.shield) {
                shields.add(c.scopeId);
            }
        }
        for (int i = 0; i < n; i++) {
            int r = rnd.nextInt(100);
            boolean eager = chance(25);
            int spins = rnd.nextInt(5_000);
            if (r < 30 && !scopes.isEmpty()) {
                events.add(new Event(EventKind.CANCEL, pick(scopes).id, 0, eager, spins));
            } else if (r < 45 && !scopes.isEmpty()) {
                events.add(new Event(EventKind.CANCEL_FROM_TASK, pick(scopes).id, 0, eager, spins));
            } else if (r < 60 && !children.isEmpty()) {
                events.add(new Event(EventKind.CANCEL_TASK, pick(children).taskId, 0, eager, spins));
            } else if (r < 70 && !nurseries.isEmpty()) {
                events.add(new Event(EventKind.CANCEL_NURSERY, pick(nurseries).id, 0, eager, spins));
            } else if (r < 80 && !shields.isEmpty()) {
                events.add(new Event(EventKind.SHIELD_OFF, pick(shields), 0, eager, spins));
            } else {
                events.add(new Event(EventKind.ADVANCE, 0, 10 * (1 + rnd.nextInt(2)), false, 0));
            }
        }
        return events;
    }

    private <T> T pick(List<T> list) {
        return list.get(rnd.nextInt(list.size()));
    }

    // ---------------------------------------------------------------- printing

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append("tree seed=").append(seed).append(" loops=").append(loops).append('\n');
        sb.append("  R0 {\n");
        print(sb, root, 2);
        sb.append("  }\n");
        sb.append("  plan: ").append(plan).append(" then cancel R0, then every open scope\n");
        return sb.toString();
    }

    private static void print(StringBuilder sb, List<Node> list, int indent) {
        for (Node n : list) {
            print(sb, n, indent);
        }
    }

    private static void line(StringBuilder sb, int indent, String s) {
        sb.append("  ".repeat(indent)).append(s).append('\n');
    }

    private static void print(StringBuilder sb, Node node, int in) {
        switch (node) {
            case Checkpoint c -> line(sb, in, "checkpoint #" + c.id);
            case Ping p -> line(sb, in, "ping " + p.kind + " #" + p.id);
            case Forever f -> line(sb, in, "forever " + f.kind + (f.kind.jdk ? (f.swallow ? " swallow" : " propagate") : "")
                    + " #" + f.id);
            case Sleep s -> line(sb, in, "sleep " + s.ms + "ms #" + s.id);
            case Fail f -> line(sb, in, "fail X" + f.id + (f.checked ? " (checked)" : ""));
            case SelfInterrupt s -> line(sb, in, "self-interrupt then forever " + s.kind + " #" + s.id);
            case RaceExit r -> line(sb, in, "race-exit of S" + r.scopeId + " (cancel " + r.delayNs + " ns after "
                    + (r.early ? "the racer starts" : "the body ends") + (r.hold ? ", Task handle's monitor held" : "")
                    + ")");
            case Spawn s -> line(sb, in, "spawn child " + s.index);
            case Join j -> line(sb, in, "join child " + j.index + " #" + j.id);
            case Scope s -> {
                String k = switch (s.kind) {
                    case PLAIN -> "";
                    case SHIELD -> " shield";
                    case TIMEOUT -> " timeout " + s.ms + "ms";
                    case DEADLINE -> " deadline origin" + (s.ms >= 0 ? "+" : "") + s.ms + "ms";
                    case PRE_CANCELLED -> " pre-cancelled";
                    case SHIELD_TIMEOUT -> " shield timeout " + s.ms + "ms";
                };
                line(sb, in, "S" + s.id + k + " {");
                print(sb, s.body, in + 1);
                line(sb, in, "}");
            }
            case Try t -> {
                line(sb, in, "try F" + t.id + " {");
                print(sb, t.body, in + 1);
                Cleanup c = t.cleanup;
                line(sb, in, "} finally {");
                if (c.unshieldedJdk != null) {
                    print(sb, c.unshieldedJdk, in + 1);
                }
                line(sb, in + 1, "S" + c.scopeId + (c.shield ? " shield" : "")
                        + (c.timeoutMs > 0 ? " timeout " + c.timeoutMs + "ms" : "") + " {");
                print(sb, c.steps, in + 2);
                line(sb, in + 1, "}");
                line(sb, in, "}");
            }
            case Nursery n -> {
                line(sb, in, "N" + n.id + (n.deadlineMs > 0 ? " deadline +" + n.deadlineMs + "ms" : "") + " {");
                for (int i = 0; i < n.children.size(); i++) {
                    Child c = n.children.get(i);
                    line(sb, in + 1, "child " + i + " = T" + c.taskId + (c.otherLoop ? " on loop 1" : "") + " {");
                    print(sb, c.body, in + 2);
                    line(sb, in + 1, "}");
                }
                line(sb, in + 1, "body {");
                print(sb, n.body, in + 2);
                line(sb, in + 1, "}");
                line(sb, in, "}");
            }
        }
    }
}
