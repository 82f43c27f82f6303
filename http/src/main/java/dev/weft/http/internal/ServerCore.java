package dev.weft.http.internal;

import dev.weft.internal.event.Jfr;
import dev.weft.CancelScope;
import dev.weft.Loop;
import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.memory.ObjectPool;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Function;

/**
 * The server's machinery: the listening socket, the connection and handler slots, admission, the acceptor
 * loop and shutdown. The public {@code HttpServer} builds one after its memory plan is committed.
 *
 * <h2>Implementation overview</h2>
 * {@link #serve} runs the acceptor in the calling task inside a supervising nursery: each accepted socket takes
 * a free connection slot and is served by a task on the next loop of {@code Weft.loops()} (round robin); with
 * every connection slot taken, the socket gets a 503 and is closed at once by the acceptor. Handlers run in
 * child tasks of their connection task, on the handler loop the configuration chose, and write their answers.
 * Beside the acceptor, the timeout sweep ({@link #sweep}) bounds every connection's writes and kept-alive waits
 * until the server has drained and its last connection closed. {@link #shutdown} closes the
 * listener (the acceptor's {@code accept} fails and it stops), then tells every connection to drain: idle ones
 * close now, busy ones finish their request (with {@code Connection: close}) and close; the nursery waits for
 * all of them, so {@code serve} returns only when no request is left.
 *
 * <h2>States</h2>
 * <table>
 * <caption>Server states (field {@code state})</caption>
 * <tr><th>state</th><th>meaning</th><th>next</th></tr>
 * <tr><td>{@code ST_BOUND}</td><td>listening; nothing accepted yet</td><td>SERVING ({@code serve}), STOPPED
 *     ({@code shutdown} or {@code close} first)</td></tr>
 * <tr><td>{@code ST_SERVING}</td><td>the acceptor runs</td><td>DRAINING ({@code shutdown}, or the serving task
 *     cancelled)</td></tr>
 * <tr><td>{@code ST_DRAINING}</td><td>no new connections; requests in progress finish</td><td>STOPPED (every
 *     connection closed)</td></tr>
 * <tr><td>{@code ST_STOPPED}</td><td>{@code serve} returned or never ran</td><td>-</td></tr>
 * </table>
 *
 * <h2>Thread safety</h2>
 * {@link #serve} from one task, once; {@link #shutdown}, {@link #busyConnections} and the counters from any
 * thread.
 */
public final class ServerCore {
    /** Listening; nothing accepted yet. */
    static final int ST_BOUND = 0;
    /** The acceptor runs. */
    static final int ST_SERVING = 1;
    /** No new connections; requests in progress finish. */
    static final int ST_DRAINING = 2;
    /** Stopped. */
    static final int ST_STOPPED = 3;

    /** The pause after a failed accept (out of file descriptors): the acceptor must not spin on the error. */
    private static final java.time.Duration ACCEPT_BACKOFF = java.time.Duration.ofMillis(50);

    private final Limits limits;
    private final Dispatch dispatch;
    private final Counters counters;
    private final HandlerSlot[] handlers;
    private final Admission admission;
    private final Connection[] connections;
    private final ObjectPool<Connection> connectionPool;
    private final ServerSocket listener;
    /** The acceptor's writer for refusals (acceptor task only). */
    private final ResponseWriter refusals = new ResponseWriter(1024);
    private final ByteBuffer refusalBody = ByteBuffer.allocate(256);
    /**
     * Counted down when the acceptor has stopped (or will never run): the listening socket is then really closed.
     * The JDK defers closing a socket a virtual thread is blocked on until that thread wakes, so until then the
     * kernel still accepts connections into the backlog.
     */
    private final java.util.concurrent.CountDownLatch acceptorStopped = new java.util.concurrent.CountDownLatch(1);
    /** How long {@link #shutdown} waits for the acceptor to stop. */
    private static final long ACCEPTOR_STOP_SECONDS = 10;
    /** See the state table. Any thread; changed under this object's monitor. */
    private volatile int state = ST_BOUND;
    /**
     * The timeout sweep's scope: cancelled once the server drained and its last connection closed (or with the
     * serving task). Any thread cancels it; the sweep task enters it.
     */
    private final CancelScope sweepScope = CancelScope.create().name("http timeout sweep");
    /** The sweep's period: a sixteenth of the shorter of the write and idle timeouts, 1 ms to 1 s. */
    private final long sweepPeriodNs;

