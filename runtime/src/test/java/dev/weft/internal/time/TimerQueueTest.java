package dev.weft.internal.time;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The deadline heap: ordering, bounds, reuse of nodes, races of disarm with fire, and the timer thread. */
class TimerQueueTest {
    private static final long WAIT_LIMIT_S = 10;

    /** A virtual ticker, as {@code VirtualClock} gives the runtime: it moves only when the test says. */
    private final AtomicLong nowNs = new AtomicLong(1_000_000_000L);
    private final Ticker virtualTicker = nowNs::get;
    private final List<TimerQueue> opened = new ArrayList<>();

    private TimerQueue virtualQueue() {
        return open(new TimerQueue(virtualTicker, true, "test-virtual-timer"));
    }

    private TimerQueue open(TimerQueue q) {
        opened.add(q);
        return q;
    }

    @AfterEach
    void closeQueues() {
        for (TimerQueue q : opened) {
            q.close(); // checks the heap (-ea), and stops any timer thread before the leak check
        }
    }

    @Test
    void firesInDeadlineOrderAndFifoAmongEqualDeadlines() {
        TimerQueue q = virtualQueue();
        List<String> fired = new ArrayList<>();
        long t0 = nowNs.get();
        q.arm(new TimerQueue.Timer(() -> fired.add("c@20")), t0 + 20);
        q.arm(new TimerQueue.Timer(() -> fired.add("a@10")), t0 + 10);
        q.arm(new TimerQueue.Timer(() -> fired.add("b@10")), t0 + 10);
        q.schedule(t0 + 10, () -> fired.add("d@10"));
        q.arm(new TimerQueue.Timer(() -> fired.add("e@30")), t0 + 30);

        assertThat(q.fireDue(100)).isZero();
        nowNs.addAndGet(20);
        assertThat(q.fireDue(100)).isEqualTo(4);
        assertThat(fired).containsExactly("a@10", "b@10", "d@10", "c@20");
        assertThat(q.size()).isEqualTo(1);
    }

    @Test
    void reArmMovesTheTimerAndQueuesItBehindEqualDeadlines() {
        TimerQueue q = virtualQueue();
        List<String> fired = new ArrayList<>();
        long t0 = nowNs.get();
        TimerQueue.Timer a = new TimerQueue.Timer(() -> fired.add("a"));
        TimerQueue.Timer b = new TimerQueue.Timer(() -> fired.add("b"));
        assertThat(q.arm(a, t0 + 5)).as("first arm").isFalse();
        assertThat(q.arm(b, t0 + 50)).isFalse();
        assertThat(q.arm(a, t0 + 50)).as("re-arm").isTrue();
        assertThat(a.deadlineNs()).isEqualTo(t0 + 50);
        assertThat(q.size()).isEqualTo(2);

        nowNs.addAndGet(10);
        assertThat(q.fireDue(10)).as("a moved later: nothing due at +10").isZero();
        nowNs.addAndGet(40);
        assertThat(q.fireDue(10)).isEqualTo(2);
        assertThat(fired).as("a was re-armed after b was armed at the same deadline").containsExactly("b", "a");

        assertThat(q.arm(a, t0 + 20)).as("a fired: arming it again is a first arm").isFalse();
        assertThat(q.arm(a, t0 + 10)).as("moved earlier").isTrue();
        assertThat(q.fireDue(10)).isEqualTo(1);
        assertThat(fired).containsExactly("b", "a", "a");
    }

    @Test
    void disarmStopsTheActionAndReturnsFalseOnceFiredOrDisarmed() {
        TimerQueue q = virtualQueue();
        AtomicInteger runs = new AtomicInteger();
        TimerQueue.Timer t = new TimerQueue.Timer(runs::incrementAndGet);
        assertThat(q.disarm(t)).as("never armed").isFalse();

        q.arm(t, nowNs.get() + 10);
        assertThat(q.isArmed(t)).isTrue();
        assertThat(q.disarm(t)).isTrue();
        assertThat(q.disarm(t)).as("already disarmed").isFalse();
        assertThat(q.isArmed(t)).isFalse();
        nowNs.addAndGet(20);
        assertThat(q.fireDue(10)).isZero();
        assertThat(runs).hasValue(0);

        q.arm(t, nowNs.get());
        assertThat(q.fireDue(10)).isEqualTo(1);
        assertThat(runs).hasValue(1);
        assertThat(q.isArmed(t)).isFalse();
        assertThat(q.disarm(t)).as("fired").isFalse();
        assertThat(q.cancel(t)).as("fired, through the old API").isFalse();
        assertThat(q.size()).isZero();
    }

