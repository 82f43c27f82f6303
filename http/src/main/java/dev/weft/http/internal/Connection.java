package dev.weft.http.internal;

import dev.weft.internal.event.Jfr;
import dev.weft.CancelReason;
import dev.weft.CancelScope;
import dev.weft.Cancelled;
import dev.weft.Channel;
import dev.weft.Loop;
import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.memory.MemoryLimitError;
import dev.weft.memory.RuntimeStaticSized;
import dev.weft.memory.Sizes;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpCompliance;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpGenerator;
import org.eclipse.jetty.http.HttpParser;
import org.eclipse.jetty.http.HttpVersion;

/**
 * One of the server's {@code connectionsMax} connection slots, and the task that serves a connection in it:
 * reads requests with Jetty's {@link HttpParser}, admits each to a handler slot, hands it to a handler task that
 * runs the handler and writes the response with Jetty's {@link HttpGenerator}, and keeps reading while the
 * handler runs (an end of stream then is a disconnect, which cancels the handler). Allocated once at startup,
 * reused for every connection the slot serves.
 *
 * <h2>Implementation overview</h2>
 * Two tasks per connection, in one supervising nursery: the <em>connection task</em> (this class's
 * {@link #serve}: read, parse, admit) on the connection's loop, and while a request is handled its
 * <em>handler task</em> ({@link #runExchange}) on the handler loop (the stealing pool by default): it runs the
 * handler in the request's cancel scope with the slot's budget bound, writes the answer, returns the slot and
 * posts how the exchange ended on a channel of capacity 1 ({@link Event}). Meanwhile the connection task blocks
 * in the socket's read itself ({@link #handOff}): an end of stream while the handler runs is a disconnect (it
 * cancels the request's scope and waits for the handler task); bytes are the next request, read the moment the
 * client sends it, with no hand-over between tasks. Per kept-alive request: one spawn and one wake-up of the
 * connection task by the JDK's poller.
 *
 * <p>Timeouts: the idle wait before a connection's first request (and after an answer the connection task wrote
 * itself) is a cancel scope with a deadline; its cancellation interrupts the read, which closes the socket,
 * as the idle timeout wants. A head that did not come in one read, a body and the lingering read after a
 * refusal are read with the socket's timeout set to what is left until a fixed deadline, so the socket stays
 * open for the 408 and a byte now and then cannot stretch the limit. Writes, and the kept-alive wait after a
 * handler task's answer, are bounded by the server's timeout sweep ({@link #sweep}): it closes the socket past
 * {@link #expiryNs}, so no timer is armed per answer.
 *
 * <p>The read buffer belongs to the connection task; the handler task reads the request's head and body from the
 * slot, which the connection task leaves alone until the handler task's event (the channel is the
 * happens-before edge). Bytes read while the handler runs are only appended behind the request.
 *
 * <p>Things that don't work: interrupting the connection task's read when the handler finishes. An interrupted
 * socket read on a virtual thread closes the socket. Solution: nothing has to wake it; the handler task writes
 * the answer itself, and the read in progress simply becomes the wait for the next request. A reader task that
 * owns every read (the design before): two hand-overs per request (reader to connection task, handler back to
 * it) on top of the spawn; at the {@code /hello} peak the server reached 0.76 times Jetty's rate. A socket
 * timeout as the slow-client limit: it bounds the gap between two bytes, not the head, so a slowloris client
 * sending a byte every few seconds holds the connection forever. Solution: one fixed deadline from the first
 * byte of the head (and one for the body), the socket timeout recomputed from it for each read. A cancel scope
 * with a deadline around every write and every kept-alive wait: two timers armed and disarmed per answer, a
 * seventh of the {@code /hello} peak's samples. Solution: the sweep.
 *
 * <h2>States</h2>
 * <table>
 * <caption>Connection states (field {@code state})</caption>
 * <tr><th>state</th><th>meaning</th><th>next</th></tr>
 * <tr><td>{@code ST_FREE}</td><td>the slot serves no connection</td><td>HEAD (accepted)</td></tr>
 * <tr><td>{@code ST_HEAD}</td><td>reading a request head (or, after a handler task's answer, waiting for one);
 *     idle timeout before its first byte, header timeout after</td><td>ADMIT, WRITE (health lane, 4xx, 408),
 *     CLOSING (EOF, idle, shutdown)</td></tr>
 * <tr><td>{@code ST_ADMIT}</td><td>waiting for a handler slot (bounded)</td><td>BODY, WRITE (503)</td></tr>
 * <tr><td>{@code ST_BODY}</td><td>reading the body into the handler slot; body timeout</td>
 *     <td>HANDLE, WRITE (413, 400, 408), CLOSING (EOF)</td></tr>
 * <tr><td>{@code ST_HANDLE}</td><td>the handler task runs the handler; the connection task reads on, to see a
 *     disconnect (set by the connection task)</td><td>WRITE (by the handler task), CLOSING (disconnect: handler
 *     cancelled, its cleanup awaited)</td></tr>
 * <tr><td>{@code ST_WRITE}</td><td>writing a response (the handler task's answer, or the connection task's own:
 *     health, 503, 4xx); write timeout by the sweep</td><td>HEAD (keep-alive), CLOSING</td></tr>
 * <tr><td>{@code ST_CLOSING}</td><td>socket closed; the handler task is joined; the handler slot has
 *     returned</td><td>FREE</td></tr>
 * </table>
 *
 * <h2>Thread safety</h2>
 * Everything belongs to the connection task except: {@link #state} (volatile; written by the connection task,
 * and by the handler task between the hand-off and its event; read by shutdown and statistics on any thread),
 * {@link #draining} and {@link #exchangeActive} (volatile; a Dekker pair between shutdown and the handler task),
 * {@link #idleWait} (volatile; cancelled by shutdown), {@link #expiryNs} (volatile; read by the sweep),
 * {@link #handlerRunning} (under {@link #handlerLock}), the writer and the small buffer (the handler task's
 * between the hand-off and its event), and the handler slot (see {@link HandlerSlot}).
 */
