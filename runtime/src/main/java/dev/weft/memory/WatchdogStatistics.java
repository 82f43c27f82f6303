package dev.weft.memory;

/**
 * An immutable snapshot of a {@link HeapWatchdog}.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=watchdog-statistics}
 *
 * <p>"Live" figures come from full collections only (forced by the watchdog or the JVM's own), without the
 * watchdog's reserve: a young collection's "after" still counts old garbage. The heap in use is the collector's
 * eden, survivor and old pools together, at one moment (before each collection, and sampled between them):
 * the pools' own peaks are not added up, since they never coexist.
 *
 * @param limitBytesSoft              the soft limit on the live heap
 * @param graceBytes                  the grace lent to a task the watchdog blames
 * @param reserveBytes                the emergency reserve's size
 * @param reserveArmed                whether the reserve is held now
 * @param lastLiveBytes               live heap after the last full collection (0 before one)
 * @param peakLiveBytes               the highest live heap after a full collection (0 before one)
 * @param checks                      full collections inspected
 * @param raises                      memory errors raised in tasks
 * @param oomsContained               real {@link OutOfMemoryError}s contained to a task (process-wide)
 * @param reserveReleases             times the reserve was dropped (process-wide)
 * @param lastError                   the last memory error raised or contained, or null
 * @param peakHeapUsedBytes           the highest heap in use seen, reserve included
 * @param collectionsForced           full collections the watchdog forced
 * @param collectionsForcedBelowLimit of those, the ones that found the live heap at or below the limit
 * @param collector                   the garbage collector watched ({@code G1}, {@code Parallel}, {@code Serial})
 */
public record WatchdogStatistics(long limitBytesSoft, long graceBytes, long reserveBytes, boolean reserveArmed,
        long lastLiveBytes, long peakLiveBytes, long checks, long raises, long oomsContained, long reserveReleases,
        MemoryLimitError lastError, long peakHeapUsedBytes, long collectionsForced, long collectionsForcedBelowLimit,
        String collector) {
    /** The statistics of earlier versions, without the heap's peak, the forced collections and the collector. */
    public WatchdogStatistics(long limitBytesSoft, long graceBytes, long reserveBytes, boolean reserveArmed,
            long lastLiveBytes, long peakLiveBytes, long checks, long raises, long oomsContained,
            long reserveReleases, MemoryLimitError lastError) {
        this(limitBytesSoft, graceBytes, reserveBytes, reserveArmed, lastLiveBytes, peakLiveBytes, checks, raises,
                oomsContained, reserveReleases, lastError, 0, 0, 0, "unknown");
    }
}
