package dev.weft.internal.cancel;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * Process-wide count of cancel scopes that are cancelled and still entered.
 *
 * <p>Every checkpoint, including the ones the Weft agent compiles into loop back-edges, reads
 * {@link #count} first and does nothing more while it is zero: one volatile read, no allocation.
 * A non-zero count sends checkpoints to the slow path, which finds the current task and walks its
 * cancel scopes.
 */
public final class PendingCancels {
    private PendingCancels() {}

    /** Number of live cancelled scopes. Updated atomically by any thread; read by every checkpoint. */
    public static volatile int count;

    private static final VarHandle COUNT;

    static {
        try {
            COUNT = MethodHandles.lookup().findStaticVarHandle(PendingCancels.class, "count", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Called when an entered scope becomes cancelled, or a cancelled scope is entered. */
    public static void increment() {
        COUNT.getAndAdd(1);
    }

    /** Called when a scope counted by {@link #increment()} exits. */
    public static void decrement() {
        int before = (int) COUNT.getAndAdd(-1);
        assert before > 0 : "pending cancel count underflow: " + before;
    }
}