public final class Connection implements RuntimeStaticSized {
    /** The slot serves no connection. */
    static final int ST_FREE = 0;
    /** Reading a request head. */
    static final int ST_HEAD = 1;
    /** Waiting for a handler slot. */
    static final int ST_ADMIT = 2;
    /** Reading a request body. */
    static final int ST_BODY = 3;
    /** A handler runs. */
    static final int ST_HANDLE = 4;
    /** Writing a response. */
    static final int ST_WRITE = 5;
    /** Closing. */
    static final int ST_CLOSING = 6;

    /** How an exchange ended, posted by its handler task to the connection task. */
    enum Event {
        /** The answer was written and the connection stays open: the next request may be read. */
        KEEP_ALIVE,
        /** The connection is to close: an answer with Connection: close, a failed write, or a disconnect. */
        CLOSE
    }

    /** A direct read's result besides a byte count: end of stream, an error, or a cancelled wait. */
    private static final int READ_EOF = -1;
    /** A direct read's result: the socket's timeout passed (the socket stays open). */
    private static final int READ_TIMEOUT = -2;

    /** Lingering close: how much input to discard after an error response, so the client reads it before a reset. */
    private static final int LINGER_BYTES_MAX = 64 * 1024;
    private static final long LINGER_NS = 1_000_000_000L;
    /** Parser calls per request without progress before the request is refused (a limit on the parse loop). */
    private static final int PARSE_STALLS_MAX = 4;

    private final int index;
    private final Limits limits;
    private final Admission admission;
    private final Dispatch dispatch;
    private final Counters counters;
    private final Loop handlerLoop;
    private final ByteBuffer read;
    private final ResponseWriter writer;
    private final ByteBuffer small;
    private final RequestHead head;
    /** Jetty's parser; a new one replaces it when a connection left it closed (Jetty cannot reset a closed one). */
    private HttpParser parser;
    private final ParseEvents parseEvents = new ParseEvents();
    /** The handler task's end (capacity 1: one exchange at a time). */
    private final Channel<Event> events = Channel.create(1);
    /** Orders a disconnect's cancel against the handler's end (see {@link #handOff}). */
    private final Object handlerLock = new Object(); // and pairs the socket with its expiry for the sweep
    private final long sizeBytesMax;
    /** The name of this slot's idle wait, made once (not concatenated per request). */
    private final String idleWaitName;

    /** See the state table. Written by the connection task; read by any thread. */
    private volatile int state = ST_FREE;
    /** Set by shutdown: finish the request in progress, then close. Any thread. */
    private volatile boolean draining;
    /**
     * The wait for a next request's first byte, which shutdown cancels (and, during an exchange, the read that
     * watches for a disconnect, whose deadline the handler task sets). Connection task; read by shutdown and by
     * the handler task.
     */
    private volatile CancelScope idleWait;
    /**
     * From the hand-off to the handler task until it has written its answer: shutdown leaves the connection task's
     * read alone meanwhile (the handler task closes the connection). Written by both in turn; read by shutdown.
     */
    private volatile boolean exchangeActive;
    /** While the handler runs: a disconnect cancels it. Written under {@link #handlerLock} by both tasks in turn. */
    private boolean handlerRunning;
    /**
     * When the timeout sweep closes this connection ({@code Weft.nanoTime()}): a write, or a kept-alive wait after
     * a handler task's answer, past its timeout; 0 for none. Written by the task that writes or waits (the
     * connection task, or its handler task while it has the connection); read by the sweep.
     */
    private volatile long expiryNs;

    // Connection task only, unless noted.
    private InputStream in;
    private OutputStream out;
    /** Written by the connection task under {@link #handlerLock} (with {@link #expiryNs}); closed by the sweep. */
    private Socket socket;
    /** The socket's read timeout as last set (0: none). */
    private int soTimeoutMs;
    private boolean eof;
    /** The slot of the request being read; null once it is handed to its handler task, which returns it. */
    private HandlerSlot slot;
    // parser callbacks (connection task: the parser runs there)
    private boolean headComplete;
    private boolean messageComplete;
    private boolean bodyTooLarge;
    /** The parser ended the message early: at the end of the stream, or on a malformed body. */
    private boolean earlyEof;
    private int badStatus;
    private String badReason;

