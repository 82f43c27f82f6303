package dev.weft;

/**
 * Static entry points to cancellation: explicit checkpoints, a cancellation query, and the hook the Weft
 * agent compiles into bytecode.  (Being filled in by the core runtime work.)
 */
public final class Cancellation {
    private Cancellation() {}

    /**
     * The hook the Weft agent compiles into loop back-edges and method entries.
     *
     * <p>Fast path: one read of a {@code static volatile} counter that is non-zero only while some cancel
     * scope anywhere in the process is cancelled; no allocation, small enough to inline. Slow path: if the
     * current thread is a Weft task inside a cancelled scope (and not shielded), throws {@link Cancelled},
     * exactly as {@link #checkpoint()}. Never throws outside a Weft task.
     */
    public static void poll() {
        if (dev.weft.internal.cancel.PendingCancels.count != 0) {
            pollSlow();
        }
    }

    private static void pollSlow() {
        // wired to the core runtime's checkpoint
    }
}
