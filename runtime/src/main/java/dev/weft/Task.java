package dev.weft;

/**
 * A handle to a child task spawned into a {@link TaskScope}.
 *
 * {@snippet class=dev.weft.snippets.ScopeSnippets region=join}
 *
 * <h2>Cancellation</h2>
 * {@link #join()} is a cancellation point. {@link #cancel()} cancels the task's own root scope: the task
 * sees {@link Cancelled} at its next cancellation point, its cleanup runs, and it ends
 * {@link TaskState#CANCELLED}, which is not a failure of the scope.
 *
 * <h2>Exceptions</h2>
 * {@code join()} wraps a failure in {@link TaskFailedException} (whatever its type) and reports a
 * cancelled task as {@link java.util.concurrent.CancellationException}.
 *
 * <h2>Memory consistency effects</h2>
 * Actions in the task happen-before {@code join()} returns.
 *
 * <h2>Thread safety</h2>
 * All methods are safe from any thread.
 *
 * @param <T> the result type
 */
public sealed interface Task<T> permits TaskImpl {

    /** The task's name (given at spawn, or {@code task-<id>}). */
    String name();

    /** The task's current state. */
    TaskState state();

    /** Waits for the task to finish and returns its result. A cancellation point. */
    T join();

    /**
     * The result of a task that has {@linkplain TaskState#SUCCEEDED succeeded}.
     *
     * @throws IllegalStateException if it has not (yet)
     */
    T result();

    /**
     * The failure of a task that has {@linkplain TaskState#FAILED failed}.
     *
     * @throws IllegalStateException if it has not (yet)
     */
    Throwable exception();

    /** Cancels the task. Idempotent; any thread. */
    void cancel();

    /** The loop (or the stealing pool) the task runs on. */
    Loop loop();
}
