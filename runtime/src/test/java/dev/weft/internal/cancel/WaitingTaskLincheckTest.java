package dev.weft.internal.cancel;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;

/**
 * Model checking of {@link WaitingTask}'s interrupt protocol: a canceller cancelling the task's scope and waking it
 * races the task starting, leaving that scope, and ending, with or without a foreign interrupt (the program's own)
 * in the status. The foreign interrupt is posted by the task's own code: the status is one bit, so a foreign
 * interrupt from another thread while Weft's is posted merges with it even in a sequential run (the protocol does
 * not claim otherwise).
 *
 * <p>The task's innermost scope sees a cancel while the task is still in its one scope and the scope was cancelled.
 * The task's operations run on one thread (Lincheck's {@code nonParallelGroup}); its first one starts the body
 * ({@code syncInterrupt}, as a task does when its body starts). The sequential specification is the protocol's
 * table executed atomically; what the concurrent runs check is the class comment's claim: a canceller racing the
 * scope's exit either posts before the exit clears it or posts nothing, so no stray interrupt of Weft's is left in
 * the status once the scope is left, and a foreign interrupt that came first is given back.
 *
 * <p>{@code WaitingTask} asserts that its lock is held, which Lincheck's emulation can make false: the
 * operations run on a copy of Weft's classes with its assertions off ({@link IsolatedClasses},
 * {@link WaitingTaskDriver}).
 */
public class WaitingTaskLincheckTest {
    /** The operations, implemented by {@link WaitingTaskDriver} in the isolated loader. */
    public interface Ops {
        void cancel();

        void foreignInterrupt();

        boolean exitScope();

        boolean interrupted();

        boolean end();
    }

    private final Ops ops = IsolatedClasses.newInstance(WaitingTaskDriver.class, Ops.class);

    /** The canceller: cancels the task's scope and wakes the task. */
    @Operation
    public void cancel() {
        ops.cancel();
    }

    /** The program's own interrupt: the task's code interrupts its thread. */
    @Operation(nonParallelGroup = "task")
    public void foreignInterrupt() {
        ops.foreignInterrupt();
    }

    /** The task leaves its scope; returns its interrupt status afterwards. */
    @Operation(nonParallelGroup = "task")
    public boolean exitScope() {
        return ops.exitScope();
    }

    /** The task reads its interrupt status. */
    @Operation(nonParallelGroup = "task")
    public boolean interrupted() {
        return ops.interrupted();
    }

    /** The task's body ends: Weft's interrupt is cleared, the thread is no longer the task's. Returns the status. */
    @Operation(nonParallelGroup = "task")
    public boolean end() {
        return ops.end();
    }

    /** Sequential specification: the protocol's table, one event at a time. */
    public static class Spec {
        private boolean started;
        private boolean ended;
        private boolean inScope = true;
        private boolean cancelled;
        private boolean status;
        private boolean posted;
        private boolean foreignOwed;

        private boolean visible() {
            return inScope && cancelled;
        }

        private void post() {
            if (!posted) {
                posted = true;
                if (status) {
                    foreignOwed = true;
                } else {
                    status = true;
                }
            } else {
                status = true;
            }
        }

        private void sync() {
            if (visible()) {
                post();
            } else if (posted) {
                posted = false;
                status = false;
                if (foreignOwed) {
                    foreignOwed = false;
                    status = true;
                }
            }
        }

        private void start() {
            if (!started || ended) {
                started = true;
                ended = false;
                status = false;
                sync();
            }
        }

        public void cancel() {
            cancelled = true;
            if (started && !ended && visible()) {
                post();
            }
        }

        public void foreignInterrupt() {
            start();
            status = true;
        }

        public boolean exitScope() {
            start();
            inScope = false;
            sync();
            return status;
        }

        public boolean interrupted() {
            start();
            return status;
        }

        public boolean end() {
            start();
            inScope = false; // the body's scope chain is empty when it ends
            if (posted) {
                posted = false;
                status = false;
            }
            foreignOwed = false;
            boolean s = status;
            status = false;
            ended = true;
            return s;
        }
    }

    @Test
    void waitingTaskLeavesNoStrayInterruptWhenACancelRacesTheScopeExit() {
        new ModelCheckingOptions()
                .iterations(6)
                .invocationsPerIteration(80)
                .threads(2)
                .actorsPerThread(3)
                .actorsBefore(0)
                .actorsAfter(1)
                .sequentialSpecification(Spec.class)
                .check(getClass());
    }
}
