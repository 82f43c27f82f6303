package dev.weft.http.internal;

import java.util.concurrent.atomic.LongAdder;

/**
 * The server's event counters, incremented by connection and handler tasks on any loop and read in-process
 * (statistics, the health lane). Each is a {@link LongAdder}: no contended line on the request path.
 */
public final class Counters {
    /** Connections accepted into a slot. */
    public final LongAdder connectionsAccepted = new LongAdder();
    /** Connections refused because every connection slot was taken (503, then closed). */
    public final LongAdder connectionsRefused = new LongAdder();
    /** Requests whose head was parsed (health lane included). */
    public final LongAdder requests = new LongAdder();
    /** Responses written by handlers (any status the handler chose). */
    public final LongAdder served = new LongAdder();
    /** Requests refused by admission (503 with Retry-After). */
    public final LongAdder rejected = new LongAdder();
    /** Handlers cancelled, by their deadline or by a disconnect. */
    public final LongAdder cancelled = new LongAdder();
    /** Of those, by the deadline (504). */
    public final LongAdder deadlineExceeded = new LongAdder();
    /** Of those, by the client going away. */
    public final LongAdder disconnects = new LongAdder();
    /** Handlers that exceeded their memory budget (507). */
    public final LongAdder memoryFailures = new LongAdder();
    /** Handlers that threw (500). */
    public final LongAdder handlerFailures = new LongAdder();
    /** Requests refused by the parser or a limit (400, 413, 414, 431, 501, 505). */
    public final LongAdder badRequests = new LongAdder();
    /** Clients too slow to send a head or body in time (408). */
    public final LongAdder slowClients = new LongAdder();
    /** Health lane requests. */
    public final LongAdder health = new LongAdder();
    /** Handler slots whose plan bytes could not be taken back after a request (a handler leaked a reservation). */
    public final LongAdder slotsUnbacked = new LongAdder();
    /** Failures of the server's own machinery it survived (a connection task that threw). */
    public final LongAdder internalErrors = new LongAdder();
}
