package dev.weft.http.internal;

import java.net.InetAddress;

/**
 * The server's limits as plain numbers, taken once from the public configuration: the machinery reads only
 * this (configuration is a value; nothing re-reads the user's object after startup).
 *
 * @param bindAddress        the address to listen on
 * @param port               the port (0: any free one)
 * @param backlog            the listen backlog (the kernel's accept queue)
 * @param handlersMax        handler slots (requests handled at once)
 * @param connectionsMax     connection slots (connections open at once)
 * @param queueMax           requests that may wait for a handler slot at once
 * @param queueTimeoutNs     how long one of them may wait
 * @param requestTimeoutNs   the per-request deadline, counted from the end of the request head
 * @param headerTimeoutNs    from a request's first byte to the end of its head
 * @param bodyTimeoutNs      from the end of the head to the end of the body
 * @param idleTimeoutNs      how long a kept-alive connection may wait for its next request's first byte
 * @param writeTimeoutNs     how long writing one response may take
 * @param headerBytesMax     request line plus headers
 * @param headerCountMax     request header fields
 * @param bodyBytesMax       request body (each handler slot preallocates it)
 * @param responseBytesMax   response body (each handler slot preallocates it)
 * @param readBufferBytes    each connection's read buffer
 * @param handlerMemoryBytes the handler's own declared working memory: each slot's budget soft limit
 * @param handlerGraceBytes  the grace above it for the handler's cleanup
 * @param healthPath         the health lane's path (never waits behind handlers)
 */
public record Limits(InetAddress bindAddress, int port, int backlog, int handlersMax, int connectionsMax,
        int queueMax, long queueTimeoutNs, long requestTimeoutNs, long headerTimeoutNs, long bodyTimeoutNs,
        long idleTimeoutNs, long writeTimeoutNs, int headerBytesMax, int headerCountMax, int bodyBytesMax,
        int responseBytesMax, int readBufferBytes, long handlerMemoryBytes, long handlerGraceBytes,
        String healthPath) {

    /** Response header fields a handler may set. */
    public static final int RESPONSE_HEADERS_MAX = 32;
    /** Bytes of the buffer the generator writes a response head into. */
    public static final int RESPONSE_HEAD_BYTES = 8 * 1024;
    /** Bytes of each connection's buffer for error bodies and the health lane's JSON. */
    public static final int SMALL_BODY_BYTES = 2 * 1024;

    public Limits {
        assert handlersMax > 0 && connectionsMax > 0 && queueMax >= 0 : "checked by the public configuration";
        assert headerBytesMax > 0 && headerCountMax > 0 && bodyBytesMax >= 0 && responseBytesMax >= 0;
    }
}
