package dev.weft.internal.cancel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Process-wide count of cancel scopes that are cancelled and still entered, and the first of the two tests every
 * checkpoint makes.
 *
 * <p>Every checkpoint, including the ones the Weft agent compiles into loop back-edges, reads {@link #count} first
 * and does nothing more while it is zero: one volatile read, no allocation. A non-zero count sends the check to its
 * second test: the current task's own flag, {@link WaitingTask#mayHaveCancel()}, which says whether a cancel may be
 * visible to THIS task. Only a task whose flag is set (or every task, while {@link #everyTask} is non-zero) goes on
 * to the slow path, which walks its cancel scopes.
 *
 * <h2>The per-task flag</h2>
 * A task's flag is set at its creation, and by whoever makes a cancel possibly visible to it, after that change:
 * <pre>
 *   event                                  thread        marks
 *   scope cancelled (explicit, deadline)   canceller     the scope's owner, and the owner of every scope below it
 *                                                        up to the first shield (the subtree walk that wakes them)
 *   cancelled scope entered                the task      the task itself
 *   shield removed from an entered scope   any           the owners in the scope's subtree (the same walk)
 *   shielded scope left                    the task      the task itself (the outer cancels show again)
 *   task spawned                           spawner       the new task (the flag starts set)
 *   checkpoint-gap probe armed             JFR sampler   the watched task (it must count its cancellation points)
 * </pre>
 * It is cleared only by the task's own thread, just BEFORE the walk of its scopes ({@link WaitingTask#cancelToRaise}),
 * and set again by the task when the walk found a cancel (level-triggered: the next check walks and raises again).
 * A task of an unmodified program's {@code main} ({@code weft run}) never clears it: its cancellation's grace ends
 * on a clock, with no event that would mark it.
 *
 * <h2>Memory consistency: a cancel racing a task's clean check is never lost</h2>
 * All four accesses are volatile, so they are totally ordered (synchronization order). The canceller writes the
 * scope's {@code reason} (or {@code shield = false}) and then writes the task's flag = true. The task writes its
 * flag = false and then reads {@code reason} and {@code shield} along its chain. Either the task's read of
 * {@code reason} comes after the canceller's write, and the walk raises; or it comes before, so the task's clear
 * comes before the canceller's mark, and the flag ends set: the next check walks and raises. (The count is raised
 * before anybody is marked, so a check that reads it zero is one that ran before the marks, and every check after
 * the increment goes on to the flag.) What the canceller's subtree walk cannot see, a
 * scope linked into the tree after it passed, belongs either to a task it marked (a nested scope is entered by the
 * owner of its parent) or to a task spawned after it (whose flag starts set, and whose thread starts after the
 * spawner linked its root scope under the parent's monitor, which the canceller took after writing the reason).
 *
 * <p>Things that don't work: a process-wide cancel epoch, bumped at every cancellation, with each task caching
 * "my scopes were clean at epoch E". It spares the walk but not the test, and under load every cancel in the
 * process (a deadline, a disconnect) sends every task to one walk: the cost still depends on what other tasks do.
 * The per-task flag is set only on the tasks a cancel can reach.
 *
 * <h2>Thread safety</h2>
 * The counts are updated atomically by any thread and read by every checkpoint.
 */
public final class PendingCancels {
    private PendingCancels() {}

    /**
     * Number of live cancelled scopes, plus the requests of {@link #everyTask}, plus the armed probes and the
     * program's cancellation. Updated atomically by any thread; read by every checkpoint.
     */
    public static volatile int count;

    /**
     * Requests that every check take its slow path whatever its task's flag says: the heap watchdog's gate
     * ({@link VerdictGate}, it must see every fast allocator) and the test probe ({@link CheckpointProbe}). Each is
     * counted in {@link #count} too. Updated atomically by any thread; read by checks that found the count non-zero.
     */
    static volatile int everyTask;

    private static final VarHandle COUNT;
    private static final VarHandle EVERY_TASK;

    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            COUNT = l.findStaticVarHandle(PendingCancels.class, "count", int.class);
            EVERY_TASK = l.findStaticVarHandle(PendingCancels.class, "everyTask", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Called when an entered scope becomes cancelled, or a cancelled scope is entered. */
    public static void increment() {
        COUNT.getAndAdd(1);
    }

    /** Called when a scope counted by {@link #increment()} exits. */
    public static void decrement() {
        int before = (int) COUNT.getAndAdd(-1);
        assert before > 0 : "pending cancel count underflow: " + before;
    }

    /**
     * Sends every check of every task to its slow path until {@link #decrementEveryTask()}. The request is made
     * before the count is raised: a check that sees the count raised by it sees the request.
     */
    static void incrementEveryTask() {
        EVERY_TASK.getAndAdd(1);
        COUNT.getAndAdd(1);
    }

    /** Ends a request of {@link #incrementEveryTask()}. */
    static void decrementEveryTask() {
        int before = (int) COUNT.getAndAdd(-1);
        assert before > 0 : "pending cancel count underflow: " + before;
        before = (int) EVERY_TASK.getAndAdd(-1);
        assert before > 0 : "every-task request underflow: " + before;
    }
}
