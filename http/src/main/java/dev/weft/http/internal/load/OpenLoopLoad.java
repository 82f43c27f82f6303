package dev.weft.http.internal.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.DoubleUnaryOperator;
import org.HdrHistogram.Histogram;

/**
 * An open-loop HTTP/1.1 load generator: requests are due at intended send times fixed by a rate schedule, not
 * by the previous response, and each is timed from its intended send time into an HdrHistogram. A server that
 * stalls therefore shows the stall in the latency of every request that was due during it (closed-loop tools
 * such as wrk send nothing while they wait, and omit those requests: coordinated omission).
 *
 * <p>Used by {@code weft demo} (in the server's JVM) and by the cross-server benchmark ({@code ./weft bench http},
 * against a server in another JVM).
 *
 * <h2>How it works</h2>
 * One thread (the caller of {@link #run}) runs a selector over at most {@code connectionsMax} keep-alive
 * connections, one request in flight on each (no pipelining). Due requests wait in a backlog of at most
 * {@code backlogMax} (beyond it a due request is counted {@link Result#notSent} and never sent) until a
 * connection is idle; a new connection is opened when none is and the limit allows. A request of a kind with an
 * abandon time is a client that gives up: its connection is closed that long after its intended send time unless
 * the answer came first ({@link Result#abandoned}). A request unanswered {@code timeoutNs} after its intended
 * send time is counted {@link Result#timedOut} and its connection closed: the "hung" count, which a bounded
 * server keeps at zero. Each loop round issues at most {@link #ISSUE_PER_ROUND} requests and handles at most
 * the selected keys; the selector waits at least a millisecond and at most ten (never {@code selectNow} in a loop:
 * a generator that spins takes a core from the server it measures on a shared machine), so a request is written
 * within about a millisecond of its intended time when the generator's thread gets a core.
 *
 * <p>What is measured. Every latency runs from the request's intended send time (so a stalled server shows in
 * every request due during the stall). The result splits it for admitted answers: {@link Result#sendLag} is the
 * client's part (intended time to the write: waiting in the backlog for a free connection, and the generator's
 * own lateness), {@link Result#admittedFromSend} the server's (the write to the complete answer, which includes
 * the loopback and the generator's delay in reading the answer). A request that never got a connection is
 * {@link Result#notSent}, not a latency.
 *
 * <p>The generator is cheap per request, as its CPU is taken from the server when they share cores: the backlog
 * is a preallocated ring, each connection has its own request and response buffers made once, and answers are
 * parsed in place without strings; the only per-request work besides the system calls is the histograms'.
 *
 * <h2>Thread safety</h2>
 * {@link #run} from one thread, once; {@link #stop}, {@link #intervals()} and {@link #totals()} from any thread.
 */
public final class OpenLoopLoad {
    /** At most this many requests become due per loop round (the schedule catches up over rounds). */
    static final int ISSUE_PER_ROUND = 256;
    /** Longest latency the histograms hold, in microseconds (longer values are clamped to it). */
    static final long HIGHEST_US = 600_000_000L;

    /**
     * One kind of request of the mix.
     *
     * @param name        what reports call it
     * @param path        the request target, e.g. {@code /cpu?ms=2}
     * @param weight      its share of the mix, relative to the other kinds' weights
     * @param abandonAfterNs the client closes its connection this long after the intended send time (a
     *                    disconnect), or -1 to wait for the answer
     */
    public record Kind(String name, String path, double weight, long abandonAfterNs) {
        public Kind {
            Objects.requireNonNull(name, "name");
            if (!path.startsWith("/")) {
                throw new IllegalArgumentException("a request path starts with '/', got '" + path + "'");
            }
            if (!(weight > 0)) {
                throw new IllegalArgumentException("the weight of kind " + name + " must be positive, got " + weight);
            }
        }
    }

