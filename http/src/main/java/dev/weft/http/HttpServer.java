package dev.weft.http;

import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryPlan;
import java.io.IOException;
import java.util.function.BiConsumer;

/**
 * An HTTP/1.1 server on Weft loops whose memory is planned at startup: {@code handlersMax} handler slots and
 * {@code connectionsMax} connection slots, each preallocated and sized, summed into a {@link MemoryPlan} that is
 * committed before the first byte is read (a configuration that does not fit fails here, with the plan's table).
 *
 * {@snippet class=dev.weft.http.Snippets region=server}
 *
 * <h2>Requests</h2>
 * Keep-alive and pipelining (one request at a time per connection, in order); bodies with
 * {@code Content-Length} or chunked; parsing and generation by Jetty's {@code HttpParser} and
 * {@code HttpGenerator}. Limits, each answered without taking a handler slot: a head larger than
 * {@code headerBytesMax} (431; 414 for the request line), more than {@code headerCountMax} fields (431), a
 * declared body over {@code bodyBytesMax} (413), a malformed request or {@code Content-Length} with
 * {@code Transfer-Encoding} (400), a head not complete within {@code headerTimeout} of its first byte (408). A
 * request refused this way closes its connection. A request for the health path ({@code GET /health} by
 * default) is answered by the connection task itself and never waits for a handler slot.
 *
 * <h2>Admission</h2>
 * A request whose head is complete takes a free handler slot; if none is free it waits, at most
 * {@code queueMax} requests at a time, each at most {@code queueTimeout}; beyond that it is answered 503 with a
 * {@code Retry-After} of the seconds the waiting line needs to drain at the rate slots came free over the last
 * two seconds (at least 1). A connection beyond {@code connectionsMax} is answered 503 and closed at once.
 *
 * <h2>Cancellation</h2>
 * Each request has a cancel scope ({@link Request#cancelScope()}) with the deadline {@code requestTimeout} after
 * its head; the handler runs inside it. The deadline cancels the handler: its cleanup runs, its slot and its
 * reservations return, the client gets 504. A client that closes its connection while its request is handled
 * cancels the handler the same way (the connection keeps reading while the handler runs; end of stream or a
 * reset is a disconnect; so is a client that half-closes its sending side), and nothing is answered. Cancelling
 * the task that runs {@link #serve} stops the server hard: every handler is cancelled and {@code serve} returns
 * after their cleanup. {@link #shutdown()} stops it gracefully.
 *
 * <h2>Memory</h2>
 * {@link #plan()} has one line per bounded component: the handler slots (the request body and response body
 * buffers, response fields, the public views), the handlers' own memory (each slot's budget,
 * {@code handlerMemoryBytes} plus an eighth of grace), and the connection slots (read buffer, response head
 * buffer, request head and its strings at their bound, parser, generator). The plan is committed on a child
 * budget of the given parent (the root by default) and held until {@link #close()}. A handler's reservations on
 * its budget ({@link Request#memoryBudget()}) past the budget's limit raise a
 * {@link dev.weft.memory.MemoryLimitError} in that handler alone, which the server answers with 507 and the
 * error's message.
 *
 * <h2>Exceptions</h2>
 * {@link #bind} throws {@link dev.weft.memory.MemoryPlanException} (its message is the plan's table) when the
 * plan does not fit, {@link IOException} when the address cannot be bound, {@link IllegalStateException}
 * outside a Weft task.
 *
 * <h2>Memory consistency effects</h2>
 * Actions of a handler happen-before its response is written and before the statistics count it.
 *
 * <h2>Thread safety</h2>
 * {@link #serve} from one task, once; everything else from any thread.
 */
public sealed interface HttpServer extends AutoCloseable permits HttpServerImpl {

    /**
     * Plans, commits and binds a server on the root memory budget; failures of the server's machinery go to
     * standard error. Call in a Weft task.
     *
     * @throws dev.weft.memory.MemoryPlanException if the plan does not fit (the message is the table)
     * @throws IOException                         if the address cannot be bound
     */
    static HttpServer bind(HttpServerConfig config, Router router) throws IOException {
        return bind(config, router, MemoryBudget.root(), null);
    }

    /**
     * Plans, commits on a child of {@code parent}, and binds a server; {@code errorHandler} (or standard error,
     * if null) receives failures of the machinery and of handlers, with where they happened. Call in a Weft task.
     *
     * @throws dev.weft.memory.MemoryPlanException if the plan does not fit (the message is the table)
     * @throws IOException                         if the address cannot be bound
     */
    static HttpServer bind(HttpServerConfig config, Router router, MemoryBudget parent,
            BiConsumer<String, Throwable> errorHandler) throws IOException {
        return HttpServerImpl.bind(config, router, parent, errorHandler);
    }

    /** The port the server listens on (the chosen one if the configuration said 0). */
    int port();

    /** The configuration. */
    HttpServerConfig config();

    /** The committed memory plan. */
    MemoryPlan plan();

    /** The plan as a table, against the budget it was committed on. */
    String planTable();

    /**
     * Accepts and serves connections until {@link #shutdown()} (returns once every request in progress is
     * answered) or until the calling task is cancelled (every handler is cancelled; returns after their cleanup).
     *
     * @throws IllegalStateException if called twice, or after shutdown
     */
    void serve();

    /** Stops accepting connections; requests in progress finish, idle connections close. Idempotent; any thread. */
    void shutdown();

    /** A snapshot of the counters. */
    ServerStatistics statistics();

    /** Shuts down (if not yet) and releases the listening socket and the committed plan. Idempotent. */
    @Override
    void close();
}
