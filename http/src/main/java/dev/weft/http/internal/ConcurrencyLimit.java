package dev.weft.http.internal;

/**
 * How many handlers may run at once now: an adaptive concurrency limit between a floor (the runtime's loops) and
 * {@code handlersMax} (the memory plan's hard cap, whose slots are preallocated), moved so that a request's time
 * in its slot stays near its no-load value. Fed, for each request, with the time its handler task waited to
 * start after the hand-off (the queueing: a carrier to run on), the handler's own time (start to the slot's
 * return: the service) and the number of slots in use; on any clock (the caller passes the readings), so the
 * algorithm is tested on virtual timestamps ({@code ConcurrencyLimitTest}).
 *
 * <p>The algorithm follows TCP Vegas as Netflix's {@code concurrency-limits} applies it to servers
 * ({@code VegasLimit}: {@code queue = limit * (1 - rttNoLoad / rtt)}, the handlers that wait rather than run)
 * for the signal, and the gradient controller of Netflix's {@code Gradient2Limit} and Envoy's adaptive
 * concurrency filter ({@code newLimit = limit * gradient + headroom}, headroom the square root of the limit,
 * samples aggregated per window) for the update:
 * <ul>
 * <li>Every {@link #WINDOW_NS} (and at least {@link #WINDOW_SAMPLES_MIN} samples) the window's mean start delay is
 *     compared with the target {@code max(SLACK_NS, minService)}, where {@code minService} is the least handler
 *     time seen in the last one or two {@link #MIN_WINDOW_NS} (two minima, rotated: an old one is forgotten).
 *     Above it, the limit is multiplied by {@code target / delay} (at least {@link #DECREASE_FACTOR_MIN}: one
 *     window of outliers halves it at most). At or below half of it, the limit grows by its square root; between
 *     half and the target, by one (Vegas's two thresholds). It never grows when the window used at most half of
 *     it (the load, not the limit, bounded the concurrency: no evidence that more would do).
 * </ul>
 * So a request's time in its slot is at most about twice the fastest handler's (or that plus a millisecond).
 *
 * <p>What it gives. A CPU-bound handler on {@code n} cores: with {@code L} running, {@code L - n} wait for a
 * carrier, so the limit settles near {@code 2n} and the rest wait in the (short) line or are refused, instead of
 * 64 handlers sharing 2 cores for 32 ms each. A handler that blocks ({@code Thread.sleep}, a call to another
 * service): it parks, the carriers stay free, its start delay does not grow with concurrency, and the limit
 * climbs to {@code handlersMax}. A very short handler ({@code /hello}): start delays of some microseconds, under
 * {@link #SLACK_NS}: the limit stays at the cap.
 *
 * <p>Things that don't work: the service time as a ratio to its minimum (Vegas's {@code rtt / rttNoLoad}). With
 * routes of different speeds the minimum is the fastest route's, every slow request looks queued, and the limit
 * fell to its floor under a mix of {@code /hello} and {@code /sleep?ms=100}. Solution: the queueing measured
 * directly, as the handler task's wait for a carrier; what the handler does after it starts (blocking or
 * computing) is its own. A pure ratio for the queueing too: for a handler of 20 µs, a carrier hop of 100 µs is
 * five times its time, and the limit would collapse at the {@code /hello} peak to save a tenth of a millisecond.
 * Solution: the slack, an absolute amount of queueing that is never worth a refusal. An additive decrease
 * (Vegas's {@code limit - log10(limit)}): from 64 to 4 takes seconds of every request waiting 32 ms, the whole
 * p99 of a minute's overload. Solution: the gradient's multiplicative decrease. Envoy's periodic probe at a
 * concurrency of 3 to measure the no-load time: a burst of refusals every probe. Solution: the minimum of what
 * runs anyway.
 *
 * <h2>Thread safety</h2>
 * Thread-safe: a monitor around O(1) work, taken once per completed request; {@link #limit()} and
 * {@link #minServiceNs()} are volatile reads for the admission path.
 */
final class ConcurrencyLimit {
    /** How long one sample window lasts (at least: it also needs {@link #WINDOW_SAMPLES_MIN} samples). */
    static final long WINDOW_NS = 100_000_000L;
    /** Samples a window needs before the limit moves (a handful of 100 ms requests is no evidence). */
    static final int WINDOW_SAMPLES_MIN = 8;
    /** The period of each of the two minima behind {@code minService}: it is forgotten after 10 to 20 s. */
    static final long MIN_WINDOW_NS = 10_000_000_000L;
    /**
     * Queueing below this much is never worth a refusal (a refused client comes back after a second at the
     * earliest): the start-delay target is at least this.
     */
    static final long SLACK_NS = 1_000_000L;
    /** The most one window can cut the limit by (a factor): outliers halve it at most. */
    static final double DECREASE_FACTOR_MIN = 0.5;