    /**
     * What to send and how fast.
     *
     * @param target         the server
     * @param kinds          the mix
     * @param ratePerSecond  the offered rate at each second since the start (the schedule)
     * @param durationNs     how long requests are issued
     * @param connectionsMax connections open at once
     * @param backlogMax     due requests waiting for a connection at once
     * @param timeoutNs      a request unanswered this long after its intended send time is counted as timed out
     */
    public record Spec(InetSocketAddress target, List<Kind> kinds, DoubleUnaryOperator ratePerSecond, long durationNs,
            int connectionsMax, int backlogMax, long timeoutNs) {
        public Spec {
            Objects.requireNonNull(target, "target");
            kinds = List.copyOf(kinds);
            if (kinds.isEmpty()) {
                throw new IllegalArgumentException("the mix has no request kinds; give at least one");
            }
            if (connectionsMax < 1 || backlogMax < 1 || durationNs <= 0 || timeoutNs <= 0) {
                throw new IllegalArgumentException("connectionsMax, backlogMax, durationNs and timeoutNs must be"
                        + " positive, got " + connectionsMax + ", " + backlogMax + ", " + durationNs + ", " + timeoutNs);
            }
        }
    }

    /**
     * One second of the run.
     *
     * @param second        seconds since the start (this interval is [second, second + 1))
     * @param offeredPerSecond the scheduled rate at the interval's start
     * @param ok            answers 2xx that completed in it
     * @param rejected      answers 503
     * @param otherAdmitted other answers (504, 507, 4xx, 500)
     * @param admittedP50Us p50 of the admitted answers (everything but 503) that completed in it, microseconds
     * @param admittedP99Us their p99
     * @param rejectedP99Us p99 of the 503 answers
     */
    public record Interval(int second, double offeredPerSecond, long ok, long rejected, long otherAdmitted,
            long admittedP50Us, long admittedP99Us, long rejectedP99Us) {}

    /**
     * The whole run.
     *
     * @param seconds    how long requests were issued (shorter than asked if stopped)
     * @param stopped    whether {@link #stop} ended it early
     * @param statuses   answers by status code (index = status, 0..599)
     * @param admitted   latency of every answer but 503, microseconds from the intended send time
     * @param ok         of those, the 2xx answers
     * @param rejected   latency of the 503 answers
     * @param rejectedWithRetryAfter 503 answers that carried a {@code Retry-After}
     * @param due        requests that became due
     * @param sent       requests written to a connection
     * @param abandoned  requests whose client gave up as its kind says (a disconnect)
     * @param timedOut   requests unanswered within the timeout (hung)
     * @param errors     connections that failed (refused, reset, closed without an answer)
     * @param notSent    due requests dropped because the backlog was full, or still waiting at the end
     * @param connectionsOpened connections opened
     * @param intervals  per second
     * @param admittedFromSend latency of every answer but 503 from the request's write to its answer,
     *                   microseconds: the server's part (and the loopback's), without the time the request waited
     *                   in the generator for a connection or for the generator's own thread
     * @param sendLag    for every request written, microseconds from its intended send time to its write: the
     *                   client's part (the backlog wait for a free connection, and the generator's lateness)
     */
    public record Result(double seconds, boolean stopped, long[] statuses, Histogram admitted, Histogram ok,
            Histogram rejected, long rejectedWithRetryAfter, long due, long sent, long abandoned, long timedOut, long errors, long notSent,
            long connectionsOpened, List<Interval> intervals, Histogram admittedFromSend, Histogram sendLag) {
        /** Answers with this status. */
        public long status(int code) {
            return code >= 0 && code < statuses.length ? statuses[code] : 0;
        }

        /** Every answer received. */
        public long answered() {
            long n = 0;
            for (long s : statuses) {
                n += s;
            }
            return n;
        }
    }

    /** Live totals for progress lines: due, sent, ok, rejected, other admitted, timed out, errors. */
    public record Totals(long due, long sent, long ok, long rejected, long otherAdmitted, long timedOut, long errors) {}

    // Connection states, one in flight per connection.
    /** Connecting; the request goes out when the connect completes. */
    private static final int C_CONNECTING = 0;
    /** Open, nothing in flight. */
    private static final int C_IDLE = 1;
    /** A request written (or being written), its answer awaited. */
    private static final int C_BUSY = 2;
    /** Closed; waits to be dropped from the idle line. */
    private static final int C_CLOSED = 3;

    /** Response head fields the generator reads, lower case, with their colon. */
    private static final byte[] CONTENT_LENGTH = ascii("content-length:");
    private static final byte[] TRANSFER_ENCODING = ascii("transfer-encoding:");
    private static final byte[] CONNECTION = ascii("connection:");
    private static final byte[] RETRY_AFTER = ascii("retry-after:");
    private static final byte[] CLOSE = ascii("close");
    private static final byte[] CHUNKED = ascii("chunked");

