package dev.weft;

/**
 * How a child started with {@link TaskScope#start} tells its starter that it is ready (Trio's
 * {@code task_status}).
 *
 * {@snippet class=dev.weft.snippets.ScopeSnippets region=start}
 *
 * <h2>Exceptions</h2>
 * A second call of {@code started} throws {@link IllegalStateException}, as does a call from another task
 * than the child.
 *
 * <h2>Memory consistency effects</h2>
 * Actions in the child before {@code started(value)} happen-before {@code start} returns {@code value}.
 *
 * <h2>Thread safety</h2>
 * The child's own task calls it.
 *
 * @param <T> what the child reports
 */
public sealed interface TaskStatus<T> permits TaskScopeImpl.Startup {
    /** Reports the child ready with {@code value}: the waiting {@link TaskScope#start} returns it. Once. */
    void started(T value);

    /** Reports the child ready with no value ({@code start} returns {@code null}). Once. */
    default void started() {
        started(null);
    }
}
