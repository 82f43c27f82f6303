package dev.weft;

import dev.weft.internal.cancel.AllocationAllowance;
import dev.weft.internal.cancel.PendingCancels;
import dev.weft.internal.cancel.VerdictGate;

/**
 * Static entry points to cancellation: explicit checkpoints and a cancellation query. (The checks the Weft agent
 * compiles into bytecode call {@code dev.weft.abi.AgentHooks}, which is not for application code.)
 *
 * {@snippet class=dev.weft.snippets.RuntimeSnippets region=checkpoint}
 *
 * <p>The rule for cancellation points: an operation either always is one or never is. Checkpoints,
 * every Weft wait, and agent-compiled back-edges are; scope entry and exit, spawning and context
 * operations are not.
 */
public final class Cancellation {
    private Cancellation() {}

    /**
     * A cancellation point: raises {@link Cancelled} if the current task is inside a cancelled scope that
     * is not hidden by a shield. Outside a Weft task it does nothing. While the heap watchdog's verdict is pending
     * (see {@code dev.weft.memory.HeapWatchdog}), a task that allocated fast since it opened waits here for the
     * verdict, at most half a second, as at the checks the agent compiles.
     */
    public static void checkpoint() {
        if (PendingCancels.count != 0) {
            TaskImpl<?> t = TaskImpl.current();
            if (t != null) {
                if (AllocationAllowance.isArmed()) {
                    AllocationAllowance.checkTask(t); // the heap is high: what the task allocated counts
                }
                if (VerdictGate.isOpen()) {
                    VerdictGate.awaitCheckpoint(t); // a heap verdict pending: a fast allocator waits for it
                }
                t.checkpoint();
            }
        }
    }

    /** Whether the current task's next cancellation point would raise. False outside a task. */
    public static boolean isCancelled() {
        if (PendingCancels.count == 0) {
            return false;
        }
        TaskImpl<?> t = TaskImpl.current();
        return t != null && t.isCancelled();
    }
}