    /**
     * A connection: touched by the generator thread only. Its request buffer and response buffer are made once
     * per connection; nothing is allocated per request.
     */
    private final class Conn {
        final SocketChannel ch;
        SelectionKey key;
        int state = C_CONNECTING;
        /** Index in {@link #open} (swap-removed on close). */
        int openIndex;
        /** The kind in flight (an index into the spec's kinds), or -1. */
        int inFlight = -1;
        /** Its intended send time, and when it was written. */
        long intendedNs;
        long sentNs;
        final ByteBuffer out;
        final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        /** Where the search for the head's end resumes (bytes before it were searched). */
        int headScan;
        // response parsing: -1 until the head is complete
        int status = -1;
        long bodyRemaining;
        boolean chunked;
        boolean closeAfter;
        boolean retryAfter;

        Conn(SocketChannel ch) {
            this.ch = ch;
            this.out = ByteBuffer.allocate(requestBytesMax);
        }
    }

    private final Spec spec;
    private final double[] weights;
    private final double totalWeight;
    /** The round robin's credit per kind; generator thread only. */
    private final double[] credit;
    private final byte[][] requestBytes;
    private final int requestBytesMax;
    /** Set by {@link #stop} from any thread; read by the generator thread. */
    private volatile boolean stopRequested;
    /** The selector; written once by the generator thread before the loop, read by {@link #stop}. */
    private volatile Selector selector;
    /** Live totals (indices as in {@link Totals}); written by the generator thread, read by any thread. */
    private final AtomicLongArray live = new AtomicLongArray(7);
    /** Completed intervals; appended by the generator thread under the lock, read by any thread under it. */
    private final List<Interval> intervals = new ArrayList<>();

    // Touched by the generator thread only.
    private final long[] statuses = new long[600];
    private final Histogram admitted = new Histogram(HIGHEST_US, 3);
    private final Histogram admittedFromSend = new Histogram(HIGHEST_US, 3);
    private final Histogram sendLag = new Histogram(HIGHEST_US, 3);
    private final Histogram ok = new Histogram(HIGHEST_US, 3);
    private final Histogram rejected = new Histogram(HIGHEST_US, 3);
    private final Histogram secondAdmitted = new Histogram(HIGHEST_US, 3);
    private final Histogram secondRejected = new Histogram(HIGHEST_US, 3);
    private long secondOk;
    private long secondRejectedCount;
    private long secondOther;
    private long due;
    private long sent;
    private long abandoned;
    private long timedOut;
    private long errors;
    private long notSent;
    private long opened;
    private long retryAfter;
    /**
     * Due requests not yet on a connection: a ring of {@code backlogMax} entries (kind, intended send time),
     * allocated once; {@link #backlogHead} is the oldest, {@link #backlogSize} how many.
     */
    private final int[] backlogKind;
    private final long[] backlogIntendedNs;
    private int backlogHead;
    private int backlogSize;
    /** Idle connections, oldest first; a closed one is dropped when it comes up ({@link #C_CLOSED}). */
    private final ArrayDeque<Conn> idle = new ArrayDeque<>();
    /** Open connections (at most {@code connectionsMax}); order does not matter (swap-remove). */
    private final ArrayList<Conn> open = new ArrayList<>();

