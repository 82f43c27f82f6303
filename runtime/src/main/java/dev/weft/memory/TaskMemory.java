package dev.weft.memory;

import dev.weft.internal.event.Jfr;
import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.internal.budget.HeapMonitor;
import dev.weft.internal.loop.CarrierSlot;
import dev.weft.internal.task.TaskExtension;
import dev.weft.internal.task.TaskHandle;
import dev.weft.internal.task.TaskHooks;

/**
 * One task's memory state: the grace it was lent, and a memory error the watchdog raised in it. Created on
 * first use and kept in the task's attachment slot ({@link TaskHandle#attachment()}). Memory budgets see tasks
 * only through {@code dev.weft.internal.task}, and the runtime reaches memory only through {@link #EXTENSION},
 * which this class {@linkplain #install() registers} when memory is first used (a budget made, the watchdog
 * installed, a task's state made): from then on a real {@link OutOfMemoryError} in a task is contained too.
 *
 * <p>Grace. When a reservation crosses a soft limit, the budget refuses it, raises
 * {@link MemoryLimitError} and {@linkplain #grantGrace lends} the task its grace on that budget: until the
 * grace ends, the task's reservations on that budget may go up to the limit plus the grace. The grace ends
 * when the innermost {@code TaskScope} that was open in the task when the error was raised exits
 * ({@link #onTaskScopeExit}), or when the task ends if none was open ({@link #onTaskEnd}).
 *
 * <p>State table (grace; task thread only):
 * <pre>
 *   no grace   --refusal-->        in grace (lenders, scope)
 *   in grace   --overrun-->        overrun (every further reservation of the task refused, task cancelled)
 *   in grace | overrun --scope exit or task end--> no grace (lenders repaid)
 * </pre>
 *
 * <h2>Thread safety</h2>
 * Grace fields are written and read by the task's own thread; {@link #pending} by any thread.
 */
final class TaskMemory implements TaskHandle.Attachment {

    /** A budget that lends grace; repaid when the grace ends. */
    interface GraceLender {
        /** Called once per grant when the grace ends. Any thread. */
        void repayGrace();
    }

    /** What the runtime tells memory budgets about tasks. */
    private static final TaskExtension EXTENSION = new TaskExtension() {
        @Override
        public Throwable taskEnded(TaskHandle task, Throwable failure, Throwable cancelled) {
            return onTaskEnd(task, task.attachment() instanceof TaskMemory m ? m : null, failure, cancelled);
        }

        @Override
        public void taskScopeExited(TaskHandle task, TaskHandle.Scope scope) {
            if (task.attachment() instanceof TaskMemory m) {
                m.onTaskScopeExit(scope);
            }
        }

        @Override
        public boolean isMemoryFailure(Throwable failure) {
            return failure instanceof MemoryLimitError;
        }

        @Override
        public void outOfMemory() {
            HeapMonitor.releaseReserve();
        }

        @Override
        public String toString() {
            return "memory budgets";
        }
    };

    /** The last memory error raised or contained in the process, or null. Any thread. */
    private static volatile MemoryLimitError lastError;

    /** Registers memory budgets with the runtime's task hooks; idempotent, cheap after the first call. */
    static void install() {
        if (TaskHooks.extension() != EXTENSION) {
            refillSpares(); // while memory is plentiful: the containment path takes them
            TaskHooks.install(EXTENSION);
        }
    }

    /** The current task's state (created on first use), or null outside a Weft task. */
    static TaskMemory current() {
        TaskHandle t = TaskHooks.currentTask();
        return t == null ? null : of(t);
    }

    /** The slot of the loop the current Weft task runs on, or null (not a task, or not on a loop). */
    static CarrierSlot currentCarrierSlot() {
        TaskHandle t = TaskHooks.currentTask();
        return t == null ? null : t.mountedCarrierSlot();
    }

    /** The state of {@code task}, created on first use. Any thread. */
    static TaskMemory of(TaskHandle task) {
        if (task.attachment() instanceof TaskMemory m) {
            return m;
        }
        install(); // before the first attachment: the runtime tells the extension of tasks that have one
        return (TaskMemory) task.attachIfAbsent(new TaskMemory(task));
    }