    public Connection(int index, Limits limits, Admission admission, Dispatch dispatch, Counters counters,
            Loop handlerLoop) {
        this.index = index;
        this.limits = limits;
        this.admission = admission;
        this.dispatch = dispatch;
        this.counters = counters;
        this.handlerLoop = handlerLoop;
        this.read = ByteBuffer.allocate(limits.readBufferBytes());
        this.writer = new ResponseWriter(Limits.RESPONSE_HEAD_BYTES);
        this.small = ByteBuffer.allocate(Limits.SMALL_BODY_BYTES);
        this.head = new RequestHead(limits.headerCountMax());
        this.parser = newParser();
        this.sizeBytesMax = sizeBytesMax(limits);
        this.idleWaitName = "http idle connection " + index;
    }

    /**
     * The footprint of one connection slot: the slot, its read buffer, response head and small-body buffers, its
     * request head arrays and the head's strings at their bound (the head's characters are ISO-8859-1, one byte
     * each in a compact string: {@code headerBytesMax} bytes, plus a name and a value string per field), the parser
     * with its one token builder at its bound (grown by doubling: twice {@code headerBytesMax}; its per-connection
     * field cache is off, so only Jetty's static cache is used), the generator and the two channels. Not counted:
     * the JDK's socket objects (a few hundred bytes per connection) and the parser's few small objects of the
     * request in progress (its method, host and current field), covered by {@link #PARSER_SMALL_BYTES}. Counted too: the
     * slot's three task and scope names, made once.
     */
    public static long sizeBytesMax(Limits limits) {
        long perString = Sizes.add(Sizes.shallowSizeBytes(String.class), Sizes.arraySizeBytes(byte.class, 0));
        long strings = Sizes.add(limits.headerBytesMax(), Sizes.multiply(2L * limits.headerCountMax(), perString + 8));
        long parser = Sizes.sum(Sizes.shallowSizeBytes(HttpParser.class), Sizes.shallowSizeBytes(StringBuilder.class),
                Sizes.arraySizeBytes(byte.class, 2 * limits.headerBytesMax()), PARSER_SMALL_BYTES);
        return Sizes.sum(Sizes.shallowSizeBytes(Connection.class),
                Sizes.byteBufferSizeBytes(limits.readBufferBytes()),
                ResponseWriter.sizeBytesMax(Limits.RESPONSE_HEAD_BYTES),
                Sizes.byteBufferSizeBytes(Limits.SMALL_BODY_BYTES),
                Sizes.shallowSizeBytes(RequestHead.class),
                Sizes.multiply(2, Sizes.arraySizeBytes(String.class, limits.headerCountMax())),
                strings, parser,
                Sizes.add(Sizes.shallowSizeBytes(Channel.class), Sizes.arraySizeBytes(Object.class, 1)),
                Sizes.shallowSizeBytes(Object.class), // the handler lock
                NAME_BYTES_MAX);
    }

    /** One of the slot's names (a string of at most 40 ISO-8859-1 characters). */
    static final long NAME_BYTES_MAX = Sizes.add(Sizes.shallowSizeBytes(String.class), Sizes.arraySizeBytes(byte.class, 40));

    /** The parser's small objects besides its builder (its field cache shell, method, host, current field). */
    static final long PARSER_SMALL_BYTES = 1024;

    @Override
    public long deepSizeBytesMax() {
        return sizeBytesMax;
    }

    private HttpParser newParser() {
        HttpParser p = new HttpParser(parseEvents, limits.headerBytesMax(), HttpCompliance.RFC9110);
        p.setHeaderCacheSize(0); // no per-connection cache of the fields it saw: its size would be unbounded here
        return p;
    }

    /** The slot's index. */
    public int index() {
        return index;
    }

    /**
     * The transitions of the state table: a head after a free slot or an answer; admission or an answer after a
     * head; the body or a 503 after admission; the handler or an answer after the body; the answer after the
     * handler; closing from anywhere; free after closing. (The health lane and the 503 path read the rest of their
     * request in {@code ST_WRITE}'s neighbourhood: from {@code ST_WRITE}, a further answer or a head.)
     */
    private static final boolean[][] ALLOWED = allowed();

    private static boolean[][] allowed() {
        boolean[][] a = new boolean[ST_CLOSING + 1][ST_CLOSING + 1];
        int[][] edges = {{ST_FREE, ST_HEAD}, {ST_HEAD, ST_HEAD}, {ST_HEAD, ST_ADMIT}, {ST_HEAD, ST_WRITE},
            {ST_ADMIT, ST_BODY}, {ST_ADMIT, ST_WRITE}, {ST_BODY, ST_HANDLE}, {ST_BODY, ST_WRITE},
            {ST_HANDLE, ST_WRITE}, {ST_WRITE, ST_WRITE}, {ST_WRITE, ST_HEAD}, {ST_CLOSING, ST_FREE}};
        for (int[] e : edges) {
            a[e[0]][e[1]] = true;
        }
        for (int from = ST_FREE; from <= ST_CLOSING; from++) {
            a[from][ST_CLOSING] = from != ST_FREE;
        }
        return a;
    }

