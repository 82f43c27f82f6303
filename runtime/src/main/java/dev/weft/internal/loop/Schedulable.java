package dev.weft.internal.loop;

/**
 * A queue entry that wants to know which scheduler runs it (a Weft task mounting its continuation).
 */
public interface Schedulable extends Runnable {
    /** Runs this entry on {@code scheduler}'s worker thread. */
    void runOn(Scheduler scheduler);

    @Override
    default void run() {
        runOn(null);
    }
}