    private static final GraceLender[] NONE = new GraceLender[0];

    private final TaskHandle task;
    /** Budgets that lent grace. Task thread only. */
    private GraceLender[] lenders = NONE;
    /** Number of used entries in lenders. Task thread only. */
    private int lenderCount;
    /** The TaskScope whose exit ends the grace, or null (task end). Task thread only. */
    private TaskHandle.Scope graceScope;
    /** The task overran its grace. Task thread only. */
    private boolean overrun;
    /**
     * The first grace overrun of the task, kept until it ends (the grace itself may end before): the task fails with
     * it, or its failure carries it. Task thread only.
     */
    private MemoryLimitError graceError;
    /** A memory error the watchdog raised in this task, or null. Written by the watchdog, read by the task. */
    private volatile MemoryLimitError pending;
    /** Whether {@link #pending} was already thrown from a reservation. Task thread only. */
    private boolean pendingDelivered;

    private TaskMemory(TaskHandle task) {
        this.task = task;
    }

    /** The task's name. */
    String taskName() {
        return task.name();
    }

    /** Whether the task may use {@code lender}'s grace now (lent by it, or by the watchdog for any budget). */
    boolean inGrace(GraceLender lender) {
        if (pending != null) {
            return true;
        }
        for (int i = 0; i < lenderCount; i++) {
            if (lenders[i] == lender) {
                return true;
            }
        }
        return false;
    }

    /** Whether the task holds any grace. */
    boolean inGrace() {
        return lenderCount > 0 || pending != null;
    }

    /** Records that {@code lender} lent grace; the first grant fixes the scope whose exit ends it. Task thread. */
    void grantGrace(GraceLender lender) {
        if (lenderCount == 0) {
            graceScope = task.innermostTaskScope();
        }
        if (lenderCount == lenders.length) {
            lenders = java.util.Arrays.copyOf(lenders, Math.max(2, lenders.length * 2));
        }
        lenders[lenderCount++] = lender;
    }

    /** Marks the grace overrun and cancels the task (it fails hard). */
    void overrun(MemoryLimitError e) {
        overrun = true;
        if (graceError == null) {
            graceError = e;
        }
        task.cancelForMemory(e);
    }

    /** Whether the task overran its grace; its further reservations are refused at once. */
    boolean isOverrun() {
        return overrun;
    }

    /**
     * Raises {@code e} in the task asynchronously (the watchdog): lends grace on every budget until the task
     * ends, and cancels it (reason MEMORY, cause {@code e}). Returns false if an error is already pending.
     */
    boolean raise(MemoryLimitError e) {
        synchronized (this) {
            if (pending != null) {
                return false;
            }
            pending = e;
        }
        task.cancelForMemory(e);
        return true;
    }

    /** Whether the watchdog raised an error in this task. */
    boolean isRaised() {
        return pending != null;
    }

    /** The watchdog's error if not yet thrown from a reservation (then marked thrown), else null. Task thread. */
    MemoryLimitError takePending() {
        MemoryLimitError e = pending;
        if (e == null || pendingDelivered) {
            return null;
        }
        pendingDelivered = true;
        return e;
    }

    /** A TaskScope opened by this task exited ({@link TaskExtension#taskScopeExited}). Task thread. */
    private void onTaskScopeExit(TaskHandle.Scope scope) {
        if (lenderCount > 0 && scope == graceScope) {
            endGrace();
        }
    }

    private void endGrace() {
        RuntimeException failedRuntime = null;
        Error failedError = null;
        for (int i = 0; i < lenderCount; i++) {
            try {
                lenders[i].repayGrace();
            } catch (RuntimeException e) {
                failedRuntime = failedRuntime == null ? e : failedRuntime;
            } catch (Error e) {
                failedError = failedError == null ? e : failedError; // the others are repaid all the same
            }
            lenders[i] = null;
        }
        lenderCount = 0;
        graceScope = null;
        overrun = false;
        if (failedError != null) {
            throw failedError;
        }
        if (failedRuntime != null) {
            throw failedRuntime;
        }
    }