    /** Moves to {@code next}, asserting the transition is in the table (connection task only). */
    private void to(int next) {
        int from = state;
        assert ALLOWED[from][next] : "connection slot " + index + ": no transition from state " + from + " to " + next;
        state = next;
    }

    /** Whether a request is in progress (admitted, handled or being written). */
    boolean busy() {
        int s = state;
        return s == ST_ADMIT || s == ST_BODY || s == ST_HANDLE || s == ST_WRITE;
    }

    /** Shutdown: the connection finishes the request in progress and closes; an idle one closes now. Any thread. */
    void drain() {
        draining = true;
        // after the flag (a Dekker pair with runExchange, both sides volatile): while an exchange is active its
        // handler task answers with Connection: close and ends the connection; else the idle wait is cut short
        if (!exchangeActive) {
            CancelScope w = idleWait; // a connection that set idleWait before reading the flag is cancelled here
            if (w != null) {
                w.cancel();
            }
        }
    }

    /**
     * The timeout sweep ({@link ServerCore}, any thread): closes the connection if a write, or a kept-alive wait
     * after an answer, is past its timeout. A blocked write then fails, a blocked read ends; either task ends the
     * connection as it would after a reset.
     */
    void sweep(long nowNs) {
        long at = expiryNs;
        if (at == 0 || nowNs - at < 0) {
            return;
        }
        synchronized (handlerLock) { // the socket and its expiry of one connection, not of the slot's next one
            at = expiryNs;
            if (at != 0 && nowNs - at >= 0 && socket != null) {
                expiryNs = 0;
                closeSocket();
            }
        }
    }

    /** Serves {@code s} until it closes; returns with the socket closed and the handler slot returned. */
    public void serve(Socket s, boolean drainingNow) {
        assert state == ST_FREE && slot == null : "connection slot " + index + " reused while in state " + state;
        synchronized (handlerLock) {
            socket = s;
            expiryNs = 0;
        }
        eof = false;
        soTimeoutMs = 0;
        read.clear().limit(0);
        draining = drainingNow;
        if (parser.isState(HttpParser.State.CLOSE) || parser.isState(HttpParser.State.CLOSED)) {
            parser = newParser(); // the last connection ended in a refusal or a close
        }
        to(ST_HEAD);
        try {
            in = s.getInputStream();
            out = s.getOutputStream();
            TaskScope.supervise(scope -> {
                try {
                    exchanges(scope);
                } finally {
                    closeSocket(); // a handler task still writing fails its write and ends; the nursery joins it
                }
                return null;
            }, (task, error) -> dispatch.internalError("http connection " + index + ", task " + task.name(), error));
        } catch (IOException e) {
            closeSocket();
        } finally {
            if (slot != null) {
                returnSlot(slot);
                slot = null;
            }
            while (events.tryReceive() != null) {
                // the end of a handler task that was not awaited (the connection task was cancelled)
            }
            idleWait = null;
            exchangeActive = false;
            synchronized (handlerLock) {
                socket = null;
                expiryNs = 0;
            }
            in = null;
            out = null;
            head.reset();
            to(ST_CLOSING); // after the nursery: no handler task writes the state any more
            to(ST_FREE);
        }
    }

    /** Requests, one after another, until the connection is to close. */
    private void exchanges(TaskScope scope) {
        while (true) {
            to(ST_HEAD);
            if (!readHead()) {
                return;
            }
            counters.requests.increment();
            boolean close = head.wantsClose() || draining;
            long contentLength = parser.getContentLength();
            boolean hasBody = parser.isChunking() || contentLength > 0;
            long headNs = Weft.nanoTime();
            if (!hasBody && limits.healthPath().equals(head.path())
                    && ("GET".equals(head.method()) || "HEAD".equals(head.method()))) {
                if (!readRest(headNs + limits.bodyTimeoutNs())) {
                    return;
                }
                counters.health.increment();
                small.clear();
                dispatch.health(small);
                small.flip();
                to(ST_WRITE);
                if (!write(200, null, small, close, null, "application/json") || close) {
                    return;
                }
                continue;
            }
            if (contentLength > limits.bodyBytesMax()) {
                counters.badRequests.increment();
                refuse(413, "request body of " + contentLength + " bytes exceeds bodyBytesMax (" + limits.bodyBytesMax()
                        + "); send less, or raise HttpServerConfig.withBodyBytesMax");
                return;
            }
            if (hasBody && !parser.isChunking() && !awaitBodyBeforeAdmission(contentLength, head.field("Expect"),
                    headNs + limits.bodyTimeoutNs())) {
                return;
            }
            to(ST_ADMIT);
            HandlerSlot s = admission.admit();
            if (s == null) {
                counters.rejected.increment();
                long retry = admission.retryAfterSeconds();
                if (Jfr.recording) {
                    ServerEvents.rejected("handlers busy and the queue full or timed out", admission.queued(), retry);
                }
                to(ST_WRITE);
                boolean closeNow = close || hasBody; // an unread body cannot be skipped cheaply
                if (!writeBusy(retry, closeNow) || closeNow) {
                    return;
                }
                if (!readRest(headNs + limits.bodyTimeoutNs())) {
                    return;
                }
                continue;
            }
            slot = s;
            s.lend();
            long deadlineNs = headNs + limits.requestTimeoutNs();
            s.begin(head, CancelScope.withDeadlineNs(deadlineNs).name(s.requestScopeName()), deadlineNs);
            to(ST_BODY);
            if (hasBody && "100-continue".equalsIgnoreCase(head.field("Expect")) && !writeContinue()) {
                return;
            }
            if (!readRest(headNs + limits.bodyTimeoutNs())) {
                return;
            }
            s.body().flip();
            if (!handOff(scope, s, close)) {
                return;
            }
        }
    }

