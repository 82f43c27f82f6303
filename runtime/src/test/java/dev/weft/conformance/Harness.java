package dev.weft.conformance;

import dev.weft.Cancelled;
import dev.weft.Channel;
import dev.weft.TaskScope;
import dev.weft.ThrowingCallable;
import dev.weft.ThrowingRunnable;
import dev.weft.VirtualClock;
import dev.weft.Weft;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Helpers for the Trio conformance suite. Public API only: the suite lives outside {@code dev.weft} on
 * purpose, so it tests what the documentation promises and nothing the implementation happens to do.
 *
 * <p>Runtimes have one loop: a task runs until it waits (Trio's single-threaded scheduling), so "the
 * other task is now blocked" is established by a handshake over a {@code Channel} followed by a wait,
 * never by sleeping.
 */
final class Harness {
    /** Trio's {@code sleep_forever}: longer than any test may run. */
    static final Duration FOREVER = Duration.ofDays(365);
    static final Duration HOUR = Duration.ofHours(1);

    private Harness() {}

    static <T, X extends Throwable> T run(ThrowingCallable<T, X> main) throws X {
        return Weft.run(Weft.options().loops(1).handleSigint(false).name("trio-conformance"), main);
    }

    static <T, X extends Throwable> T run(VirtualClock clock, ThrowingCallable<T, X> main) throws X {
        return Weft.run(Weft.options().loops(1).clock(clock).handleSigint(false).name("trio-conformance"), main);
    }

    static void sleepForever() {
        Weft.sleep(FOREVER);
    }

    /** What {@code body} throws, or null. */
    static Throwable thrown(ThrowingRunnable<? extends Throwable> body) {
        try {
            body.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }

    /** The {@link Cancelled} that {@code body} raises; fails the test if it raises nothing else. */
    static Cancelled cancelledBy(ThrowingRunnable<? extends Throwable> body) {
        Throwable t = thrown(body);
        if (t instanceof Cancelled c) {
            return c;
        }
        throw new AssertionError("expected Cancelled, got " + t, t);
    }

    /**
     * Trio's {@code wait_all_tasks_blocked()} + {@code MockClock.jump(d)}: a task in {@code ts} that waits
     * until the code under test calls {@link #aboutToBlock()} just before it waits, then advances the clock
     * (on one loop it runs only once that code is parked). One jump per {@code aboutToBlock()} call.
     */
    static final class Jump {
        private final Channel<String> ready = Channel.create(64);

        Jump(TaskScope ts, VirtualClock clock, Duration... steps) {
            ts.spawn("clock-jump", () -> {
                for (Duration d : steps) {
                    ready.receive();
                    clock.advance(d);
                }
                return null;
            });
        }

        /** Not a cancellation point (usable in cancelled code and finally blocks). */
        void aboutToBlock() {
            if (!ready.trySend("blocked")) {
                throw new AssertionError("jump channel full");
            }
        }
    }

    /**
     * A safety net for tests whose failure mode is a JDK wait that never wakes (no Weft cancellation can
     * end it then): unless {@link #done()} is called within {@code bound}, interrupts the registered thread
     * again and again until it is, and remembers that it had to. Not synchronization: the test asserts {@link #rescued()} is false.
     */
    static final class Rescue {
        private final CountDownLatch done = new CountDownLatch(1);
        private final AtomicReference<Thread> target = new AtomicReference<>();
        private volatile boolean rescued;

        Rescue(Duration bound) {
            Thread.ofPlatform().daemon().name("conformance-rescue").start(() -> {
                try {
                    if (!done.await(bound.toMillis(), TimeUnit.MILLISECONDS)) {
                        rescued = true;
                        do {                                  // every wait that still hangs, until the test ends
                            Thread t = target.get();
                            if (t != null) {
                                t.interrupt();
                            }
                        } while (!done.await(20, TimeUnit.MILLISECONDS));
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }

        /** Registers the current thread (a task) as the one to interrupt. */
        void watchCurrentThread() {
            target.set(Thread.currentThread());
        }

        void done() {
            done.countDown();
        }

        boolean rescued() {
            return rescued;
        }
    }

    /** {@code t} and everything suppressed under it, depth first (Trio's exception group, flattened). */
    static List<Throwable> flatten(Throwable t) {
        List<Throwable> all = new ArrayList<>();
        if (t != null) {
            all.add(t);
            for (Throwable s : t.getSuppressed()) {
                all.addAll(flatten(s));
            }
        }
        return all;
    }
}
