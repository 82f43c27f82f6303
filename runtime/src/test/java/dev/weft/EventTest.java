package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class EventTest {

    @Test
    void setWakesEveryWaiterInArrivalOrderAndLaterWaitsReturnAtOnce() {
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> {
            Event ready = Event.create();
            TaskScope.run(scope -> {
                for (int i = 0; i < 3; i++) {
                    int n = i;
                    scope.spawn("waiter-" + i, () -> {
                        ready.await();
                        events.add("woke " + n);
                    });
                }
                scope.spawn("setter", () -> { // one loop, FIFO: runs after the three waiters parked
                    events.add("set");
                    ready.set();
                });
            });
            ready.await(); // already set: returns at once
            events.add("after");
        });
        assertThat(events).containsExactly("set", "woke 0", "woke 1", "woke 2", "after");
    }

    @Test
    void aSetRacingTheWaiterOnAnotherLoopIsNeverMissed() {
        int rounds = Runs.loops(2, () -> {
            int done = 0;
            for (int round = 0; round < 500; round++) {
                Event e = Event.create();
                TaskScope.run(scope -> {
                    scope.spawnOn(Weft.loops().get(1), "waiter", () -> e.await()); // await is overloaded: a lambda
                    scope.spawnOn(Weft.loops().get(0), "setter", e::set);
                });
                done++;
            }
            return done;
        });
        assertThat(rounds).isEqualTo(500);
    }

    @Test
    void awaitIsACancellationPointAndLeavesTheEventUnset() {
        Event never = Event.create();
        boolean caught = Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create();
            TaskScope.run(s -> {
                s.spawn("canceller", scope::cancel);
                scope.run(never::await);
            });
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
        assertThat(never.isSet()).isFalse();
    }

    @Test
    void awaitOnASetEventIsStillACancellationPoint() {
        Event done = Event.create();
        done.set();
        boolean caught = Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create();
            scope.cancel();
            scope.run(done::await);
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
    }

    @Test
    void timedAwaitGivesUpOnTheVirtualClock() {
        VirtualClock clock = VirtualClock.create();
        Event never = Event.create();
        boolean got = Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            s.spawn("advancer", () -> clock.advance(Duration.ofSeconds(6)));
            return never.await(Duration.ofSeconds(5));
        }));
        assertThat(got).isFalse();
    }

    @Test
    void timedAwaitReturnsTrueWhenSetInTime() {
        VirtualClock clock = VirtualClock.create();
        Event e = Event.create();
        boolean got = Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            s.spawn("setter", e::set);
            return e.await(Duration.ofSeconds(5));
        }));
        assertThat(got).isTrue();
    }

    @Test
    void aPlatformThreadCanWaitForATaskToSetIt() throws Exception {
        Event e = Event.create();
        CountDownLatch waiting = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> {
            waiting.countDown();
            e.await();
        });
        waiting.await();
        Runs.oneLoop(() -> {
            e.set();
        });
        t.join(TimeUnit.SECONDS.toMillis(20));
        assertThat(t.isAlive()).as("platform waiter woke").isFalse();
    }
}
