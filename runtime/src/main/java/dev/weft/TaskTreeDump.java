package dev.weft;

import dev.weft.internal.loop.Scheduler;
import dev.weft.internal.task.TaskHandle;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Both forms of the task-tree dump: the text of {@link Weft#dump()} ({@link #writeText}) and the JSON of
 * {@link Weft#dumpJson()} ({@link #write}). The JSON form is a superset of the JDK's thread dump ({@code jcmd PID Thread.dump_to_file
 * -format=json}), so a tool that reads one reads the other. The JDK's {@code threadDump} object with its
 * {@code threadContainers} list: one container for the runtime (parent {@code <root>}) holding the root task, and
 * one per cancel scope and task scope (parent: the enclosing scope's container; owner: the task that entered it),
 * whose {@code threads} are the tasks spawned into it. Each thread and container has a {@code weft} object with
 * what the JDK cannot show: the task's state, loop, where it waits, its innermost cancel state, its budget; each
 * scope's kind, name, cancel state and reason, shield, deadline.
 *
 * <p>Folding: sibling tasks whose whole subtrees are identical (name if given, state, stack, scopes and their cancel
 * state, budget, children, recursively) are written once, with {@code "count": N} in their {@code weft} object,
 * as IntelliJ's coroutine dump writes {@code [xN]}; {@code threadCount} still counts every task. The text form folds
 * the same siblings (the same shapes) into one line ending in {@code [xN]}, its subtree written once below it. Deadlines and
 * task ids are not part of the identity (deadlines differ by nanoseconds between tasks started in a loop): a folded
 * entry shows the first task's.
 *
 * <p>Implementation overview. One pass builds a node per scope and task and gives each a shape number bottom-up
 * (the node's own identity fields plus its children's shapes and counts, interned in one map), then one pass
 * writes the JSON straight into the output, folding siblings by shape. No intermediate maps of fields; frame
 * strings and the machinery test are cached per dump.
 *
 * <p>Limits: scopes nested deeper than {@link #DEPTH_MAX} are written as one {@code truncated} container. The dump
 * reads the tree while it changes: a task may end or a scope exit while it is written (each scope's children are a
 * snapshot under its lock); a task's context and stack are read racily (immutable snapshots, or the JDK's).
 */
final class TaskTreeDump {
    /** Scope nesting written in full; deeper subtrees are summarized. */
    static final int DEPTH_MAX = 1_000;

    private final RuntimeImpl runtime;
    private final boolean stacks;
    private final long nowNs;
    private final Map<String, Integer> shapes = new HashMap<>();
    private final Map<StackTraceElement, String> frames = new HashMap<>();
    private final Map<String, Boolean> machinery = new HashMap<>();
    private final StringBuilder key = new StringBuilder();
    private int containerSeq;

    private TaskTreeDump(RuntimeImpl runtime, boolean stacks) {
        this.runtime = runtime;
        this.stacks = stacks;
        this.nowNs = runtime.timers().nanoTime();
    }

    /** One scope or task of the tree. Built and read by the dumping thread only. */
    private static final class Node {
        final CancelScopeImpl scope;
        final TaskImpl<?> task; // non-null for a task's root scope
        final List<Node> children = new ArrayList<>();
        StackTraceElement[] stack;
        String waitingAt;
        Thread.State threadState;
        TaskState taskState;
        String budget; // JSON object, or null
        String head; // a task's thread state and kind, as JSON members
        String stackJson; // a task's stack, as a JSON array: one string per distinct stack in the dump
        int stackId; // the number of that distinct stack
        String own; // the weft object: the identity fields other than the stack, as JSON
        int shape;
        boolean truncated;

        Node(CancelScopeImpl scope, TaskImpl<?> task) {
            this.scope = scope;
            this.task = task;
        }
    }

    /**
     * Appends the text dump of {@code rt}'s task tree (below the header the caller wrote) to {@code sb}: one line per
     * scope and task, indented by depth; sibling tasks with identical subtrees (the same shapes as the JSON form's)
     * on one line ending in {@code [xN]}, their subtree written once.
     */
    static void writeText(RuntimeImpl rt, StringBuilder sb) {
        TaskTreeDump d = new TaskTreeDump(rt, true);
        TaskImpl<?> root = rt.root();
        if (root != null) {
            d.emitText(sb, d.build(root.rootCancel, 0), 0, 1);
        }
    }

    /** Writes the JSON dump of {@code rt} to {@code out}. */
    static void write(RuntimeImpl rt, Appendable out, boolean stacks) {
        TaskTreeDump d = new TaskTreeDump(rt, stacks);
        TaskImpl<?> root = rt.root();
        Node top = root == null ? null : d.build(root.rootCancel, 0);
        StringBuilder sb = out instanceof StringBuilder b ? b : new StringBuilder(1 << 16);
        d.emitDocument(sb, top);
        if (sb != out) {
            try {
                out.append(sb);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write the Weft dump: " + e.getMessage(), e);
            }
        }
    }

    // ---------------------------------------------------------------- pass 1: nodes and shapes

    private Node build(CancelScopeImpl s, int depth) {
        TaskImpl<?> t = s.kind == CancelScopeImpl.KIND_TASK_ROOT && s.subject instanceof TaskImpl<?> ti ? ti : null;
        Node n = new Node(s, t);
        if (t != null) {
            describeTask(n, t);
        }
        if (depth >= DEPTH_MAX) {
            n.truncated = true;
        } else {
            for (CancelScopeImpl c : s.children()) {
                n.children.add(build(c, depth + 1));
            }
        }
        n.own = ownJson(n);
        key.setLength(0);
        if (t != null) {
            if (t.givenName() != null) {
                key.append(t.givenName()).append('|'); // a given name is identity; a default one (task-17) is not
            }
            stackOf(n);
            key.append(n.head).append("|s").append(n.stackId).append('|');
        }
        key.append(n.own).append(n.truncated ? "T[" : "[");
        appendChildShapes(key, n.children);
        key.append(']');
        String k = key.toString();
        Integer shape = shapes.get(k);
        if (shape == null) {
            shape = shapes.size();
            shapes.put(k, shape);
        }
        n.shape = shape;
        return n;
    }

    /** The children's shapes with their counts, in a canonical order: siblings are folded whatever their order. */
    private static void appendChildShapes(StringBuilder sb, List<Node> children) {
        if (children.isEmpty()) {
            return;
        }
        int[] sorted = new int[children.size()];
        for (int i = 0; i < sorted.length; i++) {
            sorted[i] = children.get(i).shape;
        }
        java.util.Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; ) {
            int j = i;
            while (j < sorted.length && sorted[j] == sorted[i]) {
                j++;
            }
            sb.append(sorted[i]).append('x').append(j - i).append(',');
            i = j;
        }
    }

    private void describeTask(Node n, TaskImpl<?> t) {
        n.taskState = t.state();
        Thread th = t.thread();
        if (th == null || n.taskState != TaskState.RUNNING) {
            return;
        }
        n.threadState = th.getState();
        if (stacks) {
            StackTraceElement[] st = th.getStackTrace();
            n.stack = st;
            for (StackTraceElement e : st) {
                if (!isMachinery(e)) {
                    n.waitingAt = frame(e);
                    break;
                }
            }
        }
        n.budget = budgetOf(t);
    }

    private String frame(StackTraceElement e) {
        String s = frames.get(e);
        if (s == null) {
            s = e.toString();
            frames.put(e, s);
        }
        return s;
    }

    private boolean isMachinery(StackTraceElement e) {
        Boolean m = machinery.get(e.getClassName());
        if (m == null) {
            m = RuntimeImpl.isMachineryFrame(e);
            machinery.put(e.getClassName(), m);
        }
        return m;
    }

    /** The task's context values that describe themselves for dumps (a memory budget), as one JSON object. */
    private static String budgetOf(TaskImpl<?> t) {
        ContextMap ctx = t.context; // an immutable snapshot, read racily from the dumping thread
        if (ctx == null) {
            return null;
        }
        StringBuilder sb = null;
        for (int i = 0; i < ctx.size(); i++) {
            Object v = ctx.valueAt(i);
            if (v instanceof TaskHandle.DumpValue dv) {
                if (sb == null) {
                    sb = new StringBuilder();
                } else {
                    sb.append(',');
                }
                str(sb, dv.dumpKey()).append(':');
                dv.dumpJson(sb);
            }
        }
        return sb == null ? null : sb.toString();
    }

    /** A stack as a key: equal when every frame is. */
    private record StackKey(StackTraceElement[] frames) {
        @Override
        public boolean equals(Object o) {
            return o instanceof StackKey k && java.util.Arrays.equals(frames, k.frames);
        }

        @Override
        public int hashCode() {
            return java.util.Arrays.hashCode(frames);
        }
    }

    private static final StackTraceElement[] NO_FRAMES = new StackTraceElement[0];

    /** Distinct stacks of this dump, each with its JSON array and number. */
    private final Map<StackKey, Node> stackJsons = new HashMap<>();

    /**
     * Sets a task node's head, and its stack's JSON and number, shared with every task of the same stack: a
     * hundred thousand parked tasks have a few distinct stacks, written (and compared) once each.
     */
    private void stackOf(Node n) {
        n.head = n.threadState == null ? "\"state\":\"TERMINATED\",\"virtual\":true"
                : "\"state\":\"" + n.threadState.name() + "\",\"virtual\":true";
        StackKey k = new StackKey(n.stack == null ? NO_FRAMES : n.stack);
        Node first = stackJsons.get(k);
        if (first == null) {
            StringBuilder sb = new StringBuilder(64 + 80 * k.frames.length).append('[');
            for (int i = 0; i < k.frames.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                str(sb, frame(k.frames[i]));
            }
            n.stackJson = sb.append(']').toString();
            n.stackId = stackJsons.size();
            stackJsons.put(k, n);
        } else {
            n.stackJson = first.stackJson;
            n.stackId = first.stackId;
        }
    }

    /** A node's weft object: its identity fields but the stack, as JSON (folding compares it, with the stack's id). */
    private String ownJson(Node n) {
        StringBuilder sb = new StringBuilder(128);
        CancelScopeImpl s = n.scope;
        if (n.task != null) {
            TaskImpl<?> t = n.task;
            sb.append("\"weft\":{\"taskState\":");
            str(sb, n.taskState.name());
            Scheduler on = t.scheduler;
            sb.append(",\"loop\":");
            str(sb, on == null ? null : on.name());
            if (n.waitingAt != null) {
                sb.append(",\"waitingAt\":");
                str(sb, n.waitingAt);
            }
            CancelScopeImpl visible = t.visibleCancel();
            if (visible != null) {
                sb.append(",\"cancelled\":{\"scope\":");
                str(sb, visible.name());
                sb.append(",\"reason\":");
                str(sb, visible.reason == null ? null : visible.reason.name());
                sb.append('}');
            }
            scopeFields(sb.append(','), s, false);
            if (n.budget != null) {
                sb.append(',').append(n.budget);
            }
            sb.append('}');
        } else {
            sb.append("\"weft\":{");
            scopeFields(sb, s, true);
            sb.append('}');
        }
        return sb.toString();
    }

    /** A scope's kind, name, cancel state, shield and whether it has a deadline (the deadline itself is not identity). */
    private static void scopeFields(StringBuilder sb, CancelScopeImpl s, boolean withName) {
        sb.append("\"kind\":");
        str(sb, s.kindName());
        if (withName) {
            sb.append(",\"name\":");
            str(sb, s.name());
        }
        CancelReason r = s.reason;
        sb.append(",\"cancelState\":");
        str(sb, r == null ? "ENTERED" : "CANCELLED");
        if (r != null) {
            sb.append(",\"reason\":");
            str(sb, r.name());
        }
        sb.append(",\"shield\":").append(s.isShield());
        sb.append(",\"hasDeadline\":").append(s.deadlineNs() != CancelScopeImpl.NO_DEADLINE);
    }

    // ---------------------------------------------------------------- pass 2: the text form

    /** Frames shown on a task's line: where it waits, and its callers. */
    static final int TEXT_FRAMES_MAX = 3;

    private void emitText(StringBuilder sb, Node n, int depth, int count) {
        for (int i = 0; i < depth; i++) {
            sb.append("  ");
        }
        CancelScopeImpl s = n.scope;
        if (n.task != null) {
            TaskImpl<?> t = n.task;
            sb.append("task '").append(t.name()).append("' ").append(n.taskState);
            Scheduler on = t.scheduler;
            sb.append(" on ").append(on == null ? "?" : on.name());
            if (n.threadState != null) {
                sb.append(" thread=").append(n.threadState);
                int shown = 0;
                for (int i = 0; n.stack != null && i < n.stack.length && shown < TEXT_FRAMES_MAX; i++) {
                    if (!isMachinery(n.stack[i])) {
                        sb.append(shown == 0 ? " at " : " < ").append(frame(n.stack[i]));
                        shown++;
                    }
                }
            }
            CancelReason r = s.reason;
            if (r != null) {
                sb.append(" CANCELLED(").append(r).append(')');
            }
        } else {
            sb.append(s.describe(nowNs));
        }
        if (count > 1) {
            sb.append(" [x").append(count).append(']');
        }
        if (n.truncated) {
            sb.append(" (nested deeper than ").append(DEPTH_MAX).append(" scopes: not shown)");
        }
        sb.append('\n');
        Map<Integer, int[]> counts = shapeCounts(n.children);
        for (Node c : n.children) {
            if (c.task == null) {
                emitText(sb, c, depth + 1, 1);
                continue;
            }
            int[] g = counts == null ? null : counts.get(c.shape);
            if (g == null) {
                emitText(sb, c, depth + 1, 1); // an only task child
            } else if (g[0] > 0) { // the first of its shape among these siblings
                emitText(sb, c, depth + 1, g[0]);
                g[0] = 0;
            }
        }
    }

    /** How many of {@code children} (tasks only) have each shape; null if fewer than two tasks (nothing to fold). */
    private static Map<Integer, int[]> shapeCounts(List<Node> children) {
        if (children.size() < 2) {
            return null;
        }
        Map<Integer, int[]> counts = new HashMap<>();
        for (Node c : children) {
            if (c.task != null) {
                counts.computeIfAbsent(c.shape, k -> new int[1])[0]++;
            }
        }
        return counts;
    }

    // ---------------------------------------------------------------- pass 2: the document

    private void emitDocument(StringBuilder sb, Node top) {
        sb.append("{\"threadDump\":{\"processId\":");
        str(sb, Long.toString(ProcessHandle.current().pid()));
        sb.append(",\"time\":");
        str(sb, Instant.now().toString());
        sb.append(",\"runtimeVersion\":");
        str(sb, Runtime.version().toString());
        sb.append(",\"threadContainers\":[");
        String rtName = "weft/" + runtime.config().name();
        sb.append("{\"container\":");
        str(sb, rtName);
        sb.append(",\"parent\":\"<root>\",\"owner\":null,\"threads\":[");
        if (top != null) {
            emitThread(sb, top, 1);
        }
        sb.append("],\"threadCount\":\"").append(top == null ? 0 : 1).append("\",\"weft\":{\"runtime\":");
        str(sb, runtime.config().name());
        sb.append(",\"loops\":[");
        runtime.describeLoops(sb);
        sb.append("]}}");
        if (top != null) {
            emitContainersBelowTask(sb, top, rtName);
        }
        sb.append("]}}\n");
    }

    private void emitThread(StringBuilder sb, Node n, int count) {
        TaskImpl<?> t = n.task;
        Thread th = t.thread();
        sb.append("{\"tid\":");
        str(sb, th == null ? "0" : Long.toString(th.threadId()));
        sb.append(",\"name\":");
        str(sb, t.name());
        sb.append(',').append(n.head).append(",\"stack\":").append(n.stackJson);
        sb.append(',').append(n.own, 0, n.own.length() - 1); // the weft object stays open for the fields below
        sb.append(",\"task\":");
        str(sb, t.name());
        sb.append(",\"taskId\":").append(t.id());
        deadline(sb, n.scope);
        if (count > 1) {
            sb.append(",\"count\":").append(count);
        }
        sb.append("}}");
    }

    private void deadline(StringBuilder sb, CancelScopeImpl s) {
        long d = s.deadlineNs();
        if (d != CancelScopeImpl.NO_DEADLINE) {
            sb.append(",\"deadlineInNs\":").append(d - nowNs);
        }
    }

    /** The containers for the scopes the task entered (its root scope's children), then theirs. */
    private void emitContainersBelowTask(StringBuilder sb, Node task, String parent) {
        for (Node c : task.children) {
            if (c.task == null) {
                emitContainer(sb, c, parent);
            }
        }
    }

    private void emitContainer(StringBuilder sb, Node scope, String parent) {
        TaskImpl<?> ownerTask = scope.scope.owner;
        String owner = ownerTask == null ? null : tidOf(ownerTask);
        String name = "weft/" + scope.scope.kindName() + "/" + scope.scope.name() + "#" + (++containerSeq);
        sb.append(",{\"container\":");
        str(sb, name);
        sb.append(",\"parent\":");
        str(sb, parent);
        sb.append(",\"owner\":");
        str(sb, owner);
        sb.append(",\"threads\":[");
        // fold the tasks in this scope by shape, in first-appearance order
        LinkedHashMap<Integer, int[]> groups = new LinkedHashMap<>();
        List<Node> firsts = new ArrayList<>();
        int tasks = 0;
        for (Node c : scope.children) {
            if (c.task == null) {
                continue;
            }
            tasks++;
            int[] g = groups.get(c.shape);
            if (g == null) {
                groups.put(c.shape, new int[] {1});
                firsts.add(c);
            } else {
                g[0]++;
            }
        }
        boolean first = true;
        for (Node c : firsts) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            emitThread(sb, c, groups.get(c.shape)[0]);
        }
        sb.append("],\"threadCount\":\"").append(tasks).append("\",");
        sb.append(scope.own, 0, scope.own.length() - 1);
        deadline(sb, scope.scope);
        if (scope.truncated) {
            sb.append(",\"truncated\":\"nested deeper than ").append(DEPTH_MAX).append(" scopes\"");
        }
        sb.append("}}");
        for (Node c : scope.children) {
            if (c.task == null) {
                emitContainer(sb, c, name); // a scope nested in this one, by the same owner
            }
        }
        for (Node c : firsts) {
            emitContainersBelowTask(sb, c, name);
        }
    }

    private static String tidOf(TaskImpl<?> t) {
        Thread th = t.thread();
        return th == null ? null : Long.toString(th.threadId());
    }

    /** Appends {@code s} as a JSON string (or null). */
    static StringBuilder str(StringBuilder sb, String s) {
        if (s == null) {
            return sb.append("null");
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"');
    }
}