    private final int floor;
    private final int max;

    /** The limit, fractional (growth by square roots). Guarded by this. */
    private double estimate;
    /** The limit as admission reads it: {@code (int) estimate}, between floor and max. Written under this; any thread. */
    private volatile int limit;
    /** The least service time in the current and the previous minimum periods; {@code Long.MAX_VALUE}: none. Guarded by this. */
    private long minCurrentNs = Long.MAX_VALUE;
    private long minPreviousNs = Long.MAX_VALUE;
    /** When the current minimum period started. Guarded by this. */
    private long minPeriodStartNs;
    /** {@code min(minCurrentNs, minPreviousNs)}, or 0 before any sample. Written under this; any thread. */
    private volatile long minServiceNs;
    /** The current window: its start, its start delays' sum and count, the most slots in use seen. Guarded by this. */
    private long windowStartNs;
    private long windowDelaySumNs;
    private int windowCount;
    private int windowInflightMax;
    /** Whether any sample came yet (the first one starts the periods). Guarded by this. */
    private boolean started;

    /**
     * A limit starting at {@code max} (nothing is known yet: every slot may run), moving within
     * {@code [floor, max]}.
     */
    ConcurrencyLimit(int floor, int max) {
        if (floor < 1 || floor > max) {
            throw new IllegalArgumentException("concurrency limit floor must be between 1 and the maximum " + max
                    + ", got " + floor);
        }
        this.floor = floor;
        this.max = max;
        this.estimate = max;
        this.limit = max;
    }

    /** Handlers that may run at once now. */
    int limit() {
        return limit;
    }

    /** The least handler time measured (the no-load service time), or 0 while nothing was measured. */
    long minServiceNs() {
        return minServiceNs;
    }

    /** The lower bound of the limit. */
    int floor() {
        return floor;
    }

    /**
     * Records one completed request at {@code nowNs}: its handler task started {@code delayNs} after the hand-off
     * and took {@code serviceNs} from its start to the slot's return; {@code inflight} slots were in use (itself
     * included). Returns the limit after it.
     */
    synchronized int record(long nowNs, long delayNs, long serviceNs, int inflight) {
        long service = Math.max(1, serviceNs);
        if (!started) {
            started = true;
            minPeriodStartNs = nowNs;
            windowStartNs = nowNs;
        }
        if (nowNs - minPeriodStartNs >= MIN_WINDOW_NS) {
            // a period passed (or more than two: then the previous minimum is as old as the current one)
            minPreviousNs = nowNs - minPeriodStartNs >= 2 * MIN_WINDOW_NS ? Long.MAX_VALUE : minCurrentNs;
            minCurrentNs = Long.MAX_VALUE;
            minPeriodStartNs = nowNs;
        }
        minCurrentNs = Math.min(minCurrentNs, service);
        long min = Math.min(minCurrentNs, minPreviousNs);
        minServiceNs = min;
        windowDelaySumNs += Math.max(0, delayNs);
        windowCount++;
        windowInflightMax = Math.max(windowInflightMax, inflight);
        if (nowNs - windowStartNs >= WINDOW_NS && windowCount >= WINDOW_SAMPLES_MIN) {
            estimate = next(estimate, (double) windowDelaySumNs / windowCount, min, windowInflightMax, floor, max);
            limit = (int) estimate;
            windowStartNs = nowNs;
            windowDelaySumNs = 0;
            windowCount = 0;
            windowInflightMax = 0;
        }
        return limit;
    }

    /**
     * The update rule, a pure function: the limit after a window whose mean start delay was {@code delayNs}, with
     * the no-load service time {@code minServiceNs} and at most {@code inflightMax} slots in use during the window.
     */
    static double next(double limit, double delayNs, long minServiceNs, int inflightMax, int floor, int max) {
        double targetNs = delayTargetNs(minServiceNs);
        double n;
        if (delayNs > targetNs) {
            n = limit * Math.max(DECREASE_FACTOR_MIN, targetNs / delayNs);
        } else if (inflightMax * 2 < limit) {
            n = limit; // the load bounded the concurrency, not the limit: no evidence that more would do
        } else if (delayNs * 2 > targetNs) {
            n = limit + 1; // some queueing, under the target: probe gently (Vegas's increase between its thresholds)
        } else {
            n = limit + Math.sqrt(limit); // next to no queueing: the gradient controllers' square-root headroom
        }
        return Math.max(floor, Math.min(max, n));
    }

    /** The start delay the limit allows for a no-load service time of {@code minServiceNs}: that time, or the slack. */
    static double delayTargetNs(long minServiceNs) {
        return Math.max(SLACK_NS, (double) minServiceNs);
    }
}