    // ---- handling

    /**
     * Hands the request to its handler task, which runs the handler and writes the answer itself, and reads on
     * meanwhile: an end of stream while the handler runs is a disconnect (the handler is cancelled); bytes are the
     * next request (kept-alive) or pipelined ones. True if the connection goes on with the next request.
     */
    private boolean handOff(TaskScope scope, HandlerSlot s, boolean close) {
        CancelScope w = CancelScope.create().name(idleWaitName); // its deadline is set when the answer is written
        idleWait = w;
        exchangeActive = true;
        handlerRunning = true;
        slot = null; // the handler task's now: it returns the slot
        to(ST_HANDLE);
        admission.handingOff(s); // the adaptive limit measures the handler task's wait for a carrier from here
        scope.spawnOn(handlerLoop, s.taskName(), () -> runExchange(s, close, w));
        // pipelined bytes already here: no read (it could wait for bytes the client sends only after the answers)
        int n = !read.hasRemaining() && makeRoom() ? readUnder(w) : 0;
        Event e;
        if (n < 0) {
            eof = true;
            e = events.tryReceive();
            if (e == null) {
                synchronized (handlerLock) {
                    if (handlerRunning) { // the client went away while its handler runs
                        s.markDisconnected();
                        s.scope().cancel();
                    }
                }
                e = events.receive(); // the handler's cleanup ran and its slot returned
            }
        } else {
            e = events.receive(); // at once, in the common case: the client sends after it read the answer
            expiryNs = 0; // after the handler task set it: its kept-alive wait is over
        }
        idleWait = null;
        return e == Event.KEEP_ALIVE && !eof;
    }

    /**
     * The handler task: runs the handler in the request's scope with its budget bound, writes the answer, returns
     * the slot, sets the idle deadline of the connection task's read, and posts how the exchange ended.
     */
    @SuppressWarnings("try") // the binding is held for its scope, never read
    private Void runExchange(HandlerSlot s, boolean closeAsked, CancelScope idle) {
        admission.started(s);
        boolean keepAlive = false;
        boolean returned = false;
        try {
            try {
                try (var binding = s.budget().bind()) {
                    s.scope().run(() -> dispatch.handle(s));
                } finally {
                    synchronized (handlerLock) {
                        handlerRunning = false; // from here a disconnect no longer cancels (see handOff)
                    }
                }
                if (s.scope().cancelledCaught()) {
                    s.outcome(s.disconnected() ? HandlerSlot.Outcome.DISCONNECTED : HandlerSlot.Outcome.DEADLINE, null);
                } else {
                    s.outcome(HandlerSlot.Outcome.OK, null);
                }
            } catch (MemoryLimitError e) {
                s.outcome(HandlerSlot.Outcome.MEMORY, e.getMessage());
            } catch (Cancelled c) {
                if (c.reason() == CancelReason.MEMORY) {
                    Throwable why = c.getCause() != null ? c.getCause() : c;
                    s.outcome(HandlerSlot.Outcome.MEMORY, why.getMessage());
                } else {
                    s.outcome(HandlerSlot.Outcome.DISCONNECTED, null); // the server is stopping: nothing is sent
                    throw c;
                }
            } catch (Throwable t) {
                s.outcome(HandlerSlot.Outcome.FAILED, t.getClass().getName());
                dispatch.report("http handler for " + s.head().method() + " " + s.head().path(), t);
            }
            if (s.outcome() == HandlerSlot.Outcome.DISCONNECTED) {
                return null;
            }
            to(ST_WRITE);
            boolean close = closeAsked || draining; // shutdown began while the request was handled
            returned = true; // writeOutcome returns the slot
            boolean written = writeOutcome(s, close);
            keepAlive = written && !close;
            if (keepAlive) {
                to(ST_HEAD);
                exchangeActive = false;
                expiryNs = Weft.nanoTime() + limits.idleTimeoutNs(); // the idle timeout runs from here (the sweep)
                if (draining) { // after the flag, the other side of drain()'s check
                    idle.cancel();
                }
            }
        } finally {
            if (!returned) {
                returnSlot(s);
            }
            if (!keepAlive) {
                closeSocket(); // ends the connection task's read
            }
            boolean posted = events.trySend(keepAlive ? Event.KEEP_ALIVE : Event.CLOSE);
            assert posted : "the event channel holds the one handler task's end";
        }
        return null;
    }