    /**
     * The task's body ended ({@link TaskExtension#taskEnded}), after all its cleanup. Ends the grace and returns
     * the failure the task should end with: a real {@link OutOfMemoryError} becomes a contained
     * {@link MemoryLimitError}; the watchdog's cancellation becomes its error; otherwise {@code fail}. A task the
     * watchdog blamed fails with its error whatever it did with the cancellation: one that caught it and returned
     * normally fails with the error, one that failed otherwise carries it as a suppressed exception.
     *
     * <p>Things that don't work: turning only the watchdog's {@code Cancelled} back into its error. A program that
     * caught the cancellation at its top and returned ended {@code SUCCEEDED}, and {@code weft run --soft-limit}
     * exited 0 without a report after the watchdog had blamed it; one whose {@code finally} threw exited 1, the memory
     * error lost. Solution: the blamed task fails hard, as a grace overrun does.
     *
     * @param memory    the task's state, or null
     * @param fail      the body's failure, or null
     * @param cancelled the body's {@link Cancelled}, or null
     */
    private static Throwable onTaskEnd(TaskHandle task, TaskMemory memory, Throwable fail, Throwable cancelled) {
        try {
            Throwable result = fail;
            if (fail instanceof OutOfMemoryError oom) {
                result = contain(oom, task.name());
            } else if (fail == null && cancelled instanceof Cancelled c && memory != null && memory.pending != null
                    && c.reason() == CancelReason.MEMORY) {
                result = memory.pending;
                if (task.memoryCancelsThrown() > 1) {
                    // a later cancellation point in its cleanup threw again (the cancellation holds until the task
                    // ends): the cleanup did not complete, and the error says so
                    result = failsHard(result, c);
                }
            }
            MemoryLimitError blamed = memory == null ? null : memory.pending;
            if (blamed != null && result != blamed && !(fail instanceof OutOfMemoryError)
                    && (fail != null || cancelled == null)) {
                result = failsHard(result, blamed); // caught the watchdog's cancellation, or failed otherwise
            }
            if (memory != null && memory.graceError != null) {
                result = failsHard(result, memory.graceError);
            }
            return result;
        } finally {
            if (memory != null) {
                memory.endGrace(); // whatever happened above: the budgets that lent grace are repaid
            }
        }
    }

    /**
     * A grace overrun (or the watchdog's blame) fails hard: a task that caught the overrun and returned, or was
     * cancelled by it, fails with it;
     * a task that failed otherwise (typically with the soft-limit error it was cleaning up after) carries it as a
     * suppressed exception, unless it is that failure already or one of its causes or suppressed exceptions.
     */
    private static Throwable failsHard(Throwable result, Throwable overrun) {
        if (result == null) {
            return overrun;
        }
        if (!carries(result, overrun, 0)) {
            try {
                result.addSuppressed(overrun);
            } catch (Throwable ignored) {
                // out of memory: the task still fails, with its own failure
            }
        }
        return result;
    }

    /** Whether {@code e} is {@code t}, its cause or suppressed, a few levels deep. */
    private static boolean carries(Throwable t, Throwable e, int depth) {
        if (t == null || depth > 4) {
            return false;
        }
        if (t == e) {
            return true;
        }
        for (Throwable s : t.getSuppressed()) {
            if (carries(s, e, depth + 1)) {
                return true;
            }
        }
        return t.getCause() != t && carries(t.getCause(), e, depth + 1);
    }

    /**
     * Contains a real {@link OutOfMemoryError} that ended a task: drops the reserve and returns the task's
     * {@link MemoryLimitError} (cause {@code oom}). Allocates nothing when a spare is left ({@link #takeSpare}): the
     * heap may still be full here.
     */
    static MemoryLimitError contain(OutOfMemoryError oom, String taskName) {
        HeapMonitor m = HeapMonitor.containOutOfMemory();
        long limit = m != null ? m.limitBytesSoft() : Runtime.getRuntime().maxMemory();
        long grace = m != null ? m.graceBytes() : 0;
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        MemoryLimitError e = error(MemoryLimitError.Kind.OUT_OF_MEMORY, limit, grace, 0, used, taskName, oom);
        lastError = e;
        if (Jfr.recording) {
            MemoryEvents.outOfMemoryContained(taskName, oom);
            MemoryEvents.limit(e);
        }
        return e;
    }

