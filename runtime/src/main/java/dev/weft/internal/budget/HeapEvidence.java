package dev.weft.internal.budget;

/**
 * What the heap watchdog knows of the live heap, and when it asks for more: an estimate of the live heap from
 * cheap samples of the heap pools, the exact figure from each full collection, and the rule for forcing one.
 * Arithmetic only: {@link HeapMonitor} feeds it what the JVM's beans say, and tests feed it sequences.
 *
 * {@snippet class=dev.weft.internal.budget.BudgetInternalsSnippets region=heapEvidence}
 *
 * <p>Implementation overview. The live heap is known exactly only after a full collection; between
 * collections the heap in use is an upper bound that counts garbage. The estimate is
 * {@code old + survivor + survival x eden}: the old generation and the survivor space as they are (G1's
 * humongous objects are allocated straight into the old generation and count at once), and of eden the
 * fraction that the last two young collections retained ({@link #youngCollection}; 1 until one has been
 * seen). A program that keeps what it allocates retains all of eden, so its estimate follows its allocation
 * and crosses the limit when its live heap does; a program that makes short-lived garbage retains little, so
 * its eden, however full, does not move the estimate. When the estimate is above the soft limit the watchdog
 * forces a full collection, whose result decides: above the limit, a task is blamed; below it (a false
 * alarm: old garbage), the next forced collection waits {@link #FALSE_ALARM_SPACING} times as long as this
 * one took, so that forced collections take at most a fifth of the time of a program that lives just under
 * its limit. The watchdog polls often enough that the heap cannot cross the limit unseen by more than half
 * the distance it had left ({@link #pollIntervalNs}).
 *
 * <p>Things that don't work: deciding after GC notifications, and forcing a full collection at most once a
 * second. The notifications arrived 20 to 50 ms after the collection (the JDK delivers them on one thread),
 * and a young collection reported late could shadow the full one that followed; at 1.0 to 1.3 GB/s a program
 * held 117 to 232 MiB when it was stopped under a 96 MiB limit. Solution: the watchdog thread reads each
 * collector's last collection itself; no fixed floor; the spacing only follows a false alarm, and scales with
 * what the collection cost. Things that don't work: a young collection's "after" as the live heap (it counts
 * old garbage; with {@code -XX:+DisableExplicitGC} the watchdog used to decide from eight of them in a row,
 * and stopped a program holding 89 MiB in 64 KiB chunks under a 96 MiB limit in 3 runs of 3). Solution: only a
 * full collection decides; the estimate only decides when to look.
 * Things that don't work: counting eden as live. A healthy program's eden is mostly garbage, and the
 * watchdog would force a full collection at every young one. Solution: weigh eden by its retention.
 *
 * <h2>Thread safety</h2>
 * Not thread-safe: the watchdog thread only.
 */
final class HeapEvidence {
    /** Shortest poll interval: how soon the watchdog looks again with the estimate at or above the limit. */
    static final long POLL_INTERVAL_NS_MIN = 1_000_000;
    /** Longest poll interval, far from the limit. */
    static final long POLL_INTERVAL_NS_MAX = 50_000_000;
    /**
     * The poll interval assumes the program allocates at least this fast (bytes per second), so that a burst
     * after a quiet spell does not find the watchdog asleep for 50 ms: near a 96 MiB limit with 6 MiB left it
     * polls every 3 ms. About 1 GB/s is what one core allocates filling arrays.
     */
    static final long ALLOCATION_RATE_BYTES_PER_SECOND_MIN = 1L << 30;
    /** After a full collection that found the live heap below the limit, the next forced one waits this many times its duration. */
    static final int FALSE_ALARM_SPACING = 4;
    /** The spacing's ceiling above the last live heap (or the limit): a sixteenth of the limit, half the default grace. */
    static final long QUIET_CEILING_FRACTION_INVERSE = 16;

    private final long limitBytesSoft;
    /**
     * The estimate above which the carriers' allocation counters are read ({@link HeapMonitor#ATTRIBUTION_FRACTION}
     * of the limit): the blame's window starts counting when a sample first finds the estimate above it.
     */
    private final long attributionBytes;
    /** Fraction of eden the last young collection retained; 1 before one. */
    private double survivalLast = 1;
    /** The same for the young collection before it. */
    private double survivalPrevious = 1;
    /** The estimate at the last sample, and when. */
    private long estimateBytes;
    private long estimateAtNs;
    private boolean sampled;
    /**
     * How fast the estimate grew between two samples with no collection between them, bytes per nanosecond (halves
     * at each sample where it did not grow). Things that don't work: the growth across a collection; its pause
     * hides the rate at which the program fills eden afterwards (measured under Parallel: 64 MiB in about 10 ms,
     * against an average of 0.7 GB/s with the pauses).
     */
    private double growthBytesPerNs;
    /** A collection was reported since the last sample: the next sample starts a new interval for the rate. */
    private boolean collectedSinceSample;
    /** The live heap after the last full collection, or -1 before one. */
    private long liveBytes = -1;
    /** The highest live heap after a full collection, or -1. */
    private long peakLiveBytes = -1;
    /** No forced full collection before this time (after a false alarm). */
    private long quietUntilNs;
    private boolean quiet;
    /** Forced collections and, of those, false alarms. */
    private long forced;
    private long falseAlarms;