    @Test
    void fireDueRunsAtMostExpiryLimitActionsAndLeavesTheRestDue() {
        TimerQueue q = virtualQueue();
        List<Integer> fired = new ArrayList<>();
        long t0 = nowNs.get();
        for (int i = 0; i < 10; i++) {
            int id = i;
            q.arm(new TimerQueue.Timer(() -> fired.add(id)), t0 + i);
        }
        nowNs.addAndGet(100);
        assertThat(q.fireDue(0)).isZero();
        assertThat(q.fireDue(3)).isEqualTo(3);
        assertThat(fired).containsExactly(0, 1, 2);
        assertThat(q.size()).isEqualTo(7);
        assertThat(q.fireDue(3)).isEqualTo(3);
        assertThat(q.fireDue(100)).isEqualTo(4);
        assertThat(fired).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
        assertThatThrownBy(() -> q.fireDue(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expiryLimit");
    }

    @Test
    void fireDueWithoutLimitEndsWhenActionsReArmInThePast() {
        TimerQueue q = virtualQueue();
        AtomicInteger runs = new AtomicInteger();
        TimerQueue.Timer[] self = new TimerQueue.Timer[1];
        self[0] = new TimerQueue.Timer(() -> {
            runs.incrementAndGet();
            q.arm(self[0], nowNs.get() - 1); // always due again
        });
        q.arm(self[0], nowNs.get());
        q.schedule(nowNs.get(), runs::incrementAndGet);
        assertThat(q.fireDue()).as("bounded by the two pending at the call").isEqualTo(2);
        assertThat(runs).hasValue(2);
        assertThat(q.isArmed(self[0])).isTrue();
        q.disarm(self[0]);
    }

    @Test
    void virtualTickerDrivesFireDueDeterministically() {
        TimerQueue q = virtualQueue();
        List<String> log = new ArrayList<>();
        long t0 = nowNs.get();
        TimerQueue.Timer deadline = new TimerQueue.Timer(() -> log.add("deadline@" + (nowNs.get() - t0)));
        TimerQueue.Timer sleep = new TimerQueue.Timer(() -> log.add("sleep@" + (nowNs.get() - t0)));
        q.arm(deadline, t0 + 30);
        q.arm(sleep, t0 + 10);
        for (int step = 0; step < 4; step++) {
            nowNs.addAndGet(10);
            q.fireDue(TimerQueue.FIRE_MAX);
            if (step == 0) {
                q.arm(sleep, nowNs.get() + 10); // the task sleeps again
            }
        }
        assertThat(log).containsExactly("sleep@10", "sleep@20", "deadline@30");
        assertThat(q.size()).isZero();
        assertThat(q.isVirtual()).isTrue();
        assertThat(q.nanoTime()).isEqualTo(t0 + 40);
    }

    /** A seeded random sequence of arm, re-arm, disarm, clock moves and bounded fires, against a list. */
    @Test
    void behavesLikeASortedListUnderRandomOperations() {
        long base = Long.getLong("weft.seed", System.nanoTime());
        for (int round = 0; round < 40; round++) {
            long seed = base + round;
            try {
                runModel(seed, 2_000);
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("TimerQueue model test failed with seed " + seed
                        + "; rerun with -Dweft.seed=" + seed + ": " + e.getMessage(), e);
            }
        }
    }

    private void runModel(long seed, int steps) {
        SplittableRandom random = new SplittableRandom(seed);
        AtomicLong clock = new AtomicLong(random.nextLong(-1_000, 1_000));
        int capacityMax = 1 + random.nextInt(64);
        TimerQueue q = new TimerQueue(clock::get, true, "model-timer", capacityMax, e -> {
            throw new AssertionError("no action throws here", e);
        });
        int nodes = 1 + random.nextInt(80);
        List<Integer> fired = new ArrayList<>();
        TimerQueue.Timer[] timers = new TimerQueue.Timer[nodes];
        for (int i = 0; i < nodes; i++) {
            int id = i;
            timers[i] = new TimerQueue.Timer(() -> fired.add(id));
        }
        // the reference: armed[id] with its deadline and arm order
        boolean[] armed = new boolean[nodes];
        long[] deadline = new long[nodes];
        long[] order = new long[nodes];
        long armCount = 0;
        int armedCount = 0;
        for (int step = 0; step < steps; step++) {
            int op = random.nextInt(10);
            int id = random.nextInt(nodes);
            if (op < 5) { // arm or re-arm, often at an equal deadline, sometimes already due
                long d = clock.get() + random.nextInt(-3, 20);
                if (!armed[id] && armedCount == capacityMax) {
                    assertThatThrownBy(() -> q.arm(timers[id], d)).isInstanceOf(IllegalStateException.class)
                            .hasMessageContaining("is full").hasMessageContaining("capacityMax");
                } else {
                    assertThat(q.arm(timers[id], d)).as("step %d arm %d: was armed", step, id).isEqualTo(armed[id]);
                    if (!armed[id]) {
                        armedCount++;
                    }
                    armed[id] = true;
                    deadline[id] = d;
                    order[id] = armCount++;
                }
            } else if (op < 7) {
                assertThat(q.disarm(timers[id])).as("step %d disarm %d", step, id).isEqualTo(armed[id]);
                if (armed[id]) {
                    armedCount--;
                }
                armed[id] = false;
            } else if (op < 8) {
                clock.addAndGet(random.nextInt(0, 8));
            } else {
                int limit = random.nextInt(0, 6);
                long now = clock.get();
                List<Integer> due = new ArrayList<>();
                for (int i = 0; i < nodes; i++) {
                    if (armed[i] && deadline[i] - now <= 0) {
                        due.add(i);
                    }
                }
                due.sort(Comparator.<Integer>comparingLong(i -> deadline[i]).thenComparingLong(i -> order[i]));
                List<Integer> expected = due.subList(0, Math.min(limit, due.size()));
                fired.clear();
                assertThat(q.fireDue(limit)).as("step %d fireDue(%d)", step, limit).isEqualTo(expected.size());
                assertThat(fired).as("step %d fired order", step).containsExactlyElementsOf(expected);
                for (int i : expected) {
                    armed[i] = false;
                    armedCount--;
                }
            }
            assertThat(q.size()).as("step %d size", step).isEqualTo(armedCount);
            assertThat(q.isArmed(timers[id])).as("step %d armed %d", step, id).isEqualTo(armed[id]);
            assertThat(q.checkInvariants()).isTrue();
        }
        q.close();
    }

    @Test
    void armBeyondCapacityFailsNamingTheCauseAndLeavesTheTimerUnarmed() {
        TimerQueue q = open(new TimerQueue(virtualTicker, true, "small-timer", 3, e -> {}));
        TimerQueue.Timer[] t = new TimerQueue.Timer[4];
        for (int i = 0; i < t.length; i++) {
            t[i] = new TimerQueue.Timer(() -> {});
        }
        for (int i = 0; i < 3; i++) {
            q.arm(t[i], nowNs.get() + 100 + i);
        }
        assertThatThrownBy(() -> q.arm(t[3], nowNs.get() + 1))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("timer queue 'small-timer' is full: 3 timers are pending")
                .hasMessageContaining("disarm each timer")
                .hasMessageContaining("larger capacityMax");
        assertThat(q.isArmed(t[3])).isFalse();
        assertThat(q.arm(t[0], nowNs.get() + 1)).as("re-arm needs no slot").isTrue();
        assertThat(q.disarm(t[1])).isTrue();
        assertThat(q.arm(t[3], nowNs.get() + 1)).isFalse();
        assertThat(q.size()).isEqualTo(3);
        assertThatThrownBy(() -> new TimerQueue(virtualTicker, true, "x", 0, e -> {}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("capacityMax");
    }

    @Test
    void aTimerBelongsToTheFirstQueueThatArmsIt() {
        TimerQueue a = virtualQueue();
        TimerQueue b = open(new TimerQueue(virtualTicker, true, "other-timer"));
        TimerQueue.Timer t = new TimerQueue.Timer(() -> {});
        assertThat(b.disarm(t)).isFalse();
        a.arm(t, nowNs.get() + 1);
        assertThatThrownBy(() -> b.arm(t, nowNs.get() + 1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("belongs to timer queue 'test-virtual-timer', not 'other-timer'");
        assertThatThrownBy(() -> b.disarm(t)).isInstanceOf(IllegalArgumentException.class);
        assertThat(b.isArmed(t)).isFalse();
        assertThat(a.disarm(t)).isTrue();
    }

    @Test
    void actionFailuresGoToTheErrorHandlerAndTheCounterAndTheNextActionStillRuns() {
        List<Throwable> errors = new CopyOnWriteArrayList<>();
        TimerQueue q = open(new TimerQueue(virtualTicker, true, "failing-timer", 16, errors::add));
        IllegalStateException boom = new IllegalStateException("boom");
        AtomicInteger after = new AtomicInteger();
        q.schedule(nowNs.get(), () -> {
            throw boom;
        });
        q.schedule(nowNs.get(), after::incrementAndGet);
        assertThat(q.fireDue(10)).isEqualTo(2);
        assertThat(errors).containsExactly(boom);
        assertThat(q.actionFailures()).isEqualTo(1);
        assertThat(after).hasValue(1);
    }

    @Test
    void aFailingErrorHandlerGoesToTheUncaughtExceptionHandlerAndFiringContinues() throws Exception {
        TimerQueue q = open(new TimerQueue(virtualTicker, true, "bad-handler-timer", 16, e -> {
            throw new IllegalStateException("handler failed");
        }));
        q.schedule(nowNs.get(), () -> {
            throw new IllegalArgumentException("action failed");
        });
        AtomicInteger after = new AtomicInteger();
        q.schedule(nowNs.get(), after::incrementAndGet);
        List<Throwable> uncaught = new CopyOnWriteArrayList<>();
        Thread firing = Thread.ofPlatform().unstarted(() -> q.fireDue(10));
        firing.setUncaughtExceptionHandler((th, e) -> uncaught.add(e));
        firing.start();
        assertThat(firing.join(java.time.Duration.ofSeconds(WAIT_LIMIT_S))).as("fireDue returned").isTrue();
        assertThat(uncaught).singleElement().satisfies(e -> {
            assertThat(e).hasMessage("handler failed");
            assertThat(e.getSuppressed()).singleElement().satisfies(s -> assertThat(s).hasMessage("action failed"));
        });
        assertThat(q.actionFailures()).isEqualTo(1);
        assertThat(after).hasValue(1);
    }

    /** Disarm on one thread, fire on another: each arm ends exactly once, fired or disarmed. */
    @Test
    void disarmFromAnotherThreadRacesFireAndEachTimerFiresAtMostOnce() throws Exception {
        int n = 5_000;
        for (int round = 0; round < 20; round++) {
            TimerQueue q = virtualQueue();
            AtomicIntegerArray runs = new AtomicIntegerArray(n);
            TimerQueue.Timer[] timers = new TimerQueue.Timer[n];
            for (int i = 0; i < n; i++) {
                int id = i;
                timers[i] = new TimerQueue.Timer(() -> runs.incrementAndGet(id));
                q.arm(timers[i], nowNs.get() - (i % 7)); // all due, in an order unlike the disarm order
            }
            CountDownLatch start = new CountDownLatch(1);
            AtomicInteger firedCount = new AtomicInteger();
            Thread firer = Thread.ofPlatform().name("test-firer").start(() -> {
                awaitOrFail(start);
                int f;
                while ((f = q.fireDue(7)) > 0) { // bounded batches, interleaving with the disarms
                    firedCount.addAndGet(f);
                }
            });
            boolean[] disarmed = new boolean[n];
            start.countDown();
            for (int i = n - 1; i >= 0; i--) {
                disarmed[i] = q.disarm(timers[i]);
            }
            assertThat(firer.join(java.time.Duration.ofSeconds(WAIT_LIMIT_S))).as("firer finished").isTrue();
            int disarmedCount = 0;
            for (int i = 0; i < n; i++) {
                assertThat(runs.get(i)).as("round %d timer %d: runs (disarmed %s)", round, i, disarmed[i])
                        .isEqualTo(disarmed[i] ? 0 : 1);
                disarmedCount += disarmed[i] ? 1 : 0;
            }
            assertThat(firedCount.get() + disarmedCount).isEqualTo(n);
            assertThat(q.size()).isZero();
        }
    }

    @Test
    void timerThreadRacesDisarmOnTheSystemTicker() throws Exception {
        TimerQueue q = open(new TimerQueue(Ticker.SYSTEM, false, "test-race-timer"));
        int n = 2_000;
        CountDownLatch ended = new CountDownLatch(n); // each timer: fired or disarmed
        AtomicIntegerArray runs = new AtomicIntegerArray(n);
        TimerQueue.Timer[] timers = new TimerQueue.Timer[n];
        for (int i = 0; i < n; i++) {
            int id = i;
            timers[i] = new TimerQueue.Timer(() -> {
                runs.incrementAndGet(id);
                ended.countDown();
            });
        }
        long now = System.nanoTime();
        for (int i = 0; i < n; i++) {
            q.arm(timers[i], now + (i % 50) * 1_000L); // due within 50 µs
        }
        boolean[] disarmed = new boolean[n];
        for (int i = n - 1; i >= 0; i--) {
            disarmed[i] = q.disarm(timers[i]);
            if (disarmed[i]) {
                ended.countDown();
            }
        }
        assertThat(ended.await(WAIT_LIMIT_S, TimeUnit.SECONDS)).as("every timer fired or was disarmed").isTrue();
        for (int i = 0; i < n; i++) {
            assertThat(runs.get(i)).as("timer %d (disarmed %s)", i, disarmed[i]).isEqualTo(disarmed[i] ? 0 : 1);
        }
        assertThat(q.size()).isZero();
    }

    @Test
    void timerThreadWakesForAnEarlierDeadline() throws Exception {
        TimerQueue q = open(new TimerQueue(Ticker.SYSTEM, false, "test-wake-timer"));
        CountDownLatch fired = new CountDownLatch(1);
        TimerQueue.Timer late = new TimerQueue.Timer(() -> {});
        q.arm(late, System.nanoTime() + TimeUnit.HOURS.toNanos(1)); // the thread now waits an hour
        TimerQueue.Timer soon = new TimerQueue.Timer(fired::countDown);
        q.arm(soon, System.nanoTime());
        assertThat(fired.await(WAIT_LIMIT_S, TimeUnit.SECONDS)).as("the earlier deadline fired").isTrue();
        assertThat(q.isArmed(late)).isTrue();
        CountDownLatch moved = new CountDownLatch(1);
        TimerQueue.Timer reused = new TimerQueue.Timer(moved::countDown);
        q.arm(reused, System.nanoTime() + TimeUnit.HOURS.toNanos(2));
        q.arm(reused, System.nanoTime()); // re-armed earlier: moved to the top
        assertThat(moved.await(WAIT_LIMIT_S, TimeUnit.SECONDS)).as("the re-armed timer fired").isTrue();
        assertThat(q.disarm(late)).isTrue();
    }

    @Test
    void closeStopsFiring() {
        TimerQueue q = virtualQueue();
        AtomicInteger runs = new AtomicInteger();
        q.schedule(nowNs.get(), runs::incrementAndGet);
        q.close();
        assertThat(q.fireDue(10)).isZero();
        assertThat(q.fireDue()).isZero();
        assertThat(runs).hasValue(0);
    }

    private static void awaitOrFail(CountDownLatch latch) {
        try {
            if (!latch.await(WAIT_LIMIT_S, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released within " + WAIT_LIMIT_S + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
