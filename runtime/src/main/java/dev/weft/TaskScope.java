package dev.weft;

import java.util.function.BiConsumer;

/**
 * A nursery: the only way to start concurrent work in Weft. Children spawned into a scope never outlive
 * it: {@link #run} returns only after every child has finished.
 *
 * {@snippet :
 * List<String> pages = TaskScope.run(scope -> {
 *     Task<String> a = scope.spawn("fetch-a", () -> fetch("https://a.example"));
 *     Task<String> b = scope.spawn("fetch-b", () -> fetch("https://b.example"));
 *     return List.of(a.join(), b.join());
 * });
 * }
 *
 * <h2>Failure</h2>
 * In a scope opened with {@link #run}, the first failure (a child's or the body's) cancels the scope: the
 * other children and the body see {@link Cancelled} (reason {@link CancelReason#FAILED_SIBLING}) at their
 * next cancellation point, and their cleanup runs. When all have finished, {@code run} throws the first
 * failure, with every later one attached as {@linkplain Throwable#getSuppressed() suppressed}: unchecked
 * exceptions and errors as they are, a child's checked exception wrapped in {@link TaskFailedException},
 * the body's own checked exception as it is. A scope opened with {@link #supervise} is for servers: a
 * child's failure goes to a handler and cancels nothing.
 *
 * <h2>Cancellation</h2>
 * The scope is a {@link CancelScope} ({@link #cancelScope()}): cancelling it (or its deadline) cancels
 * the body and every child, and is absorbed by the scope ({@code run} then returns {@code null} unless the
 * body had already returned). Cancellation from outside reaches every child. While the scope waits for
 * its children it is not a cancellation point (it cannot leave before them).
 *
 * <h2>Exceptions</h2>
 * Misuse fails with {@link IllegalStateException}: opening a scope outside a Weft task; spawning into a
 * scope whose body returned and whose children all finished; spawning from a task that is neither the
 * scope's owner nor running inside it.
 *
 * <h2>Memory consistency effects</h2>
 * Actions before {@code spawn} happen-before the child starts; actions in a child happen-before
 * {@code run} returns.
 *
 * <h2>Thread safety</h2>
 * {@code spawn} from the owner and its descendants; {@link #cancel()} from any thread.
 *
 * @implNote Each child is a virtual thread whose scheduler is a Weft loop: by default the loop of the
 * spawning task, so a parent and its children share one carrier thread and never run in parallel
 * unless spawned elsewhere with {@link #spawnOn}.
 */
public sealed interface TaskScope permits TaskScopeImpl {

    /**
     * Opens a scope in the current task, runs {@code body}, waits for every child, and returns the body's
     * result. The first failure cancels the rest and is rethrown (see the class documentation).
     */
    static <T, X extends Throwable> T run(ScopeBody<T, X> body) throws X {
        return TaskScopeImpl.open(body, false, null);
    }

    /**
     * Opens a supervising scope: a child's failure does not cancel its siblings or the body; it is passed
     * to {@code onFailure} (on the failing child's thread) and remains visible through the child's
     * {@link Task#join()}. The body's own failure still cancels the children.
     */
    static <T, X extends Throwable> T supervise(ScopeBody<T, X> body, BiConsumer<Task<?>, Throwable> onFailure)
            throws X {
        if (onFailure == null) {
            throw new NullPointerException("onFailure is null; pass a handler, e.g. (task, e) -> log(task, e)");
        }
        return TaskScopeImpl.open(body, true, onFailure);
    }

    /** Spawns a child running {@code body} on the current task's loop. */
    <T> Task<T> spawn(ThrowingCallable<T, ? extends Exception> body);

    /** Spawns a named child running {@code body} on the current task's loop. */
    <T> Task<T> spawn(String name, ThrowingCallable<T, ? extends Exception> body);

    /** Spawns a named child on {@code loop} (a loop, or the stealing pool {@link Weft#stealingPool()}). */
    <T> Task<T> spawnOn(Loop loop, String name, ThrowingCallable<T, ? extends Exception> body);

    /**
     * Registers {@code resource} to be closed when the scope exits, after every child has finished; all
     * registered resources close in reverse order, also on failure and cancellation. Returns it.
     */
    <R extends AutoCloseable> R closeOnExit(R resource);

    /** Cancels the body and every child. Idempotent; any thread. */
    void cancel();

    /** The scope's cancel scope (deadlines, shield, {@code cancelledCaught}). */
    CancelScope cancelScope();

    /** Children that have not finished yet. */
    int liveChildren();
}
