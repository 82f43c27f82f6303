package dev.weft.internal.loop;

/**
 * A queue entry that wants to know which scheduler runs it (a Weft task mounting its continuation).
 */
public interface Schedulable extends Runnable {
    /** Runs this entry on {@code scheduler}'s worker thread. */
    void runOn(Scheduler scheduler);

    /** Not for direct use: a scheduler calls {@link #runOn}. */
    @Override
    default void run() {
        throw new UnsupportedOperationException("a Weft task's continuation runs only on its scheduler");
    }
}
