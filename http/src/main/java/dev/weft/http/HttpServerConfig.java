package dev.weft.http;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Objects;

/**
 * An {@link HttpServer}'s configuration: an immutable value, changed by {@code with…} methods that return a
 * copy. Every count and size in it bounds something the server preallocates or lets wait, so the server's
 * memory is the sum of these numbers times known footprints ({@link HttpServer#plan()}).
 *
 * {@snippet class=dev.weft.http.Snippets region=config}
 *
 * <h2>Defaults, and why</h2>
 * <table>
 * <caption>Defaults</caption>
 * <tr><th>setting</th><th>default</th><th>why</th></tr>
 * <tr><td>{@code handlersMax}</td><td>64</td><td>a few per core for handlers that block, without letting a
 *     burst start more work than finishes within a deadline. It is the memory plan's hard cap (the slots are
 *     preallocated); how many run at once adapts below it, with no setting: the limit falls while handler tasks
 *     wait for a carrier longer than the fastest handler takes (or 1 ms), and grows while they do not, between
 *     twice the runtime's loop count and {@code handlersMax} (so a CPU-bound handler runs a few per core, a blocking
 *     one uses every slot; {@code /health} shows the limit)</td></tr>
 * <tr><td>{@code connectionsMax}</td><td>1,024</td><td>a connection slot costs its read buffer, response head
 *     buffer and its head's strings and parser at their bound (about 50 KiB with the defaults): 1,024 of them
 *     are about 50 MiB, and the plan shows it</td></tr>
 * <tr><td>{@code queueMax}, {@code queueTimeout}</td><td>64 (the default {@code handlersMax}), 100 ms</td><td>absorbs a burst of
 *     one round of work; a client that waits longer is better told when to come back</td></tr>
 * <tr><td>{@code requestTimeout}</td><td>10 s</td><td>below the usual 30 s or 60 s of proxies and clients, so the
 *     server's 504 arrives before their own timeout</td></tr>
 * <tr><td>{@code headerTimeout}, {@code bodyTimeout}</td><td>10 s, 30 s</td><td>a client on a slow link sends a
 *     head in milliseconds; a slowloris client is cut off after the header timeout</td></tr>
 * <tr><td>{@code idleTimeout}</td><td>60 s</td><td>keeps connections alive across a user's pauses</td></tr>
 * <tr><td>{@code writeTimeout}</td><td>30 s</td><td>a client that stops reading holds its slot at most this
 *     long</td></tr>
 * <tr><td>{@code headerBytesMax}, {@code headerCountMax}</td><td>8 KiB, 64</td><td>Jetty's and nginx's default:
 *     above what browsers send, and it bounds each connection's head strings and parser builder</td></tr>
 * <tr><td>{@code bodyBytesMax}, {@code responseBytesMax}</td><td>64 KiB, 64 KiB</td><td>each handler slot
 *     preallocates both: 64 slots cost 8 MiB</td></tr>
 * <tr><td>{@code readBufferBytes}</td><td>8 KiB</td><td>a typical head in one read</td></tr>
 * <tr><td>{@code handlerMemoryBytes}</td><td>1 MiB</td><td>the working memory a handler may reserve on its
 *     budget; the grace is an eighth more, as for every budget</td></tr>
 * <tr><td>{@code handlersOnConnectionLoop}</td><td>false</td><td>handlers run on the runtime's work-stealing
 *     pool, so a CPU-bound handler never holds the loop that reads its connection and others (and the health
 *     lane) stay responsive; true keeps a handler on its connection's loop (no hand-off between carriers)</td></tr>
 * </table>
 *
 * <h2>Exceptions</h2>
 * {@link IllegalArgumentException} for a count or size out of range and for a negative or zero duration; the
 * message names the setting and its bounds.
 *
 * <h2>Thread safety</h2>
 * Immutable.
 *
 * @param bindAddress              the address to listen on
 * @param port                     the port; 0 picks a free one ({@link HttpServer#port()})
 * @param handlersMax              handler slots: requests handled at once
 * @param connectionsMax           connection slots: connections open at once
 * @param queueMax                 requests that may wait for a handler slot at once (0: refuse at once)
 * @param queueTimeout             how long each may wait
 * @param requestTimeout           the per-request deadline, from the end of the request head
 * @param headerTimeout            from a request's first byte to the end of its head
 * @param bodyTimeout              from the end of the head to the end of the body
 * @param idleTimeout              how long a kept-alive connection waits for its next request
 * @param writeTimeout             how long writing one response may take
 * @param headerBytesMax           request line plus header fields, in bytes
 * @param headerCountMax           request header fields
 * @param bodyBytesMax             request body, in bytes
 * @param responseBytesMax         response body, in bytes
 * @param readBufferBytes          each connection's read buffer
 * @param handlerMemoryBytes       each handler's memory budget (its declared working memory)
 * @param handlersOnConnectionLoop whether handlers run on their connection's loop instead of the stealing pool
 * @param healthPath               the path of the health lane
 * @param handlerStackBytes        each handler's stack, as a {@link dev.weft.memory.StackBound} bounds it (0: not
 *                                 declared, no plan line)
 */
