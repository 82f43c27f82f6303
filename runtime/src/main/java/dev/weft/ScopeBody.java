package dev.weft;

/**
 * The body of a {@link TaskScope}: spawns children into {@code scope} and returns a result.
 *
 * @param <T> the result type
 * @param <X> what the body may throw (inferred)
 */
@FunctionalInterface
public interface ScopeBody<T, X extends Throwable> {
    /** Runs the body; children spawned into {@code scope} are joined when it returns. */
    T run(TaskScope scope) throws X;
}
