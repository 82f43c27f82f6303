package dev.weft.http;

/**
 * A snapshot of an {@link HttpServer}'s counters and gauges, read in-process ({@link HttpServer#statistics()})
 * and reported by the health lane.
 *
 * {@snippet class=dev.weft.http.Snippets region=statistics}
 *
 * @param handlersMax         handler slots
 * @param handlersBusy        slots in use now
 * @param queued              requests waiting for a slot now
 * @param connectionsMax      connection slots
 * @param connectionsOpen     connections open now
 * @param connectionsAccepted connections accepted so far
 * @param connectionsRefused  connections refused because every connection slot was taken (503, closed)
 * @param requests            request heads parsed
 * @param served              handler responses sent
 * @param rejected            requests refused by admission (503 with Retry-After)
 * @param cancelled           handlers cancelled (deadline or disconnect)
 * @param deadlineExceeded    of those, by the deadline (504)
 * @param disconnects         of those, by the client going away
 * @param memoryFailures      handlers past their memory budget (507)
 * @param handlerFailures     handlers that threw (500)
 * @param badRequests         requests refused by the parser or a limit (400, 413, 414, 431, ...)
 * @param slowClients         clients too slow with a head or body (408)
 * @param healthRequests      health lane requests
 * @param drainPerSecond      handler slots freed per second over the last two seconds
 * @param planBytes           the committed memory plan's total
 * @param inUseBytes          bytes the server holds on its budget now: the plan's slot lines, the idle handler
 *                            slots' holds, and what busy handlers reserved (at most {@code planBytes})
 * @param handlerReservedBytes bytes busy handlers reserved on their budgets now
 */
public record ServerStatistics(int handlersMax, int handlersBusy, int queued, int connectionsMax,
        int connectionsOpen, long connectionsAccepted, long connectionsRefused, long requests, long served,
        long rejected, long cancelled, long deadlineExceeded, long disconnects, long memoryFailures,
        long handlerFailures, long badRequests, long slowClients, long healthRequests, double drainPerSecond,
        long planBytes, long inUseBytes, long handlerReservedBytes) {}