    HeapEvidence(long limitBytesSoft) {
        if (limitBytesSoft <= 0) {
            throw new IllegalArgumentException("soft limit must be positive, got " + limitBytesSoft);
        }
        this.limitBytesSoft = limitBytesSoft;
        this.attributionBytes = (long) (limitBytesSoft * HeapMonitor.ATTRIBUTION_FRACTION);
    }

    /** A sample of the heap pools now (without the watchdog's own reserve, which {@code oldBytes} excludes). */
    void sample(long nowNs, long oldBytes, long survivorBytes, long edenBytes) {
        assert oldBytes >= 0 && survivorBytes >= 0 && edenBytes >= 0;
        long e = oldBytes + survivorBytes + (long) (survival() * edenBytes);
        if (sampled && !collectedSinceSample && nowNs > estimateAtNs) {
            double rate = (double) (e - estimateBytes) / (nowNs - estimateAtNs);
            growthBytesPerNs = rate > growthBytesPerNs ? rate : growthBytesPerNs / 2;
        }
        estimateBytes = e;
        estimateAtNs = nowNs;
        sampled = true;
        collectedSinceSample = false;
    }

    /**
     * A young collection's before and after (G1's mixed collections too). Its retention is the growth of the
     * pools outside eden over the eden it emptied; a collection that shrank the old generation (G1's mixed
     * collections, eager reclaim of humongous objects) mixes in old garbage and tells nothing of eden, so it
     * is skipped.
     */
    void youngCollection(long oldBefore, long survivorBefore, long edenBefore, long oldAfter, long survivorAfter) {
        youngCollection(oldBefore, survivorBefore, edenBefore, oldAfter, survivorAfter, 0);
    }

    /**
     * The same, with the time the program had to fill that eden ({@code fillNs}: from the end of the collection
     * before to the start of this one; 0 if unknown). Eden over that time is the rate the program allocates at
     * between pauses, which the samples miss when eden fills faster than the poll interval (Parallel's eden, a
     * quarter of the heap, filled in about 10 ms): times the retention, it is a floor on how fast the estimate grows.
     */
    void youngCollection(long oldBefore, long survivorBefore, long edenBefore, long oldAfter, long survivorAfter,
            long fillNs) {
        collectedSinceSample = true;
        if (edenBefore <= 0 || oldAfter < oldBefore) {
            return;
        }
        double s = (double) (oldAfter + survivorAfter - oldBefore - survivorBefore) / edenBefore;
        survivalPrevious = survivalLast;
        survivalLast = Math.max(0, Math.min(1, s));
        if (fillNs > 0) {
            growthBytesPerNs = Math.max(growthBytesPerNs, survival() * edenBefore / fillNs);
        }
    }

    /**
     * A full collection ended at {@code nowNs}, after {@code durationNs}, with {@code liveBytes} live (the
     * heap pools after it, without the reserve); {@code wasForced} if the watchdog asked for it. Returns
     * whether the live heap is above the limit; if it is not, the next forced collection waits
     * ({@link #FALSE_ALARM_SPACING}).
     */
    boolean fullCollection(long nowNs, long liveBytes, long durationNs, boolean wasForced) {
        assert liveBytes >= 0 && durationNs >= 0;
        collectedSinceSample = true;
        this.liveBytes = liveBytes;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
        if (wasForced) {
            forced++;
        }
        boolean above = liveBytes > limitBytesSoft;
        if (!above) {
            falseAlarm(nowNs, durationNs, wasForced);
        }
        return above;
    }

    /**
     * The full collection the watchdog runs when it is installed: the live heap at the start. It was no alarm, so no
     * spacing follows it.
     *
     * <p>Things that don't work: spacing after it as after a false alarm. On a loaded machine that first collection
     * took up to 103 ms (cold code), so forced collections were held back for 412 ms: a program keeping 600 KiB arrays
     * crossed the limit 210 ms after the start and was collected only at the spacing's ceiling, 120 MiB.
     */
    void initialCollection(long liveBytes) {
        assert liveBytes >= 0;
        collectedSinceSample = true;
        this.liveBytes = liveBytes;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
    }

    /** The full collection found the heap above the limit, but there was nobody to blame: space the next one. */
    void undecided(long nowNs, long durationNs) {
        falseAlarm(nowNs, durationNs, false);
    }

    private void falseAlarm(long nowNs, long durationNs, boolean count) {
        if (count) {
            falseAlarms++;
        }
        quietUntilNs = nowNs + FALSE_ALARM_SPACING * Math.max(durationNs, POLL_INTERVAL_NS_MIN);
        quiet = true;
    }