    // ---- reading

    /** Reads and parses a request head; false when the connection is to close (answered if need be). */
    private boolean readHead() {
        head.reset();
        parser.reset();
        headComplete = false;
        messageComplete = false;
        bodyTooLarge = false;
        earlyEof = false;
        badStatus = 0;
        badReason = null;
        boolean started = false;
        long deadlineNs = Weft.nanoTime() + limits.idleTimeoutNs();
        while (true) {
            if (read.hasRemaining()) {
                int before = read.position();
                parser.parseNext(read);
                if (!started && (read.position() > before || !parser.isStart())) {
                    started = true;
                    deadlineNs = Weft.nanoTime() + limits.headerTimeoutNs();
                }
                if (badStatus != 0) {
                    counters.badRequests.increment();
                    refuse(badStatus, "bad request: " + badReason);
                    return false;
                }
                if (headComplete) {
                    if (head.tooManyFields()) {
                        counters.badRequests.increment();
                        refuse(431, "request has more than " + limits.headerCountMax() + " header fields; send fewer,"
                                + " or raise HttpServerConfig.withHeaderCountMax");
                        return false;
                    }
                    return true;
                }
                if (read.hasRemaining()) {
                    continue;
                }
            }
            if (eof) {
                return false; // a client that closes mid-head is gone; nothing to answer
            }
            boolean room = makeRoom();
            assert room : "the parser leaves no bytes behind, so there is room to read";
            int n;
            if (started) {
                n = readTimed(deadlineNs);
                if (n == READ_TIMEOUT) {
                    counters.slowClients.increment();
                    refuse(408, "request head not received within the header timeout of "
                            + limits.headerTimeoutNs() / 1_000_000 + " ms");
                    return false;
                }
            } else {
                CancelScope w = CancelScope.withDeadlineNs(deadlineNs).name(idleWaitName);
                idleWait = w;
                if (draining) { // after publishing idleWait: shutdown sets the flag, then cancels idleWait
                    idleWait = null;
                    return false;
                }
                n = readUnder(w);
                idleWait = null;
            }
            if (n < 0) {
                eof = true; // at the idle timeout or shutdown too: the cancelled read closed the socket
            }
        }
    }

    /** Parses the rest of the message (the body, if any, into the handler slot); false when closing. */
    private boolean readRest(long deadlineNs) {
        int stalls = 0;
        while (true) {
            int before = read.position();
            parser.parseNext(read);
            if (bodyTooLarge) {
                counters.badRequests.increment();
                refuse(413, "request body exceeds bodyBytesMax (" + limits.bodyBytesMax() + " bytes); send less, or"
                        + " raise HttpServerConfig.withBodyBytesMax");
                return false;
            }
            if (badStatus != 0) {
                counters.badRequests.increment();
                refuse(badStatus, "bad request: " + badReason);
                return false;
            }
            if (earlyEof) {
                if (eof) {
                    return false; // the client closed mid-body: nobody to answer
                }
                // Jetty reports a malformed body (a bad chunk size) after the head as an early end of the message
                counters.badRequests.increment();
                refuse(400, "bad request: malformed body (a chunk size that is not hex, or a missing CRLF)");
                return false;
            }
            if (messageComplete) {
                return true;
            }
            if (read.hasRemaining()) {
                stalls = read.position() == before ? stalls + 1 : 0;
                if (stalls > PARSE_STALLS_MAX) {
                    counters.badRequests.increment();
                    refuse(400, "bad request: the parser made no progress");
                    return false;
                }
                continue;
            }
            if (eof) {
                return false;
            }
            makeRoom();
            int n = readTimed(deadlineNs);
            if (n == READ_TIMEOUT) {
                refuseSlowBody();
                return false;
            }
            if (n < 0) {
                eof = true;
            }
        }
    }

    /** A body past the body timeout: counted as a slow client, answered 408. */
    private void refuseSlowBody() {
        counters.slowClients.increment();
        refuse(408, "request body not received within the body timeout of " + limits.bodyTimeoutNs() / 1_000_000
                + " ms");
    }