public record HttpServerConfig(InetAddress bindAddress, int port, int handlersMax, int connectionsMax, int queueMax,
        Duration queueTimeout, Duration requestTimeout, Duration headerTimeout, Duration bodyTimeout,
        Duration idleTimeout, Duration writeTimeout, int headerBytesMax, int headerCountMax, int bodyBytesMax,
        int responseBytesMax, int readBufferBytes, long handlerMemoryBytes, boolean handlersOnConnectionLoop,
        String healthPath, long handlerStackBytes) {

    /** The configuration checked: every bound in range. */
    public HttpServerConfig {
        Objects.requireNonNull(bindAddress, "bindAddress is null; use InetAddress.getLoopbackAddress() or 0.0.0.0");
        range("port", port, 0, 65535);
        range("handlersMax", handlersMax, 1, 1 << 16);
        range("connectionsMax", connectionsMax, 1, 1 << 20);
        range("queueMax", queueMax, 0, 1 << 20);
        positive("queueTimeout", queueTimeout, true);
        positive("requestTimeout", requestTimeout, false);
        positive("headerTimeout", headerTimeout, false);
        positive("bodyTimeout", bodyTimeout, false);
        positive("idleTimeout", idleTimeout, false);
        positive("writeTimeout", writeTimeout, false);
        range("headerBytesMax", headerBytesMax, 256, 1 << 20);
        range("headerCountMax", headerCountMax, 1, 1 << 12);
        range("bodyBytesMax", bodyBytesMax, 0, 1 << 30);
        range("responseBytesMax", responseBytesMax, 0, 1 << 30);
        range("readBufferBytes", readBufferBytes, 512, 1 << 24);
        if (handlerMemoryBytes < 0 || handlerMemoryBytes > (1L << 40)) {
            throw new IllegalArgumentException("handlerMemoryBytes must be between 0 and 1 TiB, got "
                    + handlerMemoryBytes);
        }
        if (handlerStackBytes < 0 || handlerStackBytes > (1L << 30)) {
            throw new IllegalArgumentException("handlerStackBytes must be between 0 and 1 GiB, got " + handlerStackBytes);
        }
        Objects.requireNonNull(healthPath, "healthPath is null; the default is /health");
        if (!healthPath.startsWith("/")) {
            throw new IllegalArgumentException("healthPath must start with '/', got '" + healthPath + "'");
        }
    }

    private static void range(String name, long v, long min, long max) {
        if (v < min || v > max) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + v);
        }
    }

    private static void positive(String name, Duration d, boolean zeroAllowed) {
        Objects.requireNonNull(d, name + " is null");
        if (d.isNegative() || (!zeroAllowed && d.isZero())) {
            throw new IllegalArgumentException(name + " must be " + (zeroAllowed ? "zero or more" : "positive")
                    + ", got " + d);
        }
        try {
            d.toNanos();
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException(name + " of " + d + " is too long; at most about 292 years", e);
        }
    }

    /**
     * The configuration without a declared handler stack (the components before {@code handlerStackBytes}), as
     * before that component was added.
     */
    public HttpServerConfig(InetAddress bindAddress, int port, int handlersMax, int connectionsMax, int queueMax,
            Duration queueTimeout, Duration requestTimeout, Duration headerTimeout, Duration bodyTimeout,
            Duration idleTimeout, Duration writeTimeout, int headerBytesMax, int headerCountMax, int bodyBytesMax,
            int responseBytesMax, int readBufferBytes, long handlerMemoryBytes, boolean handlersOnConnectionLoop,
            String healthPath) {
        this(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout, requestTimeout, headerTimeout,
                bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax, bodyBytesMax, responseBytesMax,
                readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, 0);
    }

    /** The defaults (see the table above), listening on the loopback address on a free port. */
    public static HttpServerConfig defaults() {
        return new HttpServerConfig(InetAddress.getLoopbackAddress(), 0, 64, 1024, 64, Duration.ofMillis(100),
                Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60),
                Duration.ofSeconds(30), 8 * 1024, 64, 64 * 1024, 64 * 1024, 8 * 1024, 1L << 20, false, "/health", 0L);
    }

    /**
     * With each handler's stack declared as {@code bytes} (from {@link dev.weft.memory.StackBound#bytes()}): the
     * plan gets a line of {@code handlersMax} handler stacks. 0 takes it away.
     */
    public HttpServerConfig withHandlerStackBytes(long bytes) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout,
                requestTimeout, headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax,
                bodyBytesMax, responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop,
                healthPath, bytes);
    }

    /**
     * With each handler's stack bounded by {@code stack} (the analysis of the handler's entry method).
     *
     * @throws IllegalArgumentException if {@code stack} is not a bound, naming its first unresolved site
     */
    public HttpServerConfig withHandlerStack(dev.weft.memory.StackBound stack) {
        Objects.requireNonNull(stack, "stack is null; compute one with StackBound.analyser().analyse(...)");
        if (!stack.isBounded()) {
            dev.weft.memory.StackBound.Site first = stack.unresolved().isEmpty() ? null : stack.unresolved().get(0);
            throw new IllegalArgumentException("the handler stack of " + stack.entry() + " has no bound"
                    + (first == null ? "" : " (first: " + first.kind() + " at " + first.location() + "; fix: "
                    + first.fix() + ")") + "; print stack.report() for every site");
        }
        return withHandlerStackBytes(stack.bytes());
    }

    /** With another listening address. */
    public HttpServerConfig withBindAddress(InetAddress a) {
        return new HttpServerConfig(a, port, handlersMax, connectionsMax, queueMax, queueTimeout, requestTimeout,
                headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax, bodyBytesMax,
                responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With another port (0: a free one). */
    public HttpServerConfig withPort(int p) {
        return new HttpServerConfig(bindAddress, p, handlersMax, connectionsMax, queueMax, queueTimeout, requestTimeout,
                headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax, bodyBytesMax,
                responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With {@code n} handler slots. */
    public HttpServerConfig withHandlersMax(int n) {
        return new HttpServerConfig(bindAddress, port, n, connectionsMax, queueMax, queueTimeout, requestTimeout,
                headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax, bodyBytesMax,
                responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With {@code n} connection slots. */
    public HttpServerConfig withConnectionsMax(int n) {
        return new HttpServerConfig(bindAddress, port, handlersMax, n, queueMax, queueTimeout, requestTimeout,
                headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax, bodyBytesMax,
                responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With a waiting line of {@code max} requests, each waiting at most {@code timeout} for a handler slot. */
    public HttpServerConfig withQueue(int max, Duration timeout) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, max, timeout, requestTimeout,
                headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax, bodyBytesMax,
                responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With another per-request deadline. */
    public HttpServerConfig withRequestTimeout(Duration d) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout, d,
                headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax, bodyBytesMax,
                responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With other slow-client limits: the head, the body, and the wait for a kept-alive connection's next request. */
    public HttpServerConfig withClientTimeouts(Duration header, Duration body, Duration idle) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout,
                requestTimeout, header, body, idle, writeTimeout, headerBytesMax, headerCountMax, bodyBytesMax,
                responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With another write timeout. */
    public HttpServerConfig withWriteTimeout(Duration d) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout,
                requestTimeout, headerTimeout, bodyTimeout, idleTimeout, d, headerBytesMax, headerCountMax,
                bodyBytesMax, responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop,
                healthPath, handlerStackBytes);
    }

    /** With other head limits: bytes of the request line and fields, and the number of fields. */
    public HttpServerConfig withHeaderLimits(int bytesMax, int countMax) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout,
                requestTimeout, headerTimeout, bodyTimeout, idleTimeout, writeTimeout, bytesMax, countMax, bodyBytesMax,
                responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With another request body limit (each handler slot preallocates it). */
    public HttpServerConfig withBodyBytesMax(int n) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout,
                requestTimeout, headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax, n,
                responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With another response body limit (each handler slot preallocates it). */
    public HttpServerConfig withResponseBytesMax(int n) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout,
                requestTimeout, headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax,
                bodyBytesMax, n, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With another read buffer per connection. */
    public HttpServerConfig withReadBufferBytes(int n) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout,
                requestTimeout, headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax,
                bodyBytesMax, responseBytesMax, n, handlerMemoryBytes, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** With another memory budget per handler (the handler's declared working memory). */
    public HttpServerConfig withHandlerMemoryBytes(long n) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout,
                requestTimeout, headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax,
                bodyBytesMax, responseBytesMax, readBufferBytes, n, handlersOnConnectionLoop, healthPath, handlerStackBytes);
    }

    /** Whether handlers run on their connection's loop (true) or on the stealing pool (false, the default). */
    public HttpServerConfig withHandlersOnConnectionLoop(boolean onLoop) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout,
                requestTimeout, headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax,
                bodyBytesMax, responseBytesMax, readBufferBytes, handlerMemoryBytes, onLoop, healthPath, handlerStackBytes);
    }

    /** With another path for the health lane. */
    public HttpServerConfig withHealthPath(String path) {
        return new HttpServerConfig(bindAddress, port, handlersMax, connectionsMax, queueMax, queueTimeout,
                requestTimeout, headerTimeout, bodyTimeout, idleTimeout, writeTimeout, headerBytesMax, headerCountMax,
                bodyBytesMax, responseBytesMax, readBufferBytes, handlerMemoryBytes, handlersOnConnectionLoop, path, handlerStackBytes);
    }
}