    /**
     * Builds the slots and binds the listener.
     *
     * @param handlers      the preallocated handler slots
     * @param handlerLoop   chooses where a connection's handlers run, given the connection's loop
     * @throws IOException  if the address cannot be bound
     */
    public ServerCore(Limits limits, Dispatch dispatch, Counters counters, HandlerSlot[] handlers,
            Function<Loop, Loop> handlerLoop, List<Loop> loops) throws IOException {
        this.limits = limits;
        this.dispatch = dispatch;
        this.counters = counters;
        this.handlers = handlers.clone();
        int[] next = {0};
        ObjectPool<HandlerSlot> slots = ObjectPool.preallocate("http handler slots", handlers.length,
                () -> this.handlers[next[0]++]);
        // the limit's floor: two handlers per loop, so a carrier never idles while the next handler is handed over
        this.admission = new Admission(slots, limits, 2 * loops.size());
        this.connections = new Connection[limits.connectionsMax()];
        for (int i = 0; i < connections.length; i++) {
            Loop home = loops.get(i % loops.size());
            connections[i] = new Connection(i, limits, admission, dispatch, counters, handlerLoop.apply(home));
        }
        int[] c = {0};
        this.connectionPool = ObjectPool.preallocate("http connection slots", connections.length, () -> connections[c[0]++]);
        ServerSocket s = new ServerSocket();
        try {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(limits.bindAddress(), limits.port()), limits.backlog());
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot listen on " + limits.bindAddress().getHostAddress() + ":" + limits.port()
                    + " (" + e.getMessage() + "); choose another port (0 picks a free one) or stop what uses it", e);
        }
        this.listener = s;
        long shorterNs = Math.min(limits.writeTimeoutNs(), limits.idleTimeoutNs());
        this.sweepPeriodNs = Math.max(1_000_000L, Math.min(1_000_000_000L, shorterNs / 16));
    }

    /** The port the server listens on. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Admission (slots busy, queued, the drain rate). */
    public Admission admission() {
        return admission;
    }

    /** The handler slots. */
    public HandlerSlot[] handlerSlots() {
        return handlers.clone();
    }

    /** Connections open now. */
    public int openConnections() {
        return connectionPool.inUse();
    }

    /** Connections with a request in progress. */
    public int busyConnections() {
        int n = 0;
        for (Connection c : connections) {
            n += c.busy() ? 1 : 0;
        }
        return n;
    }

    /** Whether shutdown began. */
    public boolean draining() {
        return state >= ST_DRAINING;
    }

    /**
     * Accepts and serves connections until {@link #shutdown} (then returns once every request in progress has
     * been answered) or until the calling task is cancelled (then every handler is cancelled and its cleanup
     * runs before this returns).
     */
    public void serve() {
        if (!Weft.inTask()) {
            throw new IllegalStateException("HttpServer.serve() called outside a Weft task; call it inside Weft.run");
        }
        synchronized (this) {
            if (state != ST_BOUND) {
                throw new IllegalStateException("HttpServer.serve() called " + (state == ST_STOPPED ? "after shutdown"
                        : "twice") + "; bind a new server to serve again");
            }
            state = ST_SERVING;
        }
        List<Loop> loops = Weft.loops();
        if (listener.isClosed()) { // shut down between the state change and here
            acceptorStopped.countDown();
        }
        try {
            TaskScope.supervise(scope -> {
                scope.spawn("http-sweep", this::sweep);
                int next = 0;
                try {
                    while (true) {
                        Socket s;
                        try {
                            s = listener.accept();
                        } catch (IOException e) {
                            if (draining() || listener.isClosed()) {
                                return null;
                            }
                            // out of file descriptors, a network error: report, back off, go on
                            dispatch.internalError("http acceptor (backing off " + ACCEPT_BACKOFF.toMillis() + " ms)", e);
                            Weft.sleep(ACCEPT_BACKOFF);
                            continue;
                        }
                        Connection c = connectionPool.tryAcquire();
                        if (c == null) {
                            refuse(s);
                            continue;
                        }
                        counters.connectionsAccepted.increment();
                        configure(s);
                        Loop loop = loops.get(next);
                        next = (next + 1) % loops.size();
                        scope.spawnOn(loop, "http-conn-" + c.index(), () -> {
                            try {
                                c.serve(s, draining());
                            } finally {
                                connectionPool.release(c);
                                stopSweepIfDone();
                            }
                            return null;
                        });
                    }
                } finally {
                    beginDrain(); // also when the serving task is cancelled: nothing new is accepted
                    acceptorStopped.countDown();
                    stopSweepIfDone();
                }
            }, (task, error) -> dispatch.internalError("http task " + task.name(), error));
        } finally {
            state = ST_STOPPED;
        }
    }

    /**
     * The timeout sweep: every {@link #sweepPeriodNs}, each connection closes itself if a write or a kept-alive
     * wait is past its timeout ({@link Connection#sweep}). One timer per period for the whole server instead of
     * two per request (a write timeout and an idle deadline per answer cost a seventh of the {@code /hello} peak
     * in timer arming and disarming). A timeout therefore ends up to one period late. Ends when
     * {@link #sweepScope} is cancelled.
     */
    private Void sweep() {
        sweepScope.run(() -> {
            java.time.Duration period = java.time.Duration.ofNanos(sweepPeriodNs);
            while (true) { // until the scope is cancelled; each round is bounded by connectionsMax
                Weft.sleep(period);
                long nowNs = Weft.nanoTime();
                for (Connection c : connections) {
                    c.sweep(nowNs);
                }
            }
        });
        return null;
    }

    /** Ends the sweep once nothing is left to bound: the server drains and no connection is open. */
    private void stopSweepIfDone() {
        if (draining() && connectionPool.inUse() == 0) { // both sides check after their own change
            sweepScope.cancel();
        }
    }

    /**
     * Stops accepting; requests in progress finish and {@link #serve} returns after them. Returns once the
     * listening socket is closed (at most {@value #ACCEPTOR_STOP_SECONDS} s for the acceptor to wake). Idempotent;
     * any thread; in a task, the wait is a cancellation point.
     */
    public void shutdown() {
        synchronized (this) {
            if (state == ST_BOUND) {
                state = ST_STOPPED;
                acceptorStopped.countDown();
            }
        }
        beginDrain();
        try {
            if (!acceptorStopped.await(ACCEPTOR_STOP_SECONDS, java.util.concurrent.TimeUnit.SECONDS)) {
                dispatch.internalError("http shutdown", new IllegalStateException("the acceptor did not stop within "
                        + ACCEPTOR_STOP_SECONDS + " s; the listening socket may accept connections until it does"
                        + " (is the loop that runs serve() blocked?)"));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void beginDrain() {
        synchronized (this) {
            if (state == ST_SERVING) {
                state = ST_DRAINING;
            }
        }
        try {
            listener.close();
        } catch (IOException ignored) {
            // already closed
        }
        for (Connection c : connections) {
            c.drain();
        }
    }

    /** Releases the listener and the slots' holds on the handlers' budget. */
    public void close() {
        shutdown();
        for (HandlerSlot h : handlers) {
            h.closeHold();
        }
    }

    private static void configure(Socket s) {
        try {
            s.setTcpNoDelay(true);
        } catch (SocketException ignored) {
            // a socket that is already broken fails at its first read
        }
    }

    /** Every connection slot is taken: 503 with Retry-After, written by the acceptor, then close. */
    private void refuse(Socket s) {
        counters.connectionsRefused.increment();
        if (Jfr.recording) {
            ServerEvents.rejected("every connection slot in use", 0, 1);
        }
        try (s) {
            refusalBody.clear();
            refusalBody.put(("server busy: all " + limits.connectionsMax() + " connection slots are in use\n")
                    .getBytes(StandardCharsets.US_ASCII));
            refusalBody.flip();
            refusals.write(s.getOutputStream(), 503, null, refusalBody, true, "1", "text/plain; charset=utf-8", false,
                    limits.writeTimeoutNs());
            s.shutdownOutput();
        } catch (IOException ignored) {
            // the client went away first
        }
    }
}
