package dev.weft;

/**
 * A block of code that returns a {@code T} and may throw {@code X}.
 *
 * @param <T> the result type
 * @param <X> what the block may throw (inferred)
 */
@FunctionalInterface
public interface ThrowingCallable<T, X extends Throwable> {
    /** Runs the block. */
    T call() throws X;
}