    /**
     * The watchdog's {@link HeapMonitor.Blame}: raises a HEAP memory error in {@code task}. The watchdog thread,
     * while the heap is above the soft limit: the error is a spare when one is left.
     */
    static boolean blame(TaskHandle task, long limitBytesSoft, long graceBytes, long allocatedBytes, long liveBytes) {
        MemoryLimitError e = error(MemoryLimitError.Kind.HEAP, limitBytesSoft, graceBytes, allocatedBytes, liveBytes,
                task.name(), null);
        if (!of(task).raise(e)) {
            return false;
        }
        lastError = e;
        if (Jfr.recording) {
            MemoryEvents.limit(e);
        }
        return true;
    }

    // ---------------------------------------------------------------- spares
    // Things that don't work: making the memory error where it is needed. The containment path runs while the heap
    // is full; a new error with a formatted message threw OutOfMemoryError itself, which escaped the task's end:
    // the task never completed and its scope waited for it forever. Solution: errors made beforehand, their
    // message rendered from their fields when read; the path allocates nothing while a spare is left.

    /** Spares kept (each a few dozen bytes); more than a burst of tasks running out at once needs. */
    static final int SPARES = 32;
    /** Spares for the containment path and the watchdog; a slot is null once taken. Any thread. */
    private static final java.util.concurrent.atomic.AtomicReferenceArray<MemoryLimitError> SPARE =
            new java.util.concurrent.atomic.AtomicReferenceArray<>(SPARES);
    /**
     * The error when no spare is left and making one fails too: shared, so it names no task and carries no cause
     * (it would keep the first one forever); its suppression is off (tasks share it).
     */
    private static final MemoryLimitError LAST_RESORT = lastResort();
    /** Spares taken since the start (their count is {@link #sparesTaken()}); any thread. */
    private static final java.util.concurrent.atomic.AtomicLong SPARES_TAKEN = new java.util.concurrent.atomic.AtomicLong();

    private static MemoryLimitError lastResort() {
        return new MemoryLimitError(true);
    }

    /** Makes the missing spares; allocation failures leave the slot for next time. Any thread, memory plentiful. */
    static void refillSpares() {
        try {
            for (int i = 0; i < SPARES; i++) {
                if (SPARE.get(i) == null) {
                    SPARE.compareAndSet(i, null, new MemoryLimitError());
                }
            }
        } catch (OutOfMemoryError notNow) {
            // not now: the next collection below the limit tries again
        }
    }

    /** Takes a spare, or null if none is left. Allocation-free. */
    private static MemoryLimitError takeSpare() {
        for (int i = 0; i < SPARES; i++) {
            MemoryLimitError e = SPARE.getAndSet(i, null);
            if (e != null) {
                SPARES_TAKEN.incrementAndGet();
                return e;
            }
        }
        return null;
    }

    /** The spares taken so far (statistics, tests). */
    static long sparesTaken() {
        return SPARES_TAKEN.get();
    }

    /**
     * A HEAP or OUT_OF_MEMORY error: a spare if one is left, else a new one, else (the heap full and no spare) the
     * shared last resort. Never throws.
     */
    private static MemoryLimitError error(MemoryLimitError.Kind kind, long limitBytesSoft, long graceBytes,
            long requestedBytes, long usedBytes, String taskName, Throwable cause) {
        MemoryLimitError e = takeSpare();
        if (e != null) {
            return e.fill(kind, limitBytesSoft, graceBytes, requestedBytes, usedBytes, taskName, cause);
        }
        try {
            return new MemoryLimitError(kind, "heap", limitBytesSoft, graceBytes, requestedBytes, usedBytes, taskName,
                    null, cause);
        } catch (OutOfMemoryError | StackOverflowError none) {
            return LAST_RESORT;
        }
    }

    /** The last memory error raised or contained in the process, or null. */
    static MemoryLimitError lastError() {
        return lastError;
    }
}
