package dev.weft;

/** The life cycle of a {@link Task}: {@code RUNNING} then exactly one of the three final states. */
public enum TaskState {
    /** Spawned and not yet finished (it may be waiting). */
    RUNNING,
    /** Returned a result. */
    SUCCEEDED,
    /** Threw an exception other than its own cancellation. */
    FAILED,
    /** Ended by cancellation (its own, its scope's, or an enclosing one's). */
    CANCELLED
}
