package dev.weft;

/**
 * Why a cancel scope was cancelled; carried by every {@link Cancelled}.
 */
public enum CancelReason {
    /** {@link CancelScope#cancel()}, {@link Task#cancel()} or {@link TaskScope#cancel()} was called. */
    EXPLICIT,
    /** The scope's deadline passed. */
    DEADLINE,
    /** A sibling task failed and its {@link TaskScope} cancelled the rest. */
    FAILED_SIBLING,
    /** A memory budget or the heap watchdog cancelled the task. */
    MEMORY,
    /** The process received SIGINT (Ctrl-C), which cancels the root task. */
    INTERRUPT,
    /** The process received SIGTERM ({@code kill}, a container stopping), which cancels the root task. */
    TERMINATE
}
