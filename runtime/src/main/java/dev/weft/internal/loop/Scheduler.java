package dev.weft.internal.loop;

/**
 * Where task continuations run: an {@link EventLoop} (one carrier thread, many tasks) or the
 * {@link StealingPool} (work-stealing, opt-in).
 */
public sealed interface Scheduler permits EventLoop, StealingPool {
    /** Schedules {@code r}. Never rejects; any thread. */
    void submit(Runnable r);

    /** Human-readable name, for dumps and errors. */
    String name();

    /** Stops the scheduler; entries submitted afterwards go to {@code handover} (loudly). */
    void shutdown(java.util.concurrent.Executor handover);
}