    /**
     * Before admission, reads a declared body that fits in the read buffer behind the head, so that a client that
     * trickles it (a slowloris body) is cut off with 408 at the body timeout without holding a handler slot; the
     * bytes stay in the buffer for the parser, which copies them into the slot once admitted. A larger body, or one
     * the client sends only after {@code 100 Continue}, is read after admission into the slot's buffer, as before
     * (a slow one of those holds its slot up to the body timeout). False when the connection is to close (answered
     * if need be).
     */
    private boolean awaitBodyBeforeAdmission(long contentLength, String expect, long deadlineNs) {
        if (contentLength > read.capacity() - read.position() || "100-continue".equalsIgnoreCase(expect)) {
            return true;
        }
        int need = (int) contentLength;
        for (int reads = 0; read.remaining() < need; reads++) { // each read adds a byte or ends: at most need reads
            assert reads <= need : "more reads than body bytes";
            if (eof) {
                return false; // the client closed mid-body: nobody to answer
            }
            if (read.capacity() - read.limit() < need - read.remaining()) {
                read.compact().flip(); // the body fits behind the head once the bytes before it are dropped
            }
            int n = readTimed(deadlineNs);
            if (n == READ_TIMEOUT) {
                refuseSlowBody();
                return false;
            }
            if (n < 0) {
                eof = true;
            }
        }
        return true;
    }

    /**
     * Makes room at the buffer's end for a read: clears an empty buffer, compacts one that is full up to its end.
     * False if it is full of unparsed (pipelined) bytes.
     */
    private boolean makeRoom() {
        if (!read.hasRemaining()) {
            read.clear().limit(0);
        } else if (read.limit() == read.capacity()) {
            if (read.position() == 0) {
                return false;
            }
            read.compact().flip();
        }
        return true;
    }

    /**
     * One socket read into the buffer's free end inside {@code w} (the idle wait): the bytes read, or
     * {@link #READ_EOF} at the end of the stream, on an error, or when {@code w} was cancelled (its deadline or
     * shutdown: the interrupted read closed the socket, which is what both want).
     */
    private int readUnder(CancelScope w) {
        setSoTimeout(0);
        Integer n = w.call(() -> {
            try {
                return readOnce();
            } catch (SocketTimeoutException e) {
                return READ_EOF; // not with a timeout of 0; if it came, the connection is not usable
            }
        });
        return n == null ? READ_EOF : n;
    }

