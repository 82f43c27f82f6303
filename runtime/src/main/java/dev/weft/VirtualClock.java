package dev.weft;

import dev.weft.internal.time.Ticker;
import dev.weft.internal.time.TimerQueue;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A clock that only moves when told to: deterministic tests of deadlines and {@link Weft#sleep}, like
 * Trio's {@code MockClock}.
 *
 * {@snippet class=dev.weft.snippets.RuntimeSnippets region=virtual-clock}
 *
 * <p>It drives Weft's deadlines and sleeps only; JDK timed waits ({@code Thread.sleep}) keep real time.
 *
 * <h2>Thread safety</h2>
 * Safe from any thread. A clock serves one runtime at a time.
 */
public final class VirtualClock {
    private final AtomicLong nowNs = new AtomicLong(1_000_000_000L);
    /** The runtime's timers while one runs on this clock. Written by Weft.run; read by advance. */
    private volatile TimerQueue timers;

    private VirtualClock() {}

    /** A virtual clock at an arbitrary origin. */
    public static VirtualClock create() {
        return new VirtualClock();
    }

    /** The current virtual time in nanoseconds. */
    public long nanoTime() {
        return nowNs.get();
    }

    /**
     * Moves time forward by {@code d} and fires every deadline and sleep that became due (on the calling
     * thread, before returning).
     */
    public void advance(Duration d) {
        if (d.isNegative()) {
            throw new IllegalArgumentException("a clock only moves forward; got " + d);
        }
        nowNs.addAndGet(d.toNanos());
        TimerQueue t = timers;
        if (t != null) {
            t.fireDue();
        }
    }

    Ticker ticker() {
        return nowNs::get;
    }

    void attach(TimerQueue t) {
        this.timers = t;
    }
}
