package dev.weft.internal.cancel;

import dev.weft.internal.time.TimerQueue;

/**
 * {@link WaitingTaskLincheckTest}'s operations on a real {@link WaitingTask} with one scope; loaded by
 * {@link IsolatedClasses}, so it refers to nothing of the test class but its shared {@code Ops} interface.
 */
public final class WaitingTaskDriver implements WaitingTaskLincheckTest.Ops {
    private final Task task = new Task();

    /** A task whose innermost scope sees a cancel while it is in its one scope and that scope was cancelled. */
    static final class Task extends WaitingTask {
        volatile Thread thread;
        volatile boolean inScope = true;
        volatile boolean cancelled;

        @Override
        protected Thread taskThread() {
            return thread;
        }

        @Override
        protected boolean runsOnCurrentThread() {
            return thread == Thread.currentThread();
        }

        @Override
        protected boolean cancelVisible() {
            return inScope && cancelled;
        }

        @Override
        protected void checkpoint() {
            throw new UnsupportedOperationException("no cancellation point in this model");
        }

        @Override
        protected Object visibleCancelScope() {
            return cancelVisible() ? this : null;
        }

        @Override
        protected TimerQueue timers() {
            throw new UnsupportedOperationException("no clock in this model");
        }
    }

    /** The task's first operation starts its body on the current thread, as a task does: re-syncs the status. */
    private void startOnCurrentThread() {
        if (task.thread == null) {
            Thread.interrupted(); // Lincheck reuses its threads: drop a previous invocation's status
            task.thread = Thread.currentThread();
            task.syncInterrupt();
        }
    }

    @Override
    public void cancel() {
        task.cancelled = true;
        task.wake();
    }

    @Override
    public void foreignInterrupt() {
        startOnCurrentThread();
        Thread.currentThread().interrupt();
    }

    @Override
    public boolean exitScope() {
        startOnCurrentThread();
        task.inScope = false;
        task.syncInterrupt();
        return Thread.currentThread().isInterrupted();
    }

    @Override
    public boolean interrupted() {
        startOnCurrentThread();
        return Thread.currentThread().isInterrupted();
    }

    @Override
    public boolean end() {
        startOnCurrentThread();
        task.inScope = false; // as the runtime does: the body's scope chain is empty before clearOnEnd
        task.clearOnEnd();
        boolean status = Thread.currentThread().isInterrupted();
        Thread.interrupted(); // the thread goes back to Lincheck clean
        task.thread = null;
        return status;
    }
}
