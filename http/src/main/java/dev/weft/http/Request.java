package dev.weft.http;

import dev.weft.CancelScope;
import dev.weft.memory.MemoryBudget;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The request a {@link Handler} serves: method, path, query parameters, header fields and body, plus the
 * request's cancel scope, deadline and memory budget.
 *
 * {@snippet class=dev.weft.http.Snippets region=request}
 *
 * <h2>Memory</h2>
 * The head and the body live in the request's preallocated slot: {@link #body()} is a read-only view of the
 * slot's buffer, valid while the handler runs. {@link #memoryBudget()} is the handler's own budget (soft limit
 * {@link HttpServerConfig#handlerMemoryBytes()}): reserve on it what the handler allocates beyond a few
 * objects, and a request that asks too much fails alone with 507.
 *
 * <h2>Thread safety</h2>
 * For the handler's task and the tasks it spawns, while the handler runs; not after it returned.
 */
public sealed interface Request permits RequestImpl {
    /** The method, e.g. {@code GET}. */
    String method();

    /** The path, as sent (not percent-decoded), e.g. {@code /items/42}. */
    String path();

    /** The query string as sent, without {@code ?} ({@code ""} if none). */
    String query();

    /** The first value of the query parameter {@code name} (decoded as a form), if present. */
    Optional<String> queryParam(String name);

    /** Every query parameter with all its values, in order of first appearance (decoded as a form). */
    Map<String, List<String>> queryParams();

    /** The first value of the header field {@code name} (case-insensitive), if present. */
    Optional<String> header(String name);

    /** Every value of the header field {@code name} (case-insensitive), in order. */
    List<String> headers(String name);

    /** The header fields' names, as sent, in order (a name sent twice appears twice). */
    List<String> headerNames();

    /** The body: a read-only view of the slot's buffer (empty if none). */
    ByteBuffer body();

    /** The body decoded as UTF-8. */
    String bodyText();

    /** The request's cancel scope: cancelled by the deadline and by the client's disconnect. */
    CancelScope cancelScope();

    /** The request's deadline on {@link dev.weft.Weft#nanoTime()}. */
    long deadlineNs();

    /** Whether the client went away while the request was being handled. */
    boolean clientGone();

    /** The handler's memory budget (also {@link MemoryBudget#current()} in the handler's task). */
    MemoryBudget memoryBudget();
}
