package dev.weft.http;

/**
 * Application code for one route: reads the {@link Request}, fills the {@link Response}. Runs as a Weft task
 * inside the request's cancel scope, with the request's memory budget bound as
 * {@link dev.weft.memory.MemoryBudget#current()}.
 *
 * {@snippet class=dev.weft.http.Snippets region=handler}
 *
 * <h2>Cancellation</h2>
 * The request's deadline and its client's disconnect cancel the handler's scope: its next cancellation point
 * (a Weft wait, a JDK blocking call, a back-edge compiled in by the Weft agent) raises
 * {@link dev.weft.Cancelled}, its {@code finally} blocks run, and the server answers 504 (deadline) or nothing
 * (disconnect). Code with no cancellation point (a CPU-bound loop) is cancelled only when the server runs
 * under the Weft agent ({@code weft run}, {@code weft serve}).
 *
 * <h2>Exceptions</h2>
 * An exception or error thrown by the handler is answered with 500 (its class name only; details go to the
 * server's error handler); a {@link dev.weft.memory.MemoryLimitError} with 507.
 *
 * <h2>Thread safety</h2>
 * One handler object serves every request of its route, concurrently on several tasks: keep it stateless or
 * thread-safe.
 */
@FunctionalInterface
public interface Handler {
    /** Handles one request. */
    void handle(Request request, Response response) throws Exception;
}
