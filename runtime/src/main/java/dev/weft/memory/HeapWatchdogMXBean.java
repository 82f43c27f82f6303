package dev.weft.memory;

/**
 * The heap watchdog as JMX shows it ({@code dev.weft:type=HeapWatchdog,name="heap"}): figures of
 * {@link WatchdogStatistics}, read fresh at every attribute read. Registered with {@code -Dweft.jmx=true} or by
 * {@code ./weft jmx PID} once a watchdog is installed.
 *
 * {@snippet class=dev.weft.snippets.ObservabilitySnippets region=heapWatchdogMXBean}
 */
public interface HeapWatchdogMXBean {
    /** {@link WatchdogStatistics#limitBytesSoft()}. */
    long getLimitBytesSoft();

    /** {@link WatchdogStatistics#graceBytes()}. */
    long getGraceBytes();

    /** {@link WatchdogStatistics#reserveBytes()}. */
    long getReserveBytes();

    /** {@link WatchdogStatistics#lastLiveBytes()}. */
    long getLastLiveBytes();

    /** {@link WatchdogStatistics#peakLiveBytes()}. */
    long getPeakLiveBytes();

    /** {@link WatchdogStatistics#checks()}. */
    long getChecks();

    /** {@link WatchdogStatistics#raises()}. */
    long getRaises();

    /** {@link WatchdogStatistics#oomsContained()}. */
    long getOomsContained();

    /** {@link WatchdogStatistics#collectionsForced()}. */
    long getCollectionsForced();

    /** {@link WatchdogStatistics#collector()}. */
    String getCollector();
}
