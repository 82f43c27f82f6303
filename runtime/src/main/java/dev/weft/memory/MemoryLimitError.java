package dev.weft.memory;

import dev.weft.internal.budget.ByteSizes;
import dev.weft.internal.budget.OutOfMemoryKind;

/**
 * The application-level memory error: a task asked for more memory than its budget allows, or the heap
 * watchdog found the live heap above the soft limit and blamed this task, or the JVM ran out of heap inside
 * it. Unlike {@link OutOfMemoryError}, it lands in the task that caused it, while there is still memory for
 * its cleanup: the task is lent a grace allowance above the limit until its scope exits.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=memory-limit-error}
 *
 * <h2>Kinds</h2>
 * <ul>
 * <li>{@link Kind#SOFT_LIMIT}: {@link MemoryBudget#reserve} would cross a soft limit (or a fault-injecting
 *     budget refused at random). Nothing was reserved; grace is lent.
 * <li>{@link Kind#GRACE_EXHAUSTED}: a task already in grace overran the limit plus its grace. It fails
 *     hard: the task is cancelled (reason {@link dev.weft.CancelReason#MEMORY}) so the rest of its cleanup
 *     stops at the next cancellation point.
 * <li>{@link Kind#HEAP}: raised by {@link HeapWatchdog} in the task that allocated the most; it arrives as
 *     {@link dev.weft.Cancelled} (reason MEMORY, cause this error) at the task's next cancellation point,
 *     or as this error at its next reservation that reaches a limit, and the task then fails with this error.
 * <li>{@link Kind#OUT_OF_MEMORY}: a real {@link OutOfMemoryError} escaped a task's body; the task fails
 *     with this error (the original as cause), its scope sees it, other tasks keep running. The message says
 *     what ran out (the Java heap, direct buffer memory, metaspace, native threads) and the fix for it.
 * </ul>
 *
 * <h2>Structured concurrency</h2>
 * It is a failure like any other: in {@link dev.weft.TaskScope#run} it cancels the siblings, with reason
 * {@link dev.weft.CancelReason#MEMORY}, and {@code run} rethrows it.
 *
 * <h2>Thread safety</h2>
 * Immutable once published, apart from {@link Throwable}'s own state. The message is rendered from the fields on
 * each {@link #getMessage()}.
 */
public final class MemoryLimitError extends Error {
    private static final long serialVersionUID = 1L;

    /** What raised the error. */
    public enum Kind {
        /** A reservation would cross a budget's soft limit. */
        SOFT_LIMIT,
        /** A task in grace overran the limit plus the grace. */
        GRACE_EXHAUSTED,
        /** The live heap after GC stayed above the soft limit ({@link HeapWatchdog}). */
        HEAP,
        /** A real {@link OutOfMemoryError}, contained to the task. */
        OUT_OF_MEMORY
    }

    // Written once before the error is published: by the constructor, or by {@link #fill} on a spare, by the thread
    // that takes it; read by any thread after that (a task's end, a cancellation, the watchdog's statistics).
    private Kind kind;
    private String budgetName;
    private long limitBytesSoft;
    private long graceBytes;
    private long requestedBytes;
    private long usedBytes;
    private String taskName;
    private String note;
    /** The cause of a spare (whose {@link Throwable} cause is fixed at null), or null. Written as the fields. */
    private Throwable spareCause;

    /**
     * Creates the error; the message is derived from the fields ({@code note}, if non-null, is appended).
     * Weft raises it; applications that keep their own accounts may raise it too.
     */
    public MemoryLimitError(Kind kind, String budgetName, long limitBytesSoft, long graceBytes,
            long requestedBytes, long usedBytes, String taskName, String note, Throwable cause) {
        super(null, cause);
        this.kind = kind;
        this.budgetName = budgetName;
        this.limitBytesSoft = limitBytesSoft;
        this.graceBytes = graceBytes;
        this.requestedBytes = requestedBytes;
        this.usedBytes = usedBytes;
        this.taskName = taskName;
        this.note = note;
        this.shared = false;
    }

    /**
     * A spare, made while memory is plentiful for the containment path, which must not allocate: no stack trace
     * (the cause, the real {@link OutOfMemoryError}, has the one that matters), its fields set by {@link #fill}
     * when it is taken. Suppression stays enabled: a scope that rethrows it may add the failures of others.
     */
    MemoryLimitError() {
        this(false);
    }

    /**
     * A spare ({@code shared} false), or the one error shared by every task when no spare is left and none can be
     * made ({@code shared}): its suppression is off, so tasks that share it do not pile up in it.
     */
    MemoryLimitError(boolean shared) {
        super(null, null, !shared, false);
        this.kind = Kind.OUT_OF_MEMORY;
        this.budgetName = "heap";
        this.shared = shared;
    }

    /** Whether this is the error shared by tasks when none of their own could be made. Immutable. */
    private final boolean shared;

