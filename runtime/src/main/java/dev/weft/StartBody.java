package dev.weft;

/**
 * The body of a child started with {@link TaskScope#start}: it gets a {@link TaskStatus} and calls
 * {@link TaskStatus#started(Object)} once it is ready (listening, connected, initialised), then goes on running.
 *
 * @param <T> what the child reports when it is ready (use {@link Void} and {@link TaskStatus#started()} for nothing)
 * @param <X> what the body may throw (inferred)
 */
@FunctionalInterface
public interface StartBody<T, X extends Throwable> {
    /** Runs the child; calls {@code status.started(value)} once, when it is ready. */
    void run(TaskStatus<T> status) throws X;
}