    public OpenLoopLoad(Spec spec) {
        this.spec = spec;
        double sum = 0;
        weights = new double[spec.kinds().size()];
        credit = new double[weights.length];
        requestBytes = new byte[spec.kinds().size()][];
        String host = spec.target().getHostString() + ":" + spec.target().getPort();
        int most = 0;
        for (int i = 0; i < weights.length; i++) {
            Kind k = spec.kinds().get(i);
            sum += k.weight();
            weights[i] = k.weight();
            requestBytes[i] = ("GET " + k.path() + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
            most = Math.max(most, requestBytes[i].length);
        }
        totalWeight = sum;
        requestBytesMax = most;
        backlogKind = new int[spec.backlogMax()];
        backlogIntendedNs = new long[spec.backlogMax()];
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    /** Ends {@link #run} soon: no new requests; those in flight are given until their timeout. Any thread. */
    public void stop() {
        stopRequested = true;
        Selector s = selector;
        if (s != null) {
            s.wakeup();
        }
    }

    /** The completed seconds so far. Any thread. */
    public List<Interval> intervals() {
        synchronized (intervals) {
            return List.copyOf(intervals);
        }
    }

    /** Live totals. Any thread. */
    public Totals totals() {
        return new Totals(live.get(0), live.get(1), live.get(2), live.get(3), live.get(4), live.get(5), live.get(6));
    }

    /**
     * Issues the load for the spec's duration (or until {@link #stop} or an interrupt), waits for the requests in
     * flight up to their timeout, closes every connection and returns the result. Blocks the calling thread.
     */
    public Result run() throws IOException {
        return run(e -> false);
    }

    /**
     * {@link #run()}, with {@code stopSignal} saying which errors thrown at this thread mean "stop" as an interrupt
     * does: the load then drains, closes and returns what ran. Under {@code weft run} the program's own threads are
     * cancelled too, once, at their next compiled check; a caller that knows the runtime passes its cancellation
     * here (the generator itself names nothing of the runtime). The request being recorded when it landed may be
     * counted wrongly.
     */
    public Result run(java.util.function.Predicate<Error> stopSignal) throws IOException {
        long startNs = System.nanoTime();
        long endNs = startNs + spec.durationNs();
        long nextDueNs = startNs;
        int second = 0;
        long nextSecondNs = startNs + 1_000_000_000L;
        long nextTimeoutScanNs = startNs;
        boolean stopped = false;
        long issuedUntilNs = endNs;
        try (Selector sel = Selector.open()) {
            selector = sel;
            while (true) {
                try {
                    long now = System.nanoTime();
                    if (!stopped && (stopRequested || Thread.currentThread().isInterrupted())) {
                        stopped = true;
                        issuedUntilNs = Math.min(now, endNs);
                    }
                    // requests due before the end are issued even when the thread wakes after it (a loaded machine)
                    boolean issuing = !stopped && (now < endNs || nextDueNs < endNs);
                    if (issuing) {
                        for (int n = 0; n < ISSUE_PER_ROUND && nextDueNs <= now && nextDueNs < endNs; n++) {
                            due++;
                            int k = pick();
                            if (backlogSize >= backlogKind.length) {
                                notSent++;
                            } else {
                                int tail = (backlogHead + backlogSize) % backlogKind.length;
                                backlogKind[tail] = k;
                                backlogIntendedNs[tail] = nextDueNs;
                                backlogSize++;
                            }
                            double rate = Math.max(0.1, spec.ratePerSecond().applyAsDouble((nextDueNs - startNs) / 1e9));
                            nextDueNs += (long) (1e9 / rate);
                        }
                        live.setRelease(0, due);
                    }
                    dispatch(sel);
                    if (now >= nextTimeoutScanNs) {
                        scanTimeouts(now);
                        nextTimeoutScanNs = now + 10_000_000L;
                    }
                    while (now >= nextSecondNs) {
                        closeSecond(second++, spec.ratePerSecond().applyAsDouble(second - 1));
                        nextSecondNs += 1_000_000_000L;
                    }
                    if (!issuing) {
                        if (now >= endNs || stopped) {
                            notSent += backlogSize;
                            backlogSize = 0;
                        }
                        if (busyCount() == 0 || now > issuedUntilNs + spec.timeoutNs() + 1_000_000_000L) {
                            break;
                        }
                    }
                    // Never selectNow in a loop: a wait under a millisecond is a millisecond (the selector's grain).
                    // A request is then written up to about a millisecond after its intended time, which its latency
                    // includes (from the intended time) and sendLag shows; a spinning generator took a core from the
                    // server it measures.
                    long waitNs = issuing ? Math.min(nextDueNs, nextSecondNs) - now : 10_000_000L;
                    long waitMs = waitNs <= 0 ? 0 : Math.max(1, Math.min(10, waitNs / 1_000_000));
                    try {
                        if (waitMs == 0) {
                            sel.selectNow();
                        } else {
                            sel.select(waitMs);
                        }
                    } catch (ClosedSelectorException e) {
                        break;
                    }
                    if (stopped && Thread.currentThread().isInterrupted()) {
                        Thread.interrupted(); // seen; keep draining without a select that returns at once
                    }
                    var keys = sel.selectedKeys();
                    if (!keys.isEmpty()) {
                        long readyNs = System.nanoTime();
                        for (var it = keys.iterator(); it.hasNext(); ) {
                            SelectionKey key = it.next();
                            it.remove();
                            ready((Conn) key.attachment(), readyNs);
                        }
                    }
                } catch (Error e) {
                    if (!stopSignal.test(e)) {
                        throw e;
                    }
                    if (!stopped) {
                        stopped = true;
                        issuedUntilNs = Math.min(System.nanoTime(), endNs);
                    }
                }
            }
            closeSecond(second, spec.ratePerSecond().applyAsDouble(second));
            // in flight at the end, past the drain: hung
            for (int i = open.size() - 1; i >= 0; i--) {
                Conn c = open.get(i);
                if (c.inFlight >= 0) {
                    timedOut++;
                }
                close(c);
            }
            live.set(5, timedOut);
        } finally {
            selector = null;
        }
        double seconds = (Math.min(issuedUntilNs, endNs) - startNs) / 1e9;
        return new Result(seconds, stopped, statuses.clone(), admitted.copy(), ok.copy(), rejected.copy(), retryAfter, due, sent,
                abandoned, timedOut, errors, notSent, opened, intervals(), admittedFromSend.copy(), sendLag.copy());
    }

    /**
     * The next kind by smooth weighted round robin: deterministic, and after n picks each kind has had its share
     * of n within one, so a rare kind (a disconnect every few hundred requests) comes at a steady pace, not in
     * random clumps or not at all in a short run.
     */
    private int pick() {
        int best = 0;
        for (int i = 0; i < credit.length; i++) {
            credit[i] += weights[i];
            if (credit[i] > credit[best]) {
                best = i;
            }
        }
        credit[best] -= totalWeight;
        return best;
    }

    private int busyCount() {
        int n = 0;
        for (int i = 0; i < open.size(); i++) {
            if (open.get(i).inFlight >= 0) {
                n++;
            }
        }
        return n;
    }

    /** Hands backlog requests to idle connections, opening new ones while the limit allows. */
    private void dispatch(Selector sel) {
        while (backlogSize > 0) {
            Conn c = idle.pollFirst();
            if (c != null && c.state == C_CLOSED) {
                continue; // closed while idle (the server closed it)
            }
            if (c == null) {
                if (open.size() >= spec.connectionsMax()) {
                    return;
                }
                c = connect(sel);
                if (c == null) {
                    return;
                }
            }
            c.inFlight = backlogKind[backlogHead];
            c.intendedNs = backlogIntendedNs[backlogHead];
            backlogHead = (backlogHead + 1) % backlogKind.length;
            backlogSize--;
            if (c.state == C_IDLE) {
                send(c);
            }
        }
    }

    private Conn connect(Selector sel) {
        try {
            SocketChannel ch = SocketChannel.open();
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            Conn c = new Conn(ch);
            c.openIndex = open.size();
            open.add(c);
            opened++;
            if (ch.connect(spec.target())) {
                c.state = C_IDLE;
                c.key = ch.register(sel, SelectionKey.OP_READ, c);
            } else {
                c.key = ch.register(sel, SelectionKey.OP_CONNECT, c);
            }
            return c;
        } catch (IOException e) {
            errors++;
            live.set(6, errors);
            return null;
        }
    }

    private void send(Conn c) {
        c.out.clear();
        c.out.put(requestBytes[c.inFlight]).flip();
        c.state = C_BUSY;
        c.status = -1;
        c.headScan = 0;
        c.in.clear();
        try {
            c.sentNs = System.nanoTime();
            c.ch.write(c.out);
            sent++;
            live.setRelease(1, sent);
            sendLag.recordValue(Math.min(HIGHEST_US, Math.max(0, (c.sentNs - c.intendedNs) / 1000)));
            if (c.out.hasRemaining()) {
                c.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
            }
        } catch (IOException e) {
            fail(c);
        }
    }

    private void ready(Conn c, long now) {
        if (!c.key.isValid()) {
            return;
        }
        try {
            if (c.key.isConnectable()) {
                c.ch.finishConnect();
                c.state = C_IDLE;
                c.key.interestOps(SelectionKey.OP_READ);
                if (c.inFlight >= 0) {
                    send(c);
                }
                return;
            }
            if (c.key.isWritable() && c.out.hasRemaining()) {
                c.ch.write(c.out);
                if (!c.out.hasRemaining()) {
                    c.key.interestOps(SelectionKey.OP_READ);
                }
            }
            if (c.key.isReadable()) {
                int n = c.ch.read(c.in);
                if (n < 0) {
                    fail(c); // closed without (a complete) answer
                    return;
                }
                parse(c, now);
            }
        } catch (IOException e) {
            fail(c);
        }
    }

    /**
     * Parses what has arrived, in place (no strings); on a complete answer records it and frees or closes the
     * connection.
     */
    private void parse(Conn c, long now) {
        ByteBuffer b = c.in;
        if (c.inFlight < 0) { // bytes on an idle connection: the server closes it; read on
            b.clear();
            return;
        }
        byte[] a = b.array();
        if (c.status < 0) {
            int end = indexOf(a, Math.max(0, c.headScan - 3), b.position(), CRLFCRLF);
            if (end < 0) {
                c.headScan = b.position();
                if (!b.hasRemaining()) {
                    fail(c); // a head larger than the buffer
                }
                return;
            }
            int sp = indexOf(a, 0, end, SPACE);
            if (sp < 0 || sp + 4 > end) {
                fail(c);
                return;
            }
            c.status = (a[sp + 1] - '0') * 100 + (a[sp + 2] - '0') * 10 + (a[sp + 3] - '0');
            c.bodyRemaining = 0;
            c.chunked = false;
            c.closeAfter = false;
            c.retryAfter = false;
            int line = indexOf(a, 0, end, CRLF) + 2;
            while (line > 1 && line < end) {
                int eol = indexOf(a, line, end + 2, CRLF);
                if (eol < 0) {
                    eol = end;
                }
                if (startsWithLower(a, line, eol, CONTENT_LENGTH)) {
                    c.bodyRemaining = digits(a, line + CONTENT_LENGTH.length, eol);
                } else if (startsWithLower(a, line, eol, TRANSFER_ENCODING)) {
                    c.chunked = containsLower(a, line + TRANSFER_ENCODING.length, eol, CHUNKED);
                } else if (startsWithLower(a, line, eol, CONNECTION)) {
                    c.closeAfter = containsLower(a, line + CONNECTION.length, eol, CLOSE);
                } else if (startsWithLower(a, line, eol, RETRY_AFTER)) {
                    c.retryAfter = true;
                }
                line = eol + 2;
            }
            // keep the body bytes that came with the head
            int bodyStart = end + 4;
            b.flip();
            b.position(bodyStart);
            b.compact();
        }
        if (c.chunked) {
            if (indexOf(a, 0, b.position(), LAST_CHUNK) < 0) {
                if (!b.hasRemaining()) { // keep the tail only: the terminator may straddle reads
                    b.flip();
                    b.position(b.limit() - 8);
                    b.compact();
                }
                return;
            }
        } else {
            long have = b.position();
            if (have < c.bodyRemaining) {
                c.bodyRemaining -= have;
                b.clear();
                return;
            }
        }
        complete(c, now);
    }

    private static final byte[] CRLFCRLF = ascii("\r\n\r\n");
    private static final byte[] CRLF = ascii("\r\n");
    private static final byte[] SPACE = ascii(" ");
    private static final byte[] LAST_CHUNK = ascii("0\r\n\r\n");

    /** The first index of {@code s} in {@code a[from, to)}, or -1. */
    static int indexOf(byte[] a, int from, int to, byte[] s) {
        outer:
        for (int i = from; i + s.length <= to; i++) {
            for (int j = 0; j < s.length; j++) {
                if (a[i + j] != s[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Whether {@code a[from, to)} starts with {@code lower} (ASCII, compared case-insensitively). */
    static boolean startsWithLower(byte[] a, int from, int to, byte[] lower) {
        if (to - from < lower.length) {
            return false;
        }
        for (int j = 0; j < lower.length; j++) {
            byte x = a[from + j];
            if (x >= 'A' && x <= 'Z') {
                x = (byte) (x + ('a' - 'A'));
            }
            if (x != lower[j]) {
                return false;
            }
        }
        return true;
    }

    private static boolean containsLower(byte[] a, int from, int to, byte[] lower) {
        for (int i = from; i + lower.length <= to; i++) {
            if (startsWithLower(a, i, to, lower)) {
                return true;
            }
        }
        return false;
    }

    /** The decimal number in {@code a[from, to)}, spaces skipped; at most 18 digits. */
    private static long digits(byte[] a, int from, int to) {
        long v = 0;
        int n = 0;
        for (int i = from; i < to && n < 18; i++) {
            byte x = a[i];
            if (x >= '0' && x <= '9') {
                v = v * 10 + (x - '0');
                n++;
            }
        }
        return v;
    }

    private void complete(Conn c, long now) {
        c.inFlight = -1;
        long us = Math.min(HIGHEST_US, Math.max(0, (now - c.intendedNs) / 1000));
        int status = c.status;
        if (status >= 0 && status < statuses.length) {
            statuses[status]++;
        }
        if (status == 503) {
            if (c.retryAfter) {
                retryAfter++;
            }
            rejected.recordValue(us);
            secondRejected.recordValue(us);
            secondRejectedCount++;
            live.setRelease(3, live.getPlain(3) + 1);
        } else {
            admitted.recordValue(us);
            admittedFromSend.recordValue(Math.min(HIGHEST_US, Math.max(0, (now - c.sentNs) / 1000)));
            secondAdmitted.recordValue(us);
            if (status >= 200 && status < 300) {
                ok.recordValue(us);
                secondOk++;
                live.setRelease(2, live.getPlain(2) + 1);
            } else {
                secondOther++;
                live.setRelease(4, live.getPlain(4) + 1);
            }
        }
        c.status = -1;
        c.in.clear();
        if (c.closeAfter) {
            close(c);
        } else {
            c.state = C_IDLE;
            idle.addLast(c);
        }
    }

    /** Abandons and times out requests in flight (bounded by the open connections). */
    private void scanTimeouts(long now) {
        for (int i = open.size() - 1; i >= 0; i--) { // backwards: close swap-removes behind i
            Conn c = open.get(i);
            if (c.inFlight < 0) {
                continue;
            }
            long abandon = spec.kinds().get(c.inFlight).abandonAfterNs();
            if (abandon >= 0 && now - c.intendedNs >= abandon) {
                abandoned++;
                c.inFlight = -1;
                close(c);
            } else if (now - c.intendedNs >= spec.timeoutNs()) {
                timedOut++;
                live.set(5, timedOut);
                c.inFlight = -1;
                close(c);
            }
        }
    }

    private void fail(Conn c) {
        if (c.inFlight >= 0) {
            errors++;
            live.set(6, errors);
            c.inFlight = -1;
        }
        close(c);
    }

    private void close(Conn c) {
        if (c.state == C_CLOSED) {
            return;
        }
        c.state = C_CLOSED; // dropped from the idle line when it comes up there
        Conn last = open.remove(open.size() - 1);
        if (last != c) {
            open.set(c.openIndex, last);
            last.openIndex = c.openIndex;
        }
        if (c.key != null) {
            c.key.cancel();
        }
        try {
            c.ch.close();
        } catch (IOException ignored) {
            // closing a socket we give up on
        }
    }

    private void closeSecond(int second, double offered) {
        Interval iv = new Interval(second, offered, secondOk, secondRejectedCount, secondOther,
                secondAdmitted.getTotalCount() == 0 ? 0 : secondAdmitted.getValueAtPercentile(50),
                secondAdmitted.getTotalCount() == 0 ? 0 : secondAdmitted.getValueAtPercentile(99),
                secondRejected.getTotalCount() == 0 ? 0 : secondRejected.getValueAtPercentile(99));
        synchronized (intervals) {
            if (intervals.size() < 100_000) { // a day of seconds, more than any run asks
                intervals.add(iv);
            }
        }
        secondAdmitted.reset();
        secondRejected.reset();
        secondOk = 0;
        secondRejectedCount = 0;
        secondOther = 0;
    }
}
