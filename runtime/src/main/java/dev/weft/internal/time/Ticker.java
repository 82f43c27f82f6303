package dev.weft.internal.time;

/** A source of monotonic nanoseconds: the system's, or a virtual one that tests advance by hand. */
public interface Ticker {
    /** Monotonic time in nanoseconds; only differences are meaningful. */
    long nanoTime();

    /** The system ticker ({@link System#nanoTime()}). */
    Ticker SYSTEM = System::nanoTime;
}
