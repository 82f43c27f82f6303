package dev.weft.http.internal;

import dev.weft.memory.ObjectPool;
import dev.weft.memory.PoolExhaustedException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Admission to the handler slots: a slot at once while fewer than the {@linkplain ConcurrencyLimit adaptive
 * limit} run, else a bounded wait (at most {@code queueMax} waiters, each at most {@code queueTimeout}), else a
 * refusal that the connection answers with 503 and a {@code Retry-After} computed here from the waiters and the
 * measured drain rate.
 *
 * <p>Things that don't work: an unbounded queue in front of the handlers (the JDK's {@code HttpServer} with an
 * executor, a servlet container's accept queue). Under overload every request waits, latency grows without
 * bound, and clients time out after the server has spent the work on them. Solution: a waiting line with a
 * length and a time limit, and a fast refusal that says when to come back.
 *
 * <p>Things that don't work either: a fixed number of running handlers and a fixed wait. With all 64 slots busy
 * on 2 cores, a 1 ms CPU-bound handler spends 32 ms in its slot, and a waiter up to the 100 ms
 * {@code queueTimeout} in line: under overload the admitted p99 was 29 to 36 times its half-load value, bounded
 * by the configuration and not by the server's speed. Solution: the number of handlers running at once follows
 * the measured service time ({@link ConcurrencyLimit}: between twice the loops' count and {@code handlersMax},
 * which stays the plan's hard cap), so those beyond it wait in the line (FIFO) instead of sharing the cores.
 *
 * <p>Things that don't work: bounding the wait by a target from the same measurement (a sojourn rule: refuse a
 * waiter expected to wait more than twice the fastest handler's time, 2 ms for a 1 ms handler). A closed-loop
 * client with more connections than the limit (wrk's 64 against a CPU-bound handler) then gets a 503 for most of
 * its requests and sends the next at once: 214,067 of wrk's 221,506 answers were 503 and the refusals took the
 * cores from the handlers (2xx at 741/s where the fixed line served 1,731/s). Solution, for now: the line stays
 * bounded by {@code queueMax} and {@code queueTimeout}, with the early refusal of the next paragraph when the
 * drain rate says the timeout cannot be met.
 *
 * <p>The limit is enforced with the slots themselves: while it is below {@code handlersMax}, returned slots are
 * withheld from the pool ({@link #withheld}) until only {@code limit} can be taken, and given back when it grows.
 * The pool's own wait (FIFO, a cancellation point, with its timeout) stays the waiting line, and a running
 * handler is never cancelled by a lower limit: the limit takes effect as handlers finish.
 *
 * <p>A refusal must cost less than an answer, or overload starves the admitted requests of the loops that
 * serve them. Things that don't work: waiting the whole {@code queueTimeout} when the measured drain rate says
 * the slot cannot come in time (at 10 times the capacity every waiter timed out, holding its connection 100 ms
 * for nothing, and the clients' connections ran out); generating each 503 with Jetty's generator from a
 * formatted message (string building, a field list and a generator pass per refusal, about what a
 * {@code /hello} answer costs). Solution: refusing such a waiter at once ({@link #refusesEarly}), and the 503
 * as a prebuilt byte array per {@code Retry-After} value and limit ({@link #busyResponse}), rebuilt only when one
 * of them changes.
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
    private final long requestTimeoutNs;
    /** Requests waiting for a slot now: incremented before the wait, decremented after, any thread. */
    private final AtomicInteger queued = new AtomicInteger();
    private final DrainRate drain = new DrainRate();
    private final ConcurrencyLimit limit;
    private final long queueTimeoutNs;
    /**
     * When each slot's request was handed to its handler task, and when that task started ({@code System.nanoTime()}),
     * by slot index: written by the connection task and the handler task in turn (the spawn orders them), read at
     * the slot's return by the task returning it.
     */
    private final long[] handedOffNs;
    private final long[] startedNs;
    /** Slots returned but kept out of the pool while the limit is below {@code handlersMax}. Guarded by itself. */
    private final HandlerSlot[] withheld;
    /** How many of {@link #withheld} hold a slot. Written under {@link #withheld}; read by any thread. */
    private volatile int withheldCount;
    private final Duration queueTimeout;
    /** The last prebuilt refusals (immutable); replaced when Retry-After or the limit changes. Any thread. */
    private volatile Busy busy;

    /** Completions in the drain window before its rate is trusted to refuse a waiter early. */
    static final int EVIDENCE_COMPLETIONS_MIN = 16;

    /** A 503 response, head and body, for one Retry-After value and limit: kept-alive and closing. Immutable. */
    private record Busy(long retryAfterSeconds, int limit, byte[] keepAlive, byte[] close) {}

    /** Admission with a limit between {@code limitFloor} (twice the loops, at most {@code handlersMax}) and {@code handlersMax}. */
    public Admission(ObjectPool<HandlerSlot> slots, Limits limits, int limitFloor) {
        this.slots = slots;
        this.handlersMax = limits.handlersMax();
        this.queueMax = limits.queueMax();
        this.requestTimeoutNs = limits.requestTimeoutNs();
        this.queueTimeoutNs = limits.queueTimeoutNs();
        this.limit = new ConcurrencyLimit(Math.max(1, Math.min(limitFloor, handlersMax)), handlersMax);
        this.handedOffNs = new long[handlersMax];
        this.startedNs = new long[handlersMax];
        this.withheld = new HandlerSlot[handlersMax];
        this.queueTimeout = Duration.ofNanos(queueTimeoutNs);
    }

    /** A slot, or null when the waiting line is full, the expected wait is above the timeout, or the wait timed out. */
    public HandlerSlot admit() {
        HandlerSlot s = slots.tryAcquire();
        if (s != null || queueMax == 0) {
            return s;
        }
        int q = queued.incrementAndGet();
        try {
            if (q > queueMax || refusesEarly(drain, System.nanoTime(), q, handlersMax, queueTimeoutNs)) {
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

    /** The connection task hands {@code s}'s request to its handler task now (before the spawn). */
    public void handingOff(HandlerSlot s) {
        long now = System.nanoTime();
        handedOffNs[s.index()] = now;
        startedNs[s.index()] = now; // until the handler task says otherwise (a slot returned before it ran)
    }

    /** The handler task of {@code s} starts now (its first action). */
    public void started(HandlerSlot s) {
        startedNs[s.index()] = System.nanoTime();
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
     * returned array is shared and must not be changed. Allocates only when the value or the limit differs from
     * the last one asked for (both move slowly); any thread.
     */
    byte[] busyResponse(long retryAfterSeconds, boolean close) {
        Busy b = busy;
        int l = limit.limit();
        if (b == null || b.retryAfterSeconds() != retryAfterSeconds || b.limit() != l) {
            b = new Busy(retryAfterSeconds, l, busyBytes(retryAfterSeconds, l, false),
                    busyBytes(retryAfterSeconds, l, true));
            busy = b; // a racing thread may build its own copy; either is right
        }
        return close ? b.close() : b.keepAlive();
    }

    /** The 503's body text (without its line end), for the prebuilt answer and for a {@code HEAD} request's. */
    String busyText(long retryAfterSeconds, int limitNow) {
        return "server busy: all " + limitNow + " handlers are in use" + (limitNow < handlersMax ? " (of "
                + handlersMax + " slots: the concurrency at which the measured latency stays near its no-load value)"
                : "") + " and " + queueMax + " requests wait; retry after " + retryAfterSeconds + " s";
    }

    private byte[] busyBytes(long retryAfterSeconds, int limitNow, boolean close) {
        String body = busyText(retryAfterSeconds, limitNow) + "\n";
        String head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: "
                + retryAfterSeconds + "\r\n" + (close ? "Connection: close\r\n" : "") + "Content-Length: "
                + body.length() + "\r\n\r\n";
        return (head + body).getBytes(StandardCharsets.US_ASCII);
    }

    /**
     * Returns a slot: counts it toward the drain rate, feeds its service time to the limit, and withholds it from
     * the pool while the limit says fewer handlers may run (or gives withheld slots back when it grew). Never
     * blocks (a monitor around at most {@code handlersMax} pool returns, taken once per request).
     */
    public void release(HandlerSlot slot) {
        long nowNs = System.nanoTime();
        drain.record(nowNs);
        int i = slot.index();
        int l = limit.record(nowNs, startedNs[i] - handedOffNs[i], nowNs - startedNs[i], busy());
        handedOffNs[i] = nowNs; // a slot returned without a hand-off (a refused body) counts no delay
        startedNs[i] = nowNs;
        synchronized (withheld) {
            int keep = handlersMax - l;
            int n = withheldCount;
            if (n < keep) {
                withheld[n] = slot;
                withheldCount = n + 1;
                return;
            }
            slots.release(slot);
            while (n > keep) { // the limit grew: give slots back (each may wake a waiter)
                n--;
                HandlerSlot w = withheld[n];
                withheld[n] = null;
                slots.release(w);
            }
            withheldCount = n;
        }
    }

    /** Requests waiting for a slot now. */
    public int queued() {
        return Math.max(0, Math.min(queued.get(), queueMax));
    }

    /** Slots in use by requests now (not counting those withheld by the limit). */
    public int busy() {
        return Math.max(0, slots.inUse() - withheldCount);
    }

    /** Handlers that may run at once now: the adaptive limit, between its floor and {@code handlersMax}. */
    public int limit() {
        return limit.limit();
    }

    /** The least handler time measured (the last 10 to 20 s), or 0 before any request. */
    public long minServiceNs() {
        return limit.minServiceNs();
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