    /**
     * Whether to force a full collection now: the estimate is above the limit and no false alarm is recent, or it is
     * above {@link #quietCeilingBytes} whatever the spacing says.
     *
     * <p>Things that don't work: the spacing alone. The estimate crossed the limit at 97.0 MiB while the live heap was
     * 95.2 (the runtime's own objects), the forced collection was a false alarm, and during the spacing that followed
     * (four times its 25 ms) the program kept allocating at full speed: 171.8 MiB live at the next collection, on a
     * loaded machine. Solution: the spacing holds back only collections of an estimate within a sixteenth of the limit
     * (half the default grace) above the last live heap or the limit, whichever is higher; a live heap that may have
     * grown that far since is worth a collection whatever it costs, and one that stays above the limit with nobody to
     * blame ({@link #undecided}) is collected again only after it grew by that much.
     *
     * <p>Things that don't work: a ceiling of an eighth (the whole grace). A fast allocator whose first forced
     * collection was a false alarm (87.8 MiB live: startup garbage in eden counted before any young collection) went
     * on to the ceiling, 108 MiB, and the watchdog's thread, waiting for a core at load 15, looked again 14 ms later:
     * 121.8 MiB live at the error. Solution: the ceiling leaves the other half of the grace for what the program
     * allocates before the watchdog's next look.
     */
    boolean wantsFullCollection(long nowNs) {
        return sampled && estimateBytes > limitBytesSoft && (!isQuiet(nowNs) || estimateBytes > quietCeilingBytes());
    }

    /**
     * Above this estimate a false alarm's spacing holds nothing back: the last live heap (or the limit, if higher)
     * plus {@link #QUIET_CEILING_FRACTION_INVERSE}th of the limit.
     */
    long quietCeilingBytes() {
        return Math.max(liveBytes, limitBytesSoft) + limitBytesSoft / QUIET_CEILING_FRACTION_INVERSE;
    }

    /** Whether a false alarm's spacing holds forced collections back now. */
    boolean isQuiet(long nowNs) {
        if (quiet && nowNs - quietUntilNs >= 0) {
            quiet = false;
        }
        return quiet;
    }

    /**
     * How long to wait before the next sample: half the distance to the limit at the estimate's growth rate
     * (at least {@link #ALLOCATION_RATE_BYTES_PER_SECOND_MIN}), between {@link #POLL_INTERVAL_NS_MIN} and
     * {@link #POLL_INTERVAL_NS_MAX}; above the limit, the shortest, or until a false alarm's spacing ends. Below the
     * attribution threshold (half the limit), while the estimate grows, no longer than half the time it needs to reach
     * that threshold at its measured rate (no floor on the rate: a steady heap is polled as before).
     *
     * <p>Things that don't work: aiming at the limit alone. The blame's counts start at the first sample above the
     * threshold; a program keeping 600 KiB arrays under G1 went from 33 to 94 MiB between two samples, so its window
     * held only what it allocated from 94 MiB on, too little to be blamed at the first verdict.
     */
    long pollIntervalNs(long nowNs) {
        long distance = limitBytesSoft - estimateBytes;
        double rate = Math.max(growthBytesPerNs, ALLOCATION_RATE_BYTES_PER_SECOND_MIN / 1e9);
        long toAttribution = attributionBytes - estimateBytes;
        if (toAttribution > 0 && growthBytesPerNs > 0) {
            // below the attribution threshold and growing: look again before it passes it by much, so that the
            // blame's counts start near it, not a poll before the limit
            return Math.min(clamp((long) (distance / (2 * rate))),
                    clamp((long) (toAttribution / (2 * growthBytesPerNs))));
        }
        if (distance <= 0) {
            long ceilingDistance = quietCeilingBytes() - estimateBytes;
            if (!isQuiet(nowNs) || ceilingDistance <= 0) {
                return POLL_INTERVAL_NS_MIN;
            }
            // quiet: until the spacing ends, or half the way to the ceiling at the growth rate if that is sooner
            return Math.min(clamp(quietUntilNs - nowNs), clamp((long) (ceilingDistance / (2 * rate))));
        }
        return clamp((long) (distance / (2 * rate)));
    }

    private static long clamp(long ns) {
        return Math.max(POLL_INTERVAL_NS_MIN, Math.min(POLL_INTERVAL_NS_MAX, ns));
    }

    /** The fraction of eden the estimate counts: the larger of the last two young collections' retention. */
    double survival() {
        return Math.max(survivalLast, survivalPrevious);
    }

    /** The estimate at the last sample. */
    long estimateBytes() {
        return estimateBytes;
    }

    /** The live heap after the last full collection, or -1 before one. */
    long liveBytes() {
        return liveBytes;
    }

    /** The highest live heap after a full collection, or -1 before one. */
    long peakLiveBytes() {
        return peakLiveBytes;
    }

    /** Full collections forced. */
    long forced() {
        return forced;
    }

    /** Forced full collections that found the live heap at or below the limit. */
    long falseAlarms() {
        return falseAlarms;
    }
}
