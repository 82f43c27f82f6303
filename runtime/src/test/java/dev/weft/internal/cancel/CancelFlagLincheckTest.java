package dev.weft.internal.cancel;

import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.junit.jupiter.api.Test;

/**
 * Model checking of the per-task flag that lets a check skip the walk of its scopes ({@link PendingCancels}): a
 * canceller cancelling the task's outer scope, or removing the shield between, races the task's checks, each of
 * which reads the flag, clears it and walks. The sequential specification is the walk itself (a check raises iff
 * the outer scope is cancelled and not shielded); a check that skipped the walk while a cancel that had completed
 * before it was visible would not be linearizable. The task's operations run on one thread.
 */
public class CancelFlagLincheckTest {
    /** The operations, implemented by {@link CancelFlagDriver} in the isolated loader. */
    public interface Ops {
        void cancel();

        void unshield();

        void enterShield();

        void leaveShield();

        boolean check();
    }

    private final Ops ops = IsolatedClasses.newInstance(CancelFlagDriver.class, Ops.class);

    /** The canceller: cancels the outer scope, then marks the task. */
    @Operation
    public void cancel() {
        ops.cancel();
    }

    /** Another thread removes the shield ({@code CancelScope.shield(false)}), then marks the task. */
    @Operation
    public void unshield() {
        ops.unshield();
    }

    /** The task enters the shield. */
    @Operation(nonParallelGroup = "task")
    public void enterShield() {
        ops.enterShield();
    }

    /** The task leaves the shield, then marks itself. */
    @Operation(nonParallelGroup = "task")
    public void leaveShield() {
        ops.leaveShield();
    }

    /** A compiled check: true if it would raise. */
    @Operation(nonParallelGroup = "task")
    public boolean check() {
        return ops.check();
    }

    /** Sequential specification: the walk at every check. */
    public static class Spec {
        private boolean cancelled;
        private boolean shielded;

        public void cancel() {
            cancelled = true;
        }

        public void unshield() {
            shielded = false;
        }

        public void enterShield() {
            shielded = true;
        }

        public void leaveShield() {
            shielded = false;
        }

        public boolean check() {
            return cancelled && !shielded;
        }
    }

    @Test
    void aCancelRacingATasksCleanCheckIsNeverLost() {
        new ModelCheckingOptions()
                .iterations(30)
                .invocationsPerIteration(200)
                .threads(2)
                .actorsPerThread(3)
                .actorsBefore(1)
                .actorsAfter(2)
                .sequentialSpecification(Spec.class)
                .check(getClass());
    }
}
