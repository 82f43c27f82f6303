package dev.weft.internal.cancel;

import dev.weft.internal.time.TimerQueue;

/**
 * {@link CancelFlagLincheckTest}'s operations on a real {@link WaitingTask}'s flag: one cancelled-or-not scope outside
 * one shield-or-not scope, the canceller's side as {@code CancelScopeImpl} does it (write the state, then mark the
 * task) and the task's check as {@code AgentChecks} does it (the flag, then {@link WaitingTask#cancelToRaise}).
 * Loaded by {@link IsolatedClasses}.
 */
public final class CancelFlagDriver implements CancelFlagLincheckTest.Ops {
    private final Task task = new Task();

    /** A task whose chain is: a scope that may be shielded, inside a scope that may be cancelled. */
    static final class Task extends WaitingTask {
        volatile boolean cancelled;
        volatile boolean shielded;

        @Override
        protected Thread taskThread() {
            return null;
        }

        @Override
        protected boolean runsOnCurrentThread() {
            return true;
        }

        @Override
        protected boolean cancelVisible() {
            return cancelled && !shielded;
        }

        @Override
        protected void checkpoint() {
            throw new UnsupportedOperationException("the model's check is check()");
        }

        @Override
        protected Object visibleCancelScope() {
            // the walk from the innermost scope outwards: the shield first, then the outer scope's reason
            if (shielded) {
                return null;
            }
            return cancelled ? this : null;
        }

        @Override
        protected TimerQueue timers() {
            throw new UnsupportedOperationException("no clock in this model");
        }
    }

    @Override
    public void cancel() {
        task.cancelled = true;
        task.markMayHaveCancel();
    }

    @Override
    public void unshield() {
        task.shielded = false;
        task.markMayHaveCancel();
    }

    @Override
    public void enterShield() {
        task.shielded = true;
    }

    @Override
    public void leaveShield() {
        task.shielded = false;
        task.markMayHaveCancel();
    }

    @Override
    public boolean check() {
        return task.mayHaveCancel() && task.cancelToRaise() != null;
    }
}
