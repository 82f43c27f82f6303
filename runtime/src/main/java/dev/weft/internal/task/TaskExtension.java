package dev.weft.internal.task;

/**
 * What the runtime tells an extension (memory budgets) about its tasks. The extension registers itself with
 * {@link TaskHooks#install} when it is first used; until then the runtime tells nobody.
 *
 * <h2>Thread safety</h2>
 * The task events run on the task's own thread; {@link #isMemoryFailure} on any thread.
 */
public interface TaskExtension {
    /**
     * The task's body ended, after all its cleanup, before the task is marked done (the task's thread). Told
     * when the task has an {@linkplain TaskHandle#attachment() attachment}, or when it failed with an
     * {@link OutOfMemoryError}.
     *
     * @param failure   the body's failure, or null
     * @param cancelled the body's {@code Cancelled}, or null
     * @return the failure the task ends with: {@code failure} itself, or a replacement (which also replaces the
     *         cancellation)
     */
    Throwable taskEnded(TaskHandle task, Throwable failure, Throwable cancelled);

    /** A {@code TaskScope} that {@code task} opened has exited. Told only when the task has an attachment. */
    void taskScopeExited(TaskHandle task, TaskHandle.Scope scope);

    /**
     * Whether {@code failure} is this extension's memory error: a {@code TaskScope} then cancels the siblings
     * with reason {@code MEMORY} (as it does for an {@link OutOfMemoryError}). Not told of causes: the
     * runtime looks through its own wrappers.
     */
    boolean isMemoryFailure(Throwable failure);

    /**
     * A task's epilogue (its completion, after its body ended) ran out of memory: give some back (memory budgets
     * drop the emergency reserve) so that a retry can succeed. Any thread; must not allocate or throw.
     */
    default void outOfMemory() {}

    /**
     * Told when a carrier mounts and unmounts a task, while an extension observes mounts
     * ({@link TaskHooks#observeMounts}). Both calls run on the carrier, around every switch to the task: they
     * must not allocate, block or throw.
     *
     * @param <M> what {@link #mounted} hands to {@link #unmounted} (the carrier's record)
     */
    interface MountObserver<M> {
        /** The carrier is about to run {@code task}. */
        M mounted(TaskHandle task);

        /**
         * {@code task} unmounted from the carrier. {@code word} is the task's mount word (0 at first): the
         * observer's own per-task state; the task keeps the result for the next unmount. Racy by design: a task
         * remounted elsewhere before this returns loses one update.
         */
        long unmounted(M mount, TaskHandle task, long word);
    }
}
