package dev.weft.http.internal;

/**
 * How fast handler slots come free (on {@link System#nanoTime()}, also outside tasks): completions counted in a ring of eight 250 ms buckets (a 2 s window that
 * slides by a quarter second), read as completions per second.
 *
 * <p>Things that don't work: an exponentially weighted mean of the gaps between completions. After a quiet
 * spell the first completion reports a tiny rate, and a burst of overload then gets Retry-After in minutes.
 * Solution: a window that forgets, and the slowest possible rate (every slot busy until its deadline) when it
 * holds nothing.
 *
 * <h2>Thread safety</h2>
 * Thread-safe: a monitor around O(1) work (eight buckets at most), taken once per completed request.
 */
final class DrainRate {
    static final int BUCKETS = 8;
    static final long BUCKET_NS = 250_000_000L;

    /** Completions per bucket. Guarded by this. */
    private final long[] counts = new long[BUCKETS];
    /** The bucket number each slot last counted for. Guarded by this. */
    private final long[] epochs = new long[BUCKETS];

    DrainRate() {
        java.util.Arrays.fill(epochs, Long.MIN_VALUE);
    }

    synchronized void record(long nowNs) {
        long e = Math.floorDiv(nowNs, BUCKET_NS);
        int i = (int) Math.floorMod(e, (long) BUCKETS);
        if (epochs[i] != e) {
            epochs[i] = e;
            counts[i] = 0;
        }
        counts[i]++;
    }

    /** Completions per second over the window ending now; 0 if none. */
    synchronized double perSecond(long nowNs) {
        long e = Math.floorDiv(nowNs, BUCKET_NS);
        long n = 0;
        for (int i = 0; i < BUCKETS; i++) {
            long age = e - epochs[i];
            if (epochs[i] != Long.MIN_VALUE && age >= 0 && age < BUCKETS) {
                n += counts[i];
            }
        }
        // the window: the seven full buckets behind the current one, plus the part of the current one that passed
        long windowNs = (BUCKETS - 1) * BUCKET_NS + Math.floorMod(nowNs, BUCKET_NS);
        return n * 1e9 / windowNs;
    }
}