    /** Sets a spare's fields; allocates nothing. The taking thread, before it publishes the error. */
    MemoryLimitError fill(Kind kind, long limitBytesSoft, long graceBytes, long requestedBytes, long usedBytes,
            String taskName, Throwable cause) {
        this.kind = kind;
        this.budgetName = "heap";
        this.limitBytesSoft = limitBytesSoft;
        this.graceBytes = graceBytes;
        this.requestedBytes = requestedBytes;
        this.usedBytes = usedBytes;
        this.taskName = taskName;
        this.spareCause = cause;
        return this;
    }

    /**
     * The message, rendered from the fields when asked (a report, a log line): making the error allocates no
     * text, so it can be made while the heap is full.
     */
    @Override
    public String getMessage() {
        if (shared) {
            return "the JVM ran out of memory in a Weft task, and no memory was left to make that task's own error:"
                    + " which task, and the figures, are unknown; Weft contained it to that task and released the"
                    + " emergency reserve; bound what the tasks hold with a MemoryBudget, or raise the heap";
        }
        return message(kind, budgetName, limitBytesSoft, graceBytes, requestedBytes, usedBytes, taskName, note,
                getCause());
    }

    @Override
    public Throwable getCause() {
        return spareCause != null ? spareCause : super.getCause();
    }

    private static String message(Kind kind, String budget, long limit, long grace, long asked, long used,
            String task, String note, Throwable cause) {
        String t = task == null ? "a thread outside Weft" : "task '" + task + "'";
        String m = switch (kind) {
            case SOFT_LIMIT -> "memory budget '" + budget + "' refused " + ByteSizes.format(asked) + " to " + t
                    + ": " + ByteSizes.format(used) + " of its " + ByteSizes.format(limit) + " soft limit in use; "
                    + (task == null ? "no grace is lent outside a Weft task (there is no scope whose exit would end"
                            + " it), so cleanup gets none; "
                            : "the task may use " + ByteSizes.format(grace)
                            + " of grace above the limit for its cleanup until its scope exits; ")
                    + "release what it holds, reserve less, or raise the limit (MemoryBudget.setLimitBytesSoft)";
            case GRACE_EXHAUSTED -> "memory budget '" + budget + "' refused " + ByteSizes.format(asked) + " to " + t
                    + " during its cleanup: " + ByteSizes.format(used) + " in use and the soft limit "
                    + ByteSizes.format(limit) + " plus the grace " + ByteSizes.format(grace)
                    + " is exhausted; the task fails hard (it is cancelled); make its cleanup allocate less or"
                    + " raise the grace (MemoryBudget.setGraceBytes)";
            case HEAP -> "live heap after a full collection (" + ByteSizes.format(used) + ") stays above the soft limit "
                    + ByteSizes.format(limit) + "; " + t + " allocated the most since the last check ("
                    + ByteSizes.format(asked) + "), so it gets the memory error and " + ByteSizes.format(grace)
                    + " of grace for its cleanup; bound what it holds with a MemoryBudget, or raise the soft limit";
            case OUT_OF_MEMORY -> {
                OutOfMemoryKind k = cause instanceof OutOfMemoryError oom ? OutOfMemoryKind.of(oom)
                        : OutOfMemoryKind.JAVA_HEAP;
                // "X of heap in use" alone read as the heap when it ran out; it is measured once the task's body
                // ended, when what the task held may already be garbage or collected
                yield "the JVM ran out of " + k.what() + " in " + t + " (" + ByteSizes.format(used)
                        + " of heap in use when its body had ended, soft limit " + ByteSizes.format(limit) + (cause == null ? "" : ", " + cause)
                        + "); Weft contained it to this task and released the emergency reserve for its cleanup; "
                        + k.fix();
            }
        };
        return note == null ? m : m + " " + note;
    }

    /** What raised the error. */
    public Kind kind() {
        return kind;
    }

    /** The budget that refused ({@code "heap"} for the watchdog and real heap exhaustion). */
    public String budgetName() {
        return budgetName;
    }

    /** The soft limit that was crossed, in bytes. */
    public long limitBytesSoft() {
        return limitBytesSoft;
    }

    /** The grace lent above the limit for cleanup, in bytes. */
    public long graceBytes() {
        return graceBytes;
    }

    /** The amount asked for (for {@link Kind#HEAP}: what the task allocated since the last check). */
    public long requestedBytes() {
        return requestedBytes;
    }

    /**
     * The amount in use when the error was raised (for {@link Kind#HEAP}: the live heap after the full collection that
     * decided; for {@link Kind#OUT_OF_MEMORY}: the heap in use once the task's body had ended, when what it held may
     * already be garbage).
     */
    public long usedBytes() {
        return usedBytes;
    }

    /** The task the error was raised in, or null outside a Weft task. */
    public String taskName() {
        return taskName;
    }
}
