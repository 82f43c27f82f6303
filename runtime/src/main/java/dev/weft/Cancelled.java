package dev.weft;

/**
 * Thrown at a cancellation point inside a cancelled {@link CancelScope}; the scope that was cancelled
 * catches it and execution continues after that scope.
 *
 * {@snippet class=dev.weft.snippets.CancelScopeSnippets region=cancelled}
 *
 * <p>{@code Cancelled} extends {@link Error}, not {@link Exception}, for the reason Python made
 * {@code CancelledError} a {@code BaseException}: {@code catch (Exception e)} in library code must not
 * swallow a cancellation. Catch it only to add context and rethrow; never to continue. It would be raised
 * again at the next cancellation point anyway (cancellation is level-triggered).
 *
 * <p>It carries the {@linkplain #reason() reason} and the {@linkplain #scopeName() name of the scope}
 * whose cancellation it delivers; when the cancel was requested explicitly, its {@linkplain #getCause()
 * cause} records where.
 */
public final class Cancelled extends Error {
    private static final long serialVersionUID = 1L;

    private final CancelReason reason;
    private final String scopeName;

    Cancelled(CancelReason reason, String scopeName, Throwable origin) {
        super("cancelled (" + reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ") by scope '"
                + scopeName + "'", origin);
        this.reason = reason;
        this.scopeName = scopeName;
    }

    /** Why the scope was cancelled. */
    public CancelReason reason() {
        return reason;
    }

    /** The name of the cancel scope (or task) whose cancellation this delivers. */
    public String scopeName() {
        return scopeName;
    }
}
