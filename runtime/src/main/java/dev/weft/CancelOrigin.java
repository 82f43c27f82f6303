package dev.weft;

/**
 * Where an explicit cancel was requested: the {@linkplain Cancelled#getCause() cause} of the
 * {@link Cancelled} it delivers.
 *
 * <p>By default it records the cancelling thread only: a stack trace costs microseconds between the
 * cancel and the cleanup it triggers. Start the JVM with {@code -Dweft.debug=true} to record the full
 * stack of every {@code cancel()} call (as Kotlin records coroutine creation sites in debug mode).
 */
final class CancelOrigin extends Throwable {
    private static final long serialVersionUID = 1L;

    /** Whether cancel sites carry stack traces ({@code -Dweft.debug=true}). */
    static final boolean DEBUG = Boolean.getBoolean("weft.debug");

    private CancelOrigin(String message, boolean stackTrace) {
        super(message, null, false, stackTrace);
    }

    static CancelOrigin here(String what) {
        return new CancelOrigin(what + " by thread " + Thread.currentThread().getName()
                + (DEBUG ? " here" : " (run with -Dweft.debug=true for its stack)"), DEBUG);
    }
}
