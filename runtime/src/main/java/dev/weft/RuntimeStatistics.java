package dev.weft;

import java.util.Map;

/**
 * A runtime's counters at one moment, from {@link Weft#statistics()} or the runtime's MBean
 * ({@code dev.weft:type=Runtime,name=NAME}, {@link WeftRuntimeMXBean}).
 *
 * {@snippet class=dev.weft.snippets.ObservabilitySnippets region=runtimeStatistics}
 *
 * @param name              the runtime's name ({@link Weft.Options#name})
 * @param loops             its loops
 * @param tasksLive         tasks that have not ended, on every loop and the stealing pool
 * @param tasksSpawned      tasks started since the runtime started, the root included
 * @param cancellations     cancel scopes cancelled, by reason (every reason present, zero or not)
 * @param checkpointGaps    tasks found holding a carrier past the threshold without a cancellation point; counted
 *                          only while the JFR event {@code dev.weft.CheckpointGap} is enabled (the sampler runs
 *                          only then)
 * @param runQueueOverflows submissions beyond a loop's ring (virtual threads not admitted as tasks)
 * @param lateHandovers     submissions that reached a stopped loop and ran on the hand-over thread
 * @param internalErrors    failures of the runtime's own machinery, reported to the error handler
 */
public record RuntimeStatistics(String name, int loops, long tasksLive, long tasksSpawned,
        Map<CancelReason, Long> cancellations, long checkpointGaps, long runQueueOverflows, long lateHandovers,
        long internalErrors) {
    public RuntimeStatistics {
        cancellations = Map.copyOf(cancellations);
    }
}
