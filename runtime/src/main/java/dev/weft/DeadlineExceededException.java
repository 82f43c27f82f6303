package dev.weft;

/**
 * Thrown by {@link CancelScope#failAfter} when its deadline cancelled the body, instead of continuing
 * silently. Unlike {@link Cancelled} this is an ordinary exception: the deadline was the caller's own.
 */
public final class DeadlineExceededException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DeadlineExceededException(String message, Throwable cause) {
        super(message, cause);
    }
}
