package dev.weft.internal.budget;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.Task;
import dev.weft.memory.MemoryLimitError;

/**
 * One task's memory state: the grace it was lent, and a memory error the watchdog raised in it. Created on
 * first use and kept in the task ({@code TaskImpl.memory}); the core reaches this package only through the
 * hooks documented on each method, and this package reaches the core only through {@link Access}.
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
public final class TaskMemory {

    /** What this package needs from the core; implemented in {@code TaskImpl}, installed by it. */
    public interface Access {
        /** The current task's state, created on first use; null outside a Weft task. */
        TaskMemory current();

        /** The state of {@code task}, created on first use. Any thread. */
        TaskMemory of(Task<?> task);

        /** The current task's innermost open {@code TaskScope} (an opaque token), or null if none. */
        Object innermostTaskScope();

        /** Cancels {@code task} with reason {@link CancelReason#MEMORY}; {@code origin} becomes the cause. */
        void cancelForMemory(Task<?> task, Throwable origin);

        /** The current task's loop, if it runs on one (not the stealing pool); null outside a Weft task. */
        StockSlot currentStockSlot();
    }

    /** A budget that lends grace; repaid when the grace ends. */
    public interface GraceLender {
        /** Called once per grant when the grace ends. Any thread. */
        void repayGrace();
    }

    private static volatile Access access;

    /** Installs the core's access; called from {@code TaskImpl}'s static initializer. */
    public static void install(Access a) {
        access = a;
    }

    /** The current task's state (created on first use), or null outside a Weft task. */
    public static TaskMemory current() {
        Access a = access;
        return a == null ? null : a.current();
    }

    /** The slot of the loop the current Weft task runs on, or null (not a task, or not on a loop). */
    public static StockSlot currentStockSlot() {
        Access a = access;
        return a == null ? null : a.currentStockSlot();
    }

    /** The state of {@code task}, created on first use. */
    public static TaskMemory of(Task<?> task) {
        return access.of(task);
    }

    private static final GraceLender[] NONE = new GraceLender[0];

    private final Task<?> task;
    /** Budgets that lent grace. Task thread only. */
    private GraceLender[] lenders = NONE;
    /** Number of used entries in lenders. Task thread only. */
    private int lenderCount;
    /** The TaskScope whose exit ends the grace, or null (task end). Task thread only. */
    private Object graceScope;
    /** The task overran its grace. Task thread only. */
    private boolean overrun;
    /** A memory error the watchdog raised in this task, or null. Written by the watchdog, read by the task. */
    private volatile MemoryLimitError pending;
    /** Whether {@link #pending} was already thrown from a reservation. Task thread only. */
    private boolean pendingDelivered;

    /** Called by the core's {@link Access}. */
    public TaskMemory(Task<?> task) {
        this.task = task;
    }

    /** The task's name. */
    public String taskName() {
        return task.name();
    }

    /** The task. */
    public Task<?> task() {
        return task;
    }

    /** Whether the task may use {@code lender}'s grace now (lent by it, or by the watchdog for any budget). */
    public boolean inGrace(GraceLender lender) {
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
    public boolean inGrace() {
        return lenderCount > 0 || pending != null;
    }

    /** Records that {@code lender} lent grace; the first grant fixes the scope whose exit ends it. */
    public void grantGrace(GraceLender lender) {
        if (lenderCount == 0) {
            Access a = access;
            graceScope = a == null ? null : a.innermostTaskScope();
        }
        if (lenderCount == lenders.length) {
            lenders = java.util.Arrays.copyOf(lenders, Math.max(2, lenders.length * 2));
        }
        lenders[lenderCount++] = lender;
    }

    /** Marks the grace overrun and cancels the task (it fails hard). */
    public void overrun(MemoryLimitError e) {
        overrun = true;
        access.cancelForMemory(task, e);
    }

    /** Whether the task overran its grace; its further reservations are refused at once. */
    public boolean isOverrun() {
        return overrun;
    }

    /**
     * Raises {@code e} in the task asynchronously (the watchdog): lends grace on every budget until the task
     * ends, and cancels it (reason MEMORY, cause {@code e}). Returns false if an error is already pending.
     */
    public boolean raise(MemoryLimitError e) {
        synchronized (this) {
            if (pending != null) {
                return false;
            }
            pending = e;
        }
        access.cancelForMemory(task, e);
        return true;
    }

    /** Whether the watchdog raised an error in this task. */
    public boolean isRaised() {
        return pending != null;
    }

    /** The watchdog's error if not yet thrown from a reservation (then marked thrown), else null. Task thread. */
    public MemoryLimitError takePending() {
        MemoryLimitError e = pending;
        if (e == null || pendingDelivered) {
            return null;
        }
        pendingDelivered = true;
        return e;
    }

    /** Hook: a TaskScope opened by this task exited (TaskScopeImpl.open). Task thread. */
    public void onTaskScopeExit(Object scope) {
        if (lenderCount > 0 && scope == graceScope) {
            endGrace();
        }
    }

    private void endGrace() {
        for (int i = 0; i < lenderCount; i++) {
            lenders[i].repayGrace();
            lenders[i] = null;
        }
        lenderCount = 0;
        graceScope = null;
        overrun = false;
    }

    /**
     * Hook: the task's body ended (TaskImpl.runBody), after all its cleanup. Ends the grace and returns the
     * failure the task should end with: a real {@link OutOfMemoryError} becomes a contained
     * {@link MemoryLimitError}; the watchdog's cancellation becomes its error; otherwise {@code fail}.
     *
     * @param memory    the task's state, or null
     * @param fail      the body's failure, or null
     * @param cancelled the body's {@link Cancelled}, or null
     */
    public static Throwable onTaskEnd(Task<?> task, TaskMemory memory, Throwable fail, Cancelled cancelled) {
        Throwable result = fail;
        if (fail instanceof OutOfMemoryError oom) {
            result = HeapMonitor.contain(oom, task.name());
        } else if (fail == null && cancelled != null && memory != null && memory.pending != null
                && cancelled.reason() == CancelReason.MEMORY) {
            MemoryLimitError e = memory.pending;
            result = e;
        }
        if (memory != null) {
            memory.endGrace();
        }
        return result;
    }

    /** Whether {@code t} is a memory failure (cancels siblings with reason MEMORY). */
    public static boolean isMemoryFailure(Throwable t) {
        for (int i = 0; i < 3 && t != null; i++, t = t.getCause()) {
            if (t instanceof MemoryLimitError || t instanceof OutOfMemoryError) {
                return true;
            }
            if (!(t instanceof dev.weft.TaskFailedException)) {
                return false;
            }
        }
        return false;
    }
}
