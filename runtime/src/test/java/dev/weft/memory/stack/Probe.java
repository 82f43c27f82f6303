package dev.weft.memory.stack;

import java.util.concurrent.locks.LockSupport;

/**
 * The checkpoint of the fixtures: while armed, the calling virtual thread parks here until the measuring thread
 * has read its frozen stack. Its own frames, and the JDK's above it, are the same at every checkpoint and in the
 * baseline, so the measurement subtracts them (the analysis declares {@code here} as 0 bytes).
 */
public final class Probe {
    /** Written by the measuring thread, read by the fixtures. */
    static volatile boolean armed;
    /** Set by the fixture's thread just before it parks; cleared by the measuring thread. */
    static volatile boolean parked;
    /** The thread that parked last (written before {@link #parked}). */
    static volatile Thread thread;

    private Probe() {}

    /** A checkpoint: parks while armed. */
    public static void here() {
        block();
    }

    /** Kept out of line (the compiled run tells the JIT not to inline it), so the callers' frames stay compiled. */
    static void block() {
        if (armed) {
            thread = Thread.currentThread();
            parked = true;
            LockSupport.park();
        }
    }
}
