package dev.weft;

/**
 * A block of code that may throw {@code X}; lets scopes propagate your checked exceptions unchanged.
 *
 * @param <X> what the block may throw (inferred; {@code RuntimeException} when it throws nothing checked)
 */
@FunctionalInterface
public interface ThrowingRunnable<X extends Throwable> {
    /** Runs the block. */
    void run() throws X;
}
