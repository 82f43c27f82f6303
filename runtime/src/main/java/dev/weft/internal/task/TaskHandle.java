package dev.weft.internal.task;

import dev.weft.internal.loop.CarrierSlot;

/**
 * What an extension (memory budgets) may ask of a Weft task. Implemented by the runtime's task; an extension
 * finds the current one with {@link TaskHooks#currentTask()} and is handed the others by {@link TaskExtension}'s
 * events. This package sits below {@code dev.weft}: it names no runtime type, so an extension built on it
 * never reaches into the runtime, and the runtime never names an extension.
 *
 * <h2>Thread safety</h2>
 * Each method says which threads may call it.
 */
public interface TaskHandle {
    /** What an extension keeps for one task ({@link #attachment()}). */
    interface Attachment {}

    /**
     * A context value that shows itself in the task dump's JSON (a memory budget: its name and bytes), under
     * {@link #dumpKey()} in the task's {@code weft} object. Called on the dumping thread while the task runs: reads
     * only, never blocks.
     */
    interface DumpValue {
        /** The member name in the task's {@code weft} object, e.g. {@code "budget"}. */
        String dumpKey();

        /** Appends one JSON value (an object) describing this value now. */
        void dumpJson(StringBuilder json);
    }

    /** A {@code TaskScope}, as an identity: what {@link #innermostTaskScope()} returns and exits report. */
    interface Scope {}

    /** The task's name. Any thread. */
    String name();

    /** Whether the task has not ended yet (its state is {@code RUNNING}). Any thread. */
    boolean isRunning();

    /**
     * Whether the task is parked at the end of a {@code TaskScope}, waiting for its children: it allocates nothing
     * meanwhile, so the heap watchdog never blames it. Any thread (a racy snapshot).
     */
    boolean isAwaitingChildren();

    /**
     * How many {@code Cancelled} with reason {@code MEMORY} the task's body has been thrown so far (at its
     * cancellation points, and for JDK calls that reported Weft's interrupt): more than one means a later one cut its
     * cleanup short. The task's thread only.
     */
    default int memoryCancelsThrown() {
        return 0;
    }

    /** The extension's state for this task, or null before the first {@link #attachIfAbsent}. Any thread. */
    Attachment attachment();

    /** Attaches {@code attachment} unless one is attached already; returns the one attached now. Any thread. */
    Attachment attachIfAbsent(Attachment attachment);

    /** Cancels the task's own scope with reason {@code MEMORY}; {@code origin} becomes the cause. Any thread. */
    void cancelForMemory(Throwable origin);

    /**
     * The slot of the loop whose carrier runs the task now, or null (the stealing pool, or not mounted). The
     * loop that mounted it, not the one it may be moving to. The task's own thread, while mounted.
     */
    CarrierSlot mountedCarrierSlot();

    /** The innermost {@code TaskScope} open in the task, or null if none. The task's own thread. */
    Scope innermostTaskScope();
}
