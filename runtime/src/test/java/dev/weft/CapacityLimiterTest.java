package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CapacityLimiterTest {

    @Test
    void neverMoreHoldersThanTokensAcrossLoops() {
        CapacityLimiter limiter = CapacityLimiter.create("db", 3);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Runs.loops(2, () -> TaskScope.run(scope -> {
            for (int i = 0; i < 40; i++) {
                scope.spawnOn(Weft.loops().get(i % 2), "q" + i, () -> limiter.run(() -> {
                    int now = inside.incrementAndGet();
                    most.accumulateAndGet(now, Math::max);
                    Thread.yield();
                    Cancellation.checkpoint();
                    inside.decrementAndGet();
                }));
            }
        }));
        assertThat(most.get()).isBetween(1, 3);
        assertThat(limiter.borrowedTokens()).isZero();
        assertThat(limiter.availableTokens()).isEqualTo(3);
    }

    @Test
    void tokensGoToWaitersInArrivalOrder() {
        CapacityLimiter limiter = CapacityLimiter.create("fifo", 1);
        List<String> order = new ArrayList<>();
        Runs.oneLoop(() -> {
            limiter.acquire();
            TaskScope.run(scope -> {
                for (int i = 0; i < 4; i++) {
                    int n = i;
                    scope.spawn("w" + i, () -> limiter.run(() -> order.add("w" + n)));
                }
                parkBehindTheChildren(scope);
                limiter.release(); // the holder releases: the four are queued
            });
        });
        assertThat(order).containsExactly("w0", "w1", "w2", "w3");
    }

    @Test
    void aTaskHoldsAtMostOneTokenAndTheMessageSaysSo() {
        CapacityLimiter limiter = CapacityLimiter.create("conn", 2);
        Runs.oneLoop(() -> {
            limiter.acquire();
            assertThat(limiter.heldByCurrentTask()).isTrue();
            assertThatThrownBy(limiter::acquire).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("task 'main' already holds one of its tokens");
            assertThatThrownBy(limiter::tryAcquire).isInstanceOf(IllegalStateException.class);
            limiter.release();
        });
        assertThat(limiter.borrowedTokens()).isZero();
    }

    @Test
    void onlyTheHolderReleases() {
        CapacityLimiter limiter = CapacityLimiter.create("owned", 1);
        Runs.oneLoop(() -> {
            limiter.acquire();
            TaskScope.run(scope -> {
                scope.spawn("thief", () -> assertThatThrownBy(limiter::release)
                        .isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("task 'thief' releases a token it does not hold"));
            });
            limiter.release();
            assertThatThrownBy(limiter::release).isInstanceOf(IllegalStateException.class);
        });
        assertThat(limiter.availableTokens()).isEqualTo(1);
    }

    @Test
    void aCancelledWaiterTakesNoTokenAndLosesNone() {
        CapacityLimiter limiter = CapacityLimiter.create("cancel", 1);
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> {
            limiter.acquire();
            CancelScope waiting = CancelScope.create();
            Event left = Event.create();
            TaskScope.run(scope -> {
                scope.spawn("waiter", () -> {
                    waiting.run(limiter::acquire);
                    events.add("waiter cancelled: " + waiting.cancelledCaught() + ", holds: "
                            + limiter.heldByCurrentTask());
                    left.set();
                });
                scope.spawn("second", () -> limiter.run(() -> events.add("second got it")));
                parkBehindTheChildren(scope);
                waiting.cancel(); // the waiter leaves the queue ...
                left.await();
                limiter.release(); // ... and the token goes to the next waiter
            });
        });
        assertThat(events).containsExactly("waiter cancelled: true, holds: false", "second got it");
        assertThat(limiter.borrowedTokens()).isZero();
    }

    @Test
    void aWaiterHandedATokenAsItIsCancelledReleasesItOnItsWayOut() {
        CapacityLimiter limiter = CapacityLimiter.create("race", 1);
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> {
            limiter.acquire();
            CancelScope waiting = CancelScope.create();
            TaskScope.run(scope -> {
                scope.spawn("waiter", () -> waiting.run(() -> limiter.run(() -> {
                    events.add("took the hand-off");
                    Cancellation.checkpoint(); // cancelled: run's finally releases the token
                })));
                parkBehindTheChildren(scope);
                limiter.release(); // hands the token to the parked waiter ...
                waiting.cancel();  // ... which is cancelled before it runs
            });
            events.add("caught: " + waiting.cancelledCaught());
        });
        assertThat(events).containsExactly("took the hand-off", "caught: true");
        assertThat(limiter.borrowedTokens()).isZero();
        assertThat(limiter.availableTokens()).isEqualTo(1);
    }

    @Test
    void raisingTheTotalWakesWaitersAtOnce() {
        CapacityLimiter limiter = CapacityLimiter.create("grow", 1);
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> {
            limiter.acquire();
            TaskScope.run(scope -> {
                scope.spawn("a", () -> limiter.run(() -> events.add("a")));
                scope.spawn("b", () -> limiter.run(() -> events.add("b")));
                scope.spawn("grower", () -> limiter.setTotalTokens(3));
            });
            assertThat(limiter.borrowedTokens()).isEqualTo(1);
            limiter.release();
        });
        assertThat(events).containsExactly("a", "b");
        assertThat(limiter.totalTokens()).isEqualTo(3);
    }

    /** One loop, FIFO: the body waits until every child spawned so far has run up to its first wait. */
    private static void parkBehindTheChildren(TaskScope scope) {
        Event behind = Event.create();
        scope.spawn("behind", behind::set);
        behind.await();
    }

    @Test
    void badTotalsNameTheFix() {
        assertThatThrownBy(() -> CapacityLimiter.create("x", 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 1 and 16777216, got 0");
    }
}
