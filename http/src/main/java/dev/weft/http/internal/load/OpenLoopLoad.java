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
 * the selected keys; the selector waits at most a millisecond, so intended times are met within about one.
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
     */
    public record Result(double seconds, boolean stopped, long[] statuses, Histogram admitted, Histogram ok,
            Histogram rejected, long rejectedWithRetryAfter, long due, long sent, long abandoned, long timedOut, long errors, long notSent,
            long connectionsOpened, List<Interval> intervals) {
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

    /** One request: its kind and its intended send time. */
    private record Pending(Kind kind, long intendedNs) {}

    /** A connection: touched by the generator thread only. */
    private final class Conn {
        final SocketChannel ch;
        SelectionKey key;
        int state = C_CONNECTING;
        Pending inFlight;
        ByteBuffer out;
        final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
        // response parsing: -1 until the head is complete
        int status = -1;
        long bodyRemaining;
        boolean chunked;
        boolean closeAfter;
        boolean retryAfter;

        Conn(SocketChannel ch) {
            this.ch = ch;
        }
    }

    private final Spec spec;
    private final double[] weights;
    private final double totalWeight;
    /** The round robin's credit per kind; generator thread only. */
    private final double[] credit;
    private final byte[][] requestBytes;
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
    private final ArrayDeque<Pending> backlog = new ArrayDeque<>();
    private final ArrayDeque<Conn> idle = new ArrayDeque<>();
    private final List<Conn> open = new ArrayList<>();

    public OpenLoopLoad(Spec spec) {
        this.spec = spec;
        double sum = 0;
        weights = new double[spec.kinds().size()];
        credit = new double[weights.length];
        requestBytes = new byte[spec.kinds().size()][];
        String host = spec.target().getHostString() + ":" + spec.target().getPort();
        for (int i = 0; i < weights.length; i++) {
            Kind k = spec.kinds().get(i);
            sum += k.weight();
            weights[i] = k.weight();
            requestBytes[i] = ("GET " + k.path() + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII);
        }
        totalWeight = sum;
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
                long now = System.nanoTime();
                if (!stopped && (stopRequested || Thread.currentThread().isInterrupted())) {
                    stopped = true;
                    issuedUntilNs = Math.min(now, endNs);
                }
                boolean issuing = !stopped && now < endNs;
                if (issuing) {
                    for (int n = 0; n < ISSUE_PER_ROUND && nextDueNs <= now && nextDueNs < endNs; n++) {
                        due++;
                        Kind k = pick();
                        if (backlog.size() >= spec.backlogMax()) {
                            notSent++;
                        } else {
                            backlog.add(new Pending(k, nextDueNs));
                        }
                        double rate = Math.max(0.1, spec.ratePerSecond().applyAsDouble((nextDueNs - startNs) / 1e9));
                        nextDueNs += (long) (1e9 / rate);
                    }
                    live.set(0, due);
                }
                dispatch(sel, now);
                if (now >= nextTimeoutScanNs) {
                    scanTimeouts(now);
                    nextTimeoutScanNs = now + 10_000_000L;
                }
                while (now >= nextSecondNs) {
                    closeSecond(second++, spec.ratePerSecond().applyAsDouble(second - 1));
                    nextSecondNs += 1_000_000_000L;
                }
                if (!issuing) {
                    if (!stopped && now >= endNs) {
                        notSent += backlog.size();
                        backlog.clear();
                    }
                    if (stopped) {
                        notSent += backlog.size();
                        backlog.clear();
                    }
                    if (busyCount() == 0 || now > issuedUntilNs + spec.timeoutNs() + 1_000_000_000L) {
                        break;
                    }
                }
                long waitNs = issuing ? Math.min(nextDueNs, nextSecondNs) - now : 10_000_000L;
                long waitMs = Math.max(0, Math.min(10, waitNs / 1_000_000));
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
                for (var it = sel.selectedKeys().iterator(); it.hasNext(); ) {
                    SelectionKey key = it.next();
                    it.remove();
                    ready((Conn) key.attachment(), System.nanoTime());
                }
            }
            closeSecond(second, spec.ratePerSecond().applyAsDouble(second));
            // in flight at the end, past the drain: hung
            for (Conn c : List.copyOf(open)) {
                if (c.inFlight != null) {
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
                abandoned, timedOut, errors, notSent, opened, intervals());
    }

    /**
     * The next kind by smooth weighted round robin: deterministic, and after n picks each kind has had its share
     * of n within one, so a rare kind (a disconnect every few hundred requests) comes at a steady pace, not in
     * random clumps or not at all in a short run.
     */
    private Kind pick() {
        int best = 0;
        for (int i = 0; i < credit.length; i++) {
            credit[i] += weights[i];
            if (credit[i] > credit[best]) {
                best = i;
            }
        }
        credit[best] -= totalWeight;
        return spec.kinds().get(best);
    }

    private int busyCount() {
        int n = 0;
        for (Conn c : open) {
            if (c.inFlight != null) {
                n++;
            }
        }
        return n;
    }

    /** Hands backlog requests to idle connections, opening new ones while the limit allows. */
    private void dispatch(Selector sel, long now) {
        while (!backlog.isEmpty()) {
            Conn c = idle.pollFirst();
            if (c == null) {
                if (open.size() >= spec.connectionsMax()) {
                    return;
                }
                c = connect(sel);
                if (c == null) {
                    return;
                }
            }
            c.inFlight = backlog.pollFirst();
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
        int i = spec.kinds().indexOf(c.inFlight.kind());
        c.out = ByteBuffer.wrap(requestBytes[i]);
        c.state = C_BUSY;
        c.status = -1;
        c.in.clear();
        try {
            c.ch.write(c.out);
            sent++;
            live.set(1, sent);
            c.key.interestOps(c.out.hasRemaining() ? SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
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
                if (c.inFlight != null) {
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

    /** Parses what has arrived; on a complete answer records it and frees or closes the connection. */
    private void parse(Conn c, long now) {
        ByteBuffer b = c.in;
        if (c.inFlight == null) { // bytes on an idle connection: the server closes it; read on
            b.clear();
            return;
        }
        if (c.status < 0) {
            int end = indexOf(b, 0, b.position(), "\r\n\r\n");
            if (end < 0) {
                if (!b.hasRemaining()) {
                    fail(c); // a head larger than the buffer
                }
                return;
            }
            String head = new String(b.array(), 0, end, StandardCharsets.ISO_8859_1);
            int sp = head.indexOf(' ');
            c.status = Integer.parseInt(head.substring(sp + 1, sp + 4));
            c.bodyRemaining = 0;
            c.chunked = false;
            c.closeAfter = false;
            c.retryAfter = false;
            for (String line : head.split("\r\n")) {
                int colon = line.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String name = line.substring(0, colon).trim();
                String value = line.substring(colon + 1).trim();
                if (name.equalsIgnoreCase("Content-Length")) {
                    c.bodyRemaining = Long.parseLong(value);
                } else if (name.equalsIgnoreCase("Transfer-Encoding") && value.toLowerCase().contains("chunked")) {
                    c.chunked = true;
                } else if (name.equalsIgnoreCase("Connection") && value.equalsIgnoreCase("close")) {
                    c.closeAfter = true;
                } else if (name.equalsIgnoreCase("Retry-After")) {
                    c.retryAfter = true;
                }
            }
            // keep the body bytes that came with the head
            int bodyStart = end + 4;
            b.flip();
            b.position(bodyStart);
            b.compact();
        }
        if (c.chunked) {
            if (indexOf(b, 0, b.position(), "0\r\n\r\n") < 0) {
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

    private static int indexOf(ByteBuffer b, int from, int to, String s) {
        byte[] a = b.array();
        outer:
        for (int i = from; i + s.length() <= to; i++) {
            for (int j = 0; j < s.length(); j++) {
                if (a[i + j] != s.charAt(j)) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private void complete(Conn c, long now) {
        Pending p = c.inFlight;
        c.inFlight = null;
        long us = Math.min(HIGHEST_US, Math.max(0, (now - p.intendedNs()) / 1000));
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
            live.set(3, live.get(3) + 1);
        } else {
            admitted.recordValue(us);
            secondAdmitted.recordValue(us);
            if (status >= 200 && status < 300) {
                ok.recordValue(us);
                secondOk++;
                live.set(2, live.get(2) + 1);
            } else {
                secondOther++;
                live.set(4, live.get(4) + 1);
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
        for (Conn c : List.copyOf(open)) {
            Pending p = c.inFlight;
            if (p == null) {
                continue;
            }
            long abandon = p.kind().abandonAfterNs();
            if (abandon >= 0 && now - p.intendedNs() >= abandon) {
                abandoned++;
                c.inFlight = null;
                close(c);
            } else if (now - p.intendedNs() >= spec.timeoutNs()) {
                timedOut++;
                live.set(5, timedOut);
                c.inFlight = null;
                close(c);
            }
        }
    }

    private void fail(Conn c) {
        if (c.inFlight != null) {
            errors++;
            live.set(6, errors);
            c.inFlight = null;
        }
        close(c);
    }

    private void close(Conn c) {
        open.remove(c);
        idle.remove(c);
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