    /**
     * One socket read into the buffer's free end with the socket's timeout set to what is left until
     * {@code deadlineNs}: the bytes read, {@link #READ_EOF}, or {@link #READ_TIMEOUT} (the socket stays open, so
     * the 408 can be sent). The deadline is fixed, so a client that sends a byte now and then cannot stretch it.
     */
    private int readTimed(long deadlineNs) {
        long leftNs = deadlineNs - Weft.nanoTime();
        if (leftNs <= 0) {
            return READ_TIMEOUT;
        }
        setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, (leftNs + 999_999) / 1_000_000)));
        try {
            return readOnce();
        } catch (SocketTimeoutException e) {
            return READ_TIMEOUT;
        }
    }

    private int readOnce() throws SocketTimeoutException {
        int at = read.limit();
        int n;
        try {
            n = in.read(read.array(), at, read.capacity() - at);
        } catch (SocketTimeoutException e) {
            throw e;
        } catch (IOException e) {
            return READ_EOF; // reset, closed by us, or interrupted: the connection is gone either way
        }
        if (n > 0) {
            read.limit(at + n);
        }
        return n < 0 ? READ_EOF : n;
    }

    private void setSoTimeout(int ms) {
        if (soTimeoutMs != ms) {
            try {
                socket.setSoTimeout(ms);
                soTimeoutMs = ms;
            } catch (SocketException e) {
                // a closed socket: the read that follows reports it
            }
        }
    }

    private void returnSlot(HandlerSlot s) {
        HandlerSlot.Outcome o = s.outcome();
        if (o == HandlerSlot.Outcome.DEADLINE) {
            counters.cancelled.increment();
            counters.deadlineExceeded.increment();
        } else if (o == HandlerSlot.Outcome.DISCONNECTED) {
            counters.cancelled.increment();
            counters.disconnects.increment();
        }
        s.end();
        if (!s.reclaim()) {
            counters.slotsUnbacked.increment();
        }
        admission.release(s);
    }

    // ---- writing

    private boolean writeOutcome(HandlerSlot s, boolean close) {
        HandlerSlot.Outcome o = s.outcome();
        String failure = s.failure();
        assert o != null && o != HandlerSlot.Outcome.DISCONNECTED : "no response for outcome " + o;
        if (o == HandlerSlot.Outcome.OK) {
            counters.served.increment();
            try {
                return write(s.status(), s, s.response().flip(), close, null, null);
            } finally {
                returnSlot(s); // after the write (the body is the slot's buffer), also when a hard stop cancels it
            }
        }
        returnSlot(s); // before the write: an error body is the connection's, and the client sees the slot free
        return switch (o) {
            case OK -> throw new AssertionError("handled above");
            case DEADLINE -> {
                smallText("request deadline of " + limits.requestTimeoutNs() / 1_000_000 + " ms exceeded: the handler"
                        + " was cancelled and its cleanup ran");
                yield write(504, null, small, close, null, null);
            }
            case MEMORY -> {
                counters.memoryFailures.increment();
                smallText("handler memory budget exceeded (this request alone failed): " + failure);
                yield write(507, null, small, close, null, null);
            }
            case FAILED -> {
                counters.handlerFailures.increment();
                smallText("the handler failed (" + failure + "); the server's error handler has the details");
                yield write(500, null, small, close, null, null);
            }
            case DISCONNECTED -> false;
        };
    }

    /** The 503: prebuilt bytes (see {@link Admission}), or generated for a HEAD request, which gets no body. */
    private boolean writeBusy(long retry, boolean close) {
        if ("HEAD".equals(head.method())) {
            smallText(admission.busyText(retry, admission.limit()));
            return write(503, null, small, close, Long.toString(retry), null);
        }
        expiryNs = Weft.nanoTime() + limits.writeTimeoutNs();
        try {
            return writer.writeBytes(out, admission.busyResponse(retry, close), ResponseWriter.BOUNDED_BY_CALLER);
        } finally {
            expiryNs = 0;
        }
    }

    private void smallText(String text) {
        small.clear();
        byte[] b = text.getBytes(StandardCharsets.UTF_8);
        small.put(b, 0, Math.min(b.length, small.capacity() - 1));
        small.put((byte) '\n');
        small.flip();
    }

    /** Answers a refused request with {@code status}, then closes after a lingering read (see {@link #linger}). */
    private void refuse(int status, String text) {
        if (slot != null) {
            returnSlot(slot); // first: the client that reads the refusal finds the slot free
            slot = null;
        }
        smallText(text);
        to(ST_WRITE);
        if (write(status, null, small, true, null, null)) {
            linger();
        }
    }

    /**
     * After an error response on a connection that still has unread input: stop sending, then discard input
     * (at most {@link #LINGER_BYTES_MAX}, for at most a second) so closing does not reset the connection
     * before the client read the answer.
     */
    private void linger() {
        try {
            socket.shutdownOutput();
        } catch (IOException e) {
            return;
        }
        long deadlineNs = Weft.nanoTime() + LINGER_NS;
        int discarded = 0;
        while (!eof && discarded < LINGER_BYTES_MAX) {
            discarded += read.remaining();
            read.clear().limit(0);
            int n = readTimed(deadlineNs);
            if (n == READ_TIMEOUT) {
                return;
            }
            if (n < 0) {
                eof = true;
            }
        }
    }

    private boolean writeContinue() {
        small.clear();
        small.flip();
        return writer.writeInterim(out, limits.writeTimeoutNs());
    }

    /** Writes one response; false if the connection broke or the write timed out. */
    private boolean write(int status, HandlerSlot fields, ByteBuffer body, boolean close, String retryAfter,
            String contentType) {
        boolean headRequest = "HEAD".equals(head.method());
        String type = contentType != null ? contentType : fields == null ? "text/plain; charset=utf-8" : null;
        expiryNs = Weft.nanoTime() + limits.writeTimeoutNs(); // the sweep closes the socket past it
        try {
            return writer.write(out, status, fields, body, close, retryAfter, type, headRequest,
                    ResponseWriter.BOUNDED_BY_CALLER);
        } finally {
            expiryNs = 0;
        }
    }

    private void closeSocket() {
        Socket s = socket;
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing a broken socket: nothing to do
            }
        }
    }

    /** Jetty's parser callbacks, on the connection task (the parser runs there). */
    private final class ParseEvents implements HttpParser.RequestHandler {
        @Override
        public void startRequest(String method, String uri, HttpVersion version) {
            head.start(method, uri, version == HttpVersion.HTTP_1_0);
        }

        @Override
        public void parsedHeader(HttpField field) {
            head.add(field.getName(), field.getValue());
        }

        @Override
        public boolean headerComplete() {
            headComplete = true;
            return true;
        }

        @Override
        public boolean content(ByteBuffer content) {
            HandlerSlot s = slot;
            if (s == null || s.body().remaining() < content.remaining()) {
                bodyTooLarge = true;
                return true;
            }
            s.body().put(content);
            return false;
        }

        @Override
        public boolean contentComplete() {
            return false;
        }

        @Override
        public boolean messageComplete() {
            messageComplete = true;
            return true;
        }

        @Override
        public void earlyEOF() {
            earlyEof = true;
        }

        @Override
        public void badMessage(HttpException failure) {
            badStatus = failure.getCode();
            badReason = failure.getReason() != null ? failure.getReason() : switch (badStatus) {
                // Jetty gives these two no reason: say which limit, and how to stay under it
                case 414 -> "request line exceeds headerBytesMax (" + limits.headerBytesMax() + " bytes); send a"
                        + " shorter URI, or raise HttpServerConfig.withHeaderLimits";
                case 431 -> "request head exceeds headerBytesMax (" + limits.headerBytesMax() + " bytes); send"
                        + " fewer or shorter header fields, or raise HttpServerConfig.withHeaderLimits";
                default -> "status " + badStatus + " from the HTTP parser";
            };
        }
    }
}
