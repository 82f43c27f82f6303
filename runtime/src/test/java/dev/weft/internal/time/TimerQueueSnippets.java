package dev.weft.internal.time;

import java.util.concurrent.locks.LockSupport;

/** The example of {@link TimerQueue}'s class comment, compiled with the tests. */
@SuppressWarnings("unused")
final class TimerQueueSnippets {
    private TimerQueueSnippets() {}

    static boolean armAndDisarm(Ticker ticker, Thread thread) {
        // @start region=armAndDisarm
        TimerQueue timers = new TimerQueue(ticker, true, "test-timer");
        TimerQueue.Timer wakeup = new TimerQueue.Timer(() -> LockSupport.unpark(thread)); // once, by its owner
        timers.arm(wakeup, timers.nanoTime() + 1_000_000);  // no allocation
        timers.arm(wakeup, timers.nanoTime() + 5_000_000);  // moves it: it fires once, at the later deadline
        boolean pending = timers.disarm(wakeup);             // true: it had not fired and now never will
        // @end
        return pending;
    }
}
