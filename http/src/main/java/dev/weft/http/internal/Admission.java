package dev.weft.http.internal;

import dev.weft.memory.ObjectPool;
import dev.weft.memory.PoolExhaustedException;
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

    public Admission(ObjectPool<HandlerSlot> slots, Limits limits) {
        this.slots = slots;
        this.handlersMax = limits.handlersMax();
        this.queueMax = limits.queueMax();
        this.queueTimeout = Duration.ofNanos(limits.queueTimeoutNs());
        this.requestTimeoutNs = limits.requestTimeoutNs();
    }

    /** A slot, or null when the waiting line is full or the wait timed out. */
    public HandlerSlot admit() {
        HandlerSlot s = slots.tryAcquire();
        if (s != null || queueMax == 0) {
            return s;
        }
        int q = queued.incrementAndGet();
        try {
            if (q > queueMax) {
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
