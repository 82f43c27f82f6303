package dev.weft.http.internal;

import dev.weft.memory.ObjectPool;
import dev.weft.memory.PoolExhaustedException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission to the handler slots: a free slot at once, else a bounded wait (at most {@code queueMax} waiters,
 * each at most {@code queueTimeout}), else a refusal that the connection answers with 503 and a
 * {@code Retry-After} computed here from the waiters and the measured drain rate.
 *
 * <p>Things that don't work: an unbounded queue in front of the handlers (the JDK's {@code HttpServer} with an
 * executor, a servlet container's accept queue). Under overload every request waits, latency grows without
 * bound, and clients time out after the server has spent the work on them. Solution: a waiting line with a
 * length and a time limit, and a fast refusal that says when to come back.
 *
 * <p>A refusal must cost less than an answer, or overload starves the admitted requests of the loops that
 * serve them. Things that don't work: waiting the whole {@code queueTimeout} when the measured drain rate says
 * the slot cannot come in time (at 10 times the capacity every waiter timed out, holding its connection 100 ms
 * for nothing, and the clients' connections ran out); generating each 503 with Jetty's generator from a
 * formatted message (string building, a field list and a generator pass per refusal, about what a
 * {@code /hello} answer costs). Solution: a waiter whose expected wait ({@code queued / drain rate}, with at
 * least {@link #EVIDENCE_COMPLETIONS_MIN} completions in the window behind the rate) exceeds the timeout is
 * refused at once, and the 503 is a prebuilt byte array per {@code Retry-After} value ({@link #busyResponse}),
 * rebuilt only when that value changes.
 *
 * <h2>Cancellation</h2>
 * {@link #admit} is a cancellation point while it waits ({@link ObjectPool#acquire}).
 *
 * <h2>Thread safety</h2>
 * Thread-safe. A newcomer that finds a slot free takes it even while others wait (no hand-off ordering); the
 * wait of each waiter is bounded anyway.
 */
public final class Admission {
    private final ObjectPool<HandlerSlot> slots;
    private final int handlersMax;
    private final int queueMax;
    private final Duration queueTimeout;
    private final long requestTimeoutNs;
    /** Requests waiting for a slot now: incremented before the wait, decremented after, any thread. */
    private final AtomicInteger queued = new AtomicInteger();
    private final DrainRate drain = new DrainRate();
    private final long queueTimeoutNs;
    /** The last prebuilt refusals (immutable); replaced when Retry-After changes. Any thread. */
    private volatile Busy busy;

    /** Completions in the drain window before its rate is trusted to refuse a waiter early. */
    static final int EVIDENCE_COMPLETIONS_MIN = 16;

    /** A 503 response, head and body, for one Retry-After value: kept-alive and closing. Immutable. */
    private record Busy(long retryAfterSeconds, byte[] keepAlive, byte[] close) {}

    public Admission(ObjectPool<HandlerSlot> slots, Limits limits) {
        this.slots = slots;
        this.handlersMax = limits.handlersMax();
        this.queueMax = limits.queueMax();
        this.queueTimeout = Duration.ofNanos(limits.queueTimeoutNs());
        this.requestTimeoutNs = limits.requestTimeoutNs();
        this.queueTimeoutNs = limits.queueTimeoutNs();
    }

    /** A slot, or null when the waiting line is full or the wait timed out. */
    public HandlerSlot admit() {
        HandlerSlot s = slots.tryAcquire();
        if (s != null || queueMax == 0) {
            return s;
        }
        int q = queued.incrementAndGet();
        try {
            if (q > queueMax || waitExceedsTimeout(q)) {
                return null;
            }
            try {
                return slots.acquire(queueTimeout);
            } catch (PoolExhaustedException e) {
                return null;
            }
        } finally {
            queued.decrementAndGet();
        }
    }

    /**
     * Whether waiter number {@code q} would wait longer than the queue timeout at the measured drain rate. Only
     * with enough completions in the window: after a quiet spell the rate says nothing, and the waiter waits.
     */
    private boolean waitExceedsTimeout(int q) {
        return refusesEarly(drain, System.nanoTime(), q, handlersMax, queueTimeoutNs);
    }

    /**
     * The early-refusal rule, on any clock ({@code nowNs} on the clock {@code drain} was fed with): waiter number
     * {@code q} (1 for the first) is refused at once when its expected wait, {@code q} over the drain rate, is
     * longer than {@code queueTimeoutNs}, provided the rate's window holds at least
     * {@code max(}{@link #EVIDENCE_COMPLETIONS_MIN}{@code , handlersMax)} completions. With fewer, nothing is known
     * about the rate (a quiet spell, a start) and the waiter waits its timeout.
     */
    static boolean refusesEarly(DrainRate drain, long nowNs, int q, int handlersMax, long queueTimeoutNs) {
        double rate = drain.perSecond(nowNs);
        double windowSeconds = DrainRate.BUCKETS * DrainRate.BUCKET_NS / 1e9;
        if (rate * windowSeconds < Math.max(EVIDENCE_COMPLETIONS_MIN, handlersMax)) {
            return false;
        }
        return q / rate * 1e9 > queueTimeoutNs;
    }

    /**
     * The whole 503 answer (head and body) for {@code retryAfterSeconds}, closing the connection or not. The
     * returned array is shared and must not be changed. Allocates only when the value differs from the last one
     * asked for (the drain rate moves slowly); any thread.
     */
    byte[] busyResponse(long retryAfterSeconds, boolean close) {
        Busy b = busy;
        if (b == null || b.retryAfterSeconds() != retryAfterSeconds) {
            b = new Busy(retryAfterSeconds, busyBytes(retryAfterSeconds, false), busyBytes(retryAfterSeconds, true));
            busy = b; // a racing thread may build its own copy; either is right
        }
        return close ? b.close() : b.keepAlive();
    }

    private byte[] busyBytes(long retryAfterSeconds, boolean close) {
        String body = "server busy: all " + handlersMax + " handlers are in use and " + queueMax
                + " requests wait; retry after " + retryAfterSeconds + " s\n";
        String head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: "
                + retryAfterSeconds + "\r\n" + (close ? "Connection: close\r\n" : "") + "Content-Length: "
                + body.length() + "\r\n\r\n";
        return (head + body).getBytes(StandardCharsets.US_ASCII);
    }

    /** Returns a slot and counts it toward the drain rate. Never blocks. */
    public void release(HandlerSlot slot) {
        drain.record(System.nanoTime());
        slots.release(slot);
    }

    /** Requests waiting for a slot now. */
    public int queued() {
        return Math.max(0, Math.min(queued.get(), queueMax));
    }

    /** Slots in use now. */
    public int busy() {
        return slots.inUse();
    }

    /**
     * Seconds a refused client should wait: the time for the waiting line plus one to drain at the rate slots
     * came free over the last two seconds, or, with no completion in that window, at the slowest rate the
     * deadline allows ({@code handlersMax} per request timeout). At least 1, at most 3,600.
     */
    public long retryAfterSeconds() {
        double rate = drain.perSecond(System.nanoTime());
        double floor = handlersMax * 1e9 / Math.max(1, requestTimeoutNs);
        double perSecond = Math.max(rate, floor);
        double seconds = (queued() + 1) / perSecond;
        return Math.max(1, Math.min(3600, (long) Math.ceil(seconds)));
    }

    /** Completions per second over the last two seconds. */
    public double drainPerSecond() {
        return drain.perSecond(System.nanoTime());
    }
}
