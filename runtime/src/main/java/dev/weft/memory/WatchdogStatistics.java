package dev.weft.memory;

/**
 * An immutable snapshot of a {@link HeapWatchdog}.
 *
 * {@snippet :
 * WatchdogStatistics s = watchdog.statistics();
 * System.err.printf("live %d of %d soft limit (peak %d); %d raised, %d OOM contained%n",
 *         s.lastLiveBytes(), s.limitBytesSoft(), s.peakLiveBytes(), s.raises(), s.oomsContained());
 * }
 *
 * @param limitBytesSoft  the soft limit on the live heap
 * @param graceBytes      the grace lent to a task the watchdog blames
 * @param reserveBytes    the emergency reserve's size
 * @param reserveArmed    whether the reserve is held now
 * @param lastLiveBytes   live heap after the last GC
 * @param peakLiveBytes   the highest live heap after a GC
 * @param checks          GCs inspected
 * @param raises          memory errors raised in tasks
 * @param oomsContained   real {@link OutOfMemoryError}s contained to a task (process-wide)
 * @param reserveReleases times the reserve was dropped (process-wide)
 * @param lastError       the last memory error raised or contained, or null
 */
public record WatchdogStatistics(long limitBytesSoft, long graceBytes, long reserveBytes, boolean reserveArmed,
        long lastLiveBytes, long peakLiveBytes, long checks, long raises, long oomsContained, long reserveReleases,
        MemoryLimitError lastError) {}
