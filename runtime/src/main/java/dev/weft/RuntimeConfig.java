package dev.weft;

import dev.weft.internal.errors.ErrorSink;
import java.time.Duration;

/**
 * The configuration of one runtime: an immutable snapshot of {@link Weft.Options} taken by {@link Weft#run}, so
 * changing the builder afterwards changes nothing that runs.
 *
 * @param loops              carrier threads
 * @param clock              the virtual clock, or null for the system clock
 * @param handleSigint       whether SIGINT cancels the root task
 * @param timeout            the root task's timeout, or null
 * @param name               the runtime's name
 * @param tasksPerLoopMax    live tasks per loop (bounds each run queue)
 * @param blockingThreadsMax threads of the blocking pool
 * @param errorHandler       where the machinery reports failures it survives
 */
record RuntimeConfig(int loops, VirtualClock clock, boolean handleSigint, Duration timeout, String name,
        int tasksPerLoopMax, int blockingThreadsMax, ErrorSink.Handler errorHandler) {
    RuntimeConfig {
        assert loops >= 1 && tasksPerLoopMax >= 2 && blockingThreadsMax >= 1 && name != null;
    }
}
