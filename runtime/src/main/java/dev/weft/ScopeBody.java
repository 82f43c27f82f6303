package dev.weft;

/**
 * The body of a {@link TaskScope}: spawns children into {@code scope} and returns a result.
 *
 * {@snippet class=dev.weft.snippets.ScopeSnippets region=value-body}
 *
 * @param <T> the result type
 * @param <X> what the body may throw (inferred)
 */
@FunctionalInterface
public interface ScopeBody<T, X extends Throwable> extends ScopeAction<X> {
    /** Runs the body; children spawned into {@code scope} are joined when it returns. */
    T run(TaskScope scope) throws X;

    /** Runs the body and drops its result: the body used where a {@link ScopeAction} is expected. */
    @Override
    default void perform(TaskScope scope) throws X {
        run(scope);
    }
}
