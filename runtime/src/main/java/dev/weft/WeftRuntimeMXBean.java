package dev.weft;

import java.util.Map;

/**
 * A Weft runtime as JMX shows it ({@code jconsole}: MBeans, {@code dev.weft}, {@code Runtime}): the figures of
 * {@link RuntimeStatistics} and the task tree. Registered on the platform MBean server when the JVM runs with
 * {@code -Dweft.jmx=true}, or from another terminal with {@code ./weft jmx PID}; unregistered when the runtime ends.
 *
 * {@snippet class=dev.weft.snippets.ObservabilitySnippets region=runtimeMXBean}
 */
public interface WeftRuntimeMXBean {
    /** {@link RuntimeStatistics#name()}. */
    String getName();

    /** {@link RuntimeStatistics#loops()}. */
    int getLoops();

    /** {@link RuntimeStatistics#tasksLive()}. */
    long getTasksLive();

    /** {@link RuntimeStatistics#tasksSpawned()}. */
    long getTasksSpawned();

    /** {@link RuntimeStatistics#cancellations()}, keyed by the reason's name. */
    Map<String, Long> getCancellations();

    /** {@link RuntimeStatistics#checkpointGaps()}. */
    long getCheckpointGaps();

    /** {@link RuntimeStatistics#runQueueOverflows()}. */
    long getRunQueueOverflows();

    /** {@link RuntimeStatistics#lateHandovers()}. */
    long getLateHandovers();

    /** {@link RuntimeStatistics#internalErrors()}. */
    long getInternalErrors();

    /** {@link Weft#dump()} of this runtime. */
    String dump();

    /** {@link Weft#dumpJson()} of this runtime. */
    String dumpJson();
}
