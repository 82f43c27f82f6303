package dev.weft.internal.errors;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Where the runtime's own machinery reports a failure it survives (a timer action that threw, a failure
 * handler that threw, a continuation that threw): an injected handler and a counter (Agrona's
 * {@code AgentRunner}: {@code errorHandler.onError}, {@code errorCounter.increment()}), never a bare print.
 *
 * <h2>Thread safety</h2>
 * Any thread. The handler runs on the reporting thread and must not block; a handler that throws is counted
 * and otherwise ignored.
 */
public final class ErrorSink {
    /** Receives a failure and where it happened. */
    @FunctionalInterface
    public interface Handler {
        void onError(String where, Throwable error);
    }

    /** Whether the default handler prints the stack too ({@code -Dweft.debug=true}). */
    private static final boolean DEBUG = Boolean.getBoolean("weft.debug");

    /**
     * The default handler: one line on standard error (the stack too with {@code -Dweft.debug=true}); the failure is
     * counted either way ({@link #count()}, {@code RuntimeStatistics.internalErrors}).
     */
    public static final Handler STDERR = (where, error) -> {
        System.err.println("weft: internal error in " + where + ": " + error + (DEBUG ? ""
                : " (counted in Weft.statistics().internalErrors(); -Dweft.debug=true prints the stack;"
                        + " Weft.options().errorHandler(...) handles it)"));
        if (DEBUG) {
            error.printStackTrace();
        }
    };

    private final Handler handler;
    private final AtomicLong errors = new AtomicLong();

    public ErrorSink(Handler handler) {
        this.handler = handler == null ? STDERR : handler;
    }

    /** Counts the failure and hands it to the handler. */
    public void report(String where, Throwable error) {
        errors.incrementAndGet();
        try {
            handler.onError(where, error);
        } catch (Throwable handlerFailure) {
            errors.incrementAndGet();
        }
    }

    /** Failures reported so far (including handlers that threw). */
    public long count() {
        return errors.get();
    }
}
