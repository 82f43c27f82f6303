package dev.weft.internal.cancel;

/**
 * Process-wide count of cancel scopes that are cancelled and not yet exited: the agent's fast path reads it.
 */
public final class PendingCancels {
    private PendingCancels() {}

    /** Number of live cancelled scopes. Written by any thread under atomic updates, read by every checkpoint. */
    public static volatile int count;
}
