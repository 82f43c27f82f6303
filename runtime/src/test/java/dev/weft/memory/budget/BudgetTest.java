package dev.weft.memory.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.CancelReason;
import dev.weft.Cancellation;
import dev.weft.Cancelled;
import dev.weft.StdErr;
import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.internal.budget.Leaks;
import dev.weft.memory.BudgetStatistics;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryLimitError;
import dev.weft.memory.Reservation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(BudgetCheck.class)
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
class BudgetTest {

    private static <T> T weft(dev.weft.ThrowingCallable<T, ? extends Exception> body) throws Exception {
        return Weft.run(Weft.options().loops(1), body);
    }

    @Test
    void reservationChargesTheBudgetAndEveryAncestorAndCloseReleasesOnce() {
        MemoryBudget component = MemoryBudget.root().child("component", 1000);
        MemoryBudget task = component.child("task", 500);
        long rootBefore = MemoryBudget.root().usedBytes();
        Reservation r = task.reserve(300);
        assertThat(task.usedBytes()).isEqualTo(300);
        assertThat(component.usedBytes()).isEqualTo(300);
        assertThat(MemoryBudget.root().usedBytes()).isEqualTo(rootBefore + 300);
        r.close();
        r.close();
        assertThat(r.isReleased()).isTrue();
        assertThat(task.usedBytes()).isZero();
        assertThat(component.usedBytes()).isZero();
        assertThat(task.statistics().peakBytes()).isEqualTo(300);
    }

    @Test
    void resizeGrowsAndShrinksTheReservation() {
        MemoryBudget b = MemoryBudget.root().child("resize", 100, 0);
        try (Reservation r = b.reserve(10)) {
            r.resize(90);
            assertThat(b.usedBytes()).isEqualTo(90);
            r.resize(5);
            assertThat(b.usedBytes()).isEqualTo(5);
            assertThatThrownBy(() -> r.resize(101)).isInstanceOf(MemoryLimitError.class);
            assertThat(r.bytes()).isEqualTo(5);
        }
        assertThat(b.usedBytes()).isZero();
    }

    @Test
    void crossingTheSoftLimitRaisesAnErrorNamingBudgetLimitAskedAndInUse() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("images", 1000, 100);
        MemoryLimitError e = weft(() -> {
            try (Reservation held = b.reserve(900)) {
                try {
                    b.reserve(200).close();
                    return null;
                } catch (MemoryLimitError err) {
                    return err;
                }
            }
        });
        assertThat(e).isNotNull();
        assertThat(e.kind()).isEqualTo(MemoryLimitError.Kind.SOFT_LIMIT);
        assertThat(e.budgetName()).isEqualTo("images");
        assertThat(e.limitBytesSoft()).isEqualTo(1000);
        assertThat(e.requestedBytes()).isEqualTo(200);
        assertThat(e.usedBytes()).isEqualTo(900);
        assertThat(e.taskName()).isEqualTo("main");
        assertThat(e.getMessage()).contains("'images'", "200 B", "900 B", "1000 B", "task 'main'", "grace");
        assertThat(b.usedBytes()).isZero();
        assertThat(b.statistics().refusals()).isEqualTo(1);
    }

    @Test
    void graceLetsTheFailingTaskCleanUpAboveTheLimitWhileOthersSeeThePlainLimit() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("cache", 1000, 200);
        List<String> log = new ArrayList<>();
        weft(() -> TaskScope.supervise(scope -> {
            CountDownLatch inGrace = new CountDownLatch(1);
            CountDownLatch checked = new CountDownLatch(1);
            scope.spawn("hog", () -> {
                try (Reservation r = b.reserve(950)) {
                    try {
                        b.reserve(100).close();
                        log.add("not refused");
                    } catch (MemoryLimitError e) {
                        try (Reservation cleanup = b.reserve(1100 - 950)) { // above the limit, within the grace
                            log.add("cleanup reserved " + cleanup.bytes());
                            inGrace.countDown();
                            awaitUninterruptibly(checked);
                        }
                        throw e;
                    }
                }
                return null;
            });
            scope.spawn("neighbour", () -> {
                awaitUninterruptibly(inGrace);
                Reservation r = b.tryReserve(10);
                if (r != null) {
                    r.close();
                }
                log.add(r == null ? "neighbour refused" : "neighbour admitted");
                checked.countDown();
                return null;
            });
            return null;
        }, (task, failure) -> log.add(task.name() + " failed: " + ((MemoryLimitError) failure).kind())));
        assertThat(log).containsExactly("cleanup reserved 150", "neighbour refused", "hog failed: SOFT_LIMIT");
        BudgetStatistics s = b.statistics();
        assertThat(s.graceLends()).isEqualTo(1);
        assertThat(s.graceHolders()).as("grace ended with the task").isZero();
        assertThat(s.usedBytes()).isZero();
    }

    @Test
    void graceEndsWhenTheInnermostTaskScopeExits() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("scoped", 100, 50);
        List<String> log = new ArrayList<>();
        weft(() -> {
            try (Reservation held = b.reserve(100)) {
                TaskScope.run(scope -> {
                    try {
                        b.reserve(1).close();
                    } catch (MemoryLimitError e) {
                        b.reserve(40).close();
                        log.add("grace inside the scope");
                    }
                    return null;
                });
                assertThat(b.statistics().graceHolders()).isZero();
                assertThatThrownBy(() -> b.reserve(40)).isInstanceOf(MemoryLimitError.class);
                log.add("plain limit after the scope");
            }
            return null;
        });
        assertThat(log).containsExactly("grace inside the scope", "plain limit after the scope");
    }

    @Test
    void overrunningTheGraceFailsHardAndCancelsTheTask() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("strict", 100, 10);
        AtomicReference<MemoryLimitError> second = new AtomicReference<>();
        AtomicReference<Cancelled> cancelled = new AtomicReference<>();
        Throwable outcome = weft(() -> {
            try {
                TaskScope.run(scope -> {
                    scope.spawn("greedy", () -> {
                        try (Reservation r = b.reserve(100)) {
                            try {
                                b.reserve(1);
                            } catch (MemoryLimitError e) {
                                try {
                                    b.reserve(50).close(); // beyond the grace
                                } catch (MemoryLimitError e2) {
                                    second.set(e2);
                                }
                                try {
                                    Cancellation.checkpoint();
                                } catch (Cancelled c) {
                                    cancelled.set(c);
                                    throw c;
                                }
                            }
                        }
                        return null;
                    });
                    return null;
                });
                return null;
            } catch (Throwable t) {
                return t;
            }
        });
        assertThat(second.get().kind()).isEqualTo(MemoryLimitError.Kind.GRACE_EXHAUSTED);
        assertThat(second.get().getMessage()).contains("'strict'", "fails hard");
        assertThat(cancelled.get().reason()).isEqualTo(CancelReason.MEMORY);
        assertThat(cancelled.get().getCause()).isSameAs(second.get());
        assertThat(outcome).as("the task fails hard: it ends failed with the overrun, which the scope rethrows")
                .isSameAs(second.get());
        assertThat(b.usedBytes()).isZero();
    }

    @Test
    void memoryErrorCancelsSiblingsWithReasonMemory() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("shared", 100);
        AtomicReference<CancelReason> siblingReason = new AtomicReference<>();
        Throwable thrown = weft(() -> {
            try {
                return TaskScope.run(scope -> {
                    scope.spawn("sleeper", () -> {
                        try {
                            Weft.sleep(Duration.ofDays(1));
                        } catch (Cancelled c) {
                            siblingReason.set(c.reason());
                            throw c;
                        }
                        return null;
                    });
                    scope.spawn("hog", () -> {
                        try (Reservation r = b.reserve(101)) {
                            return null;
                        }
                    });
                    return null;
                });
            } catch (Throwable t) {
                return t;
            }
        });
        assertThat(thrown).isInstanceOf(MemoryLimitError.class);
        assertThat(siblingReason.get()).isEqualTo(CancelReason.MEMORY);
    }

    @Test
    void reservationIsReleasedWhenItsTaskIsCancelled() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("cancel", 1000);
        CountDownLatch holding = new CountDownLatch(1);
        weft(() -> TaskScope.run(scope -> {
            scope.spawn("holder", () -> {
                try (Reservation r = b.reserve(500)) {
                    holding.countDown();
                    Weft.sleep(Duration.ofDays(1));
                }
                return null;
            });
            awaitUninterruptibly(holding);
            assertThat(b.usedBytes()).isEqualTo(500);
            scope.cancel();
            return null;
        }));
        assertThat(b.usedBytes()).isZero();
    }

    @Test
    void outsideATaskARefusalRaisesWithoutGrace() {
        MemoryBudget b = MemoryBudget.root().child("plain", 10, 100);
        assertThatThrownBy(() -> b.reserve(11)).isInstanceOf(MemoryLimitError.class)
                .hasMessageContaining("no grace is lent outside a Weft task")
                .hasMessageNotContaining("may use"); // one sentence, not a promise and its denial
        assertThatThrownBy(() -> b.reserve(11)).isInstanceOf(MemoryLimitError.class);
        assertThat(b.tryReserve(11)).isNull();
        assertThat(b.statistics().graceHolders()).isZero();
    }

    @Test
    void aChildWithoutALimitGetsNoDefaultGraceRatherThanAnOverflow() {
        MemoryBudget unbounded = MemoryBudget.root().child("unbounded", Long.MAX_VALUE);
        assertThat(unbounded.limitBytesSoft()).isEqualTo(Long.MAX_VALUE);
        assertThat(unbounded.graceBytes()).isZero();
        assertThat(MemoryBudget.root().child("almost", Long.MAX_VALUE - 10).graceBytes()).isEqualTo(10);
        assertThat(MemoryBudget.root().child("plain", 800).graceBytes()).isEqualTo(100);
        assertThatThrownBy(() -> MemoryBudget.root().child("asked", Long.MAX_VALUE, 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fits a long");
    }

    @Test
    void aParentLimitRefusesEvenWhenTheChildHasRoom() {
        MemoryBudget parent = MemoryBudget.root().child("parent", 100, 0);
        MemoryBudget a = parent.child("a", 80, 0);
        MemoryBudget c = parent.child("c", 80, 0);
        try (Reservation r = a.reserve(60)) {
            MemoryLimitError e = org.junit.jupiter.api.Assertions.assertThrows(MemoryLimitError.class,
                    () -> c.reserve(50));
            assertThat(e.budgetName()).isEqualTo("parent");
            assertThat(c.usedBytes()).as("rolled back").isZero();
        }
    }

    @Test
    void boundBudgetIsCurrentInTheTaskAndItsChildren() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("bound", 100);
        List<String> names = weft(() -> {
            try (var binding = b.bind()) {
                return TaskScope.run(scope -> {
                    var child = scope.spawn("child", () -> MemoryBudget.current().name());
                    return List.of(MemoryBudget.current().name(), child.join());
                });
            }
        });
        assertThat(names).containsExactly("bound", "bound");
        assertThat(MemoryBudget.current().name()).isEqualTo("root");
    }

    @Test
    void droppedReservationIsReportedWithWhereItWasMade() {
        MemoryBudget b = MemoryBudget.root().child("leaky", 1000);
        leak(b);
        List<String> reports = new ArrayList<>();
        String err = StdErr.capture(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (reports.isEmpty() && System.nanoTime() < deadline) {
                System.gc();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
                reports.addAll(Leaks.drainReports());
            }
        });
        assertThat(reports).as("a leak report within 20 s").hasSize(1);
        assertThat(err).as("the report, on standard error").contains(reports.getFirst().lines().findFirst().orElseThrow());
        assertThat(reports.getFirst()).contains("'leaky'", "dropped without release", "BudgetTest.leak");
        assertThat(b.usedBytes()).as("released by the leak detector").isZero();
    }

    private static void leak(MemoryBudget b) {
        b.reserve(123);
    }

    @Test
    void faultInjectionRefusesAtRandomAndEveryPathReleases() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("cranky", 1L << 20).refuseAtRandom(42, 0.3);
        int[] outcomes = new int[2];
        weft(() -> TaskScope.supervise(scope -> {
            for (int i = 0; i < 50; i++) {
                scope.spawn("worker-" + i, () -> {
                    try (Reservation r = b.reserve(1000); Reservation s = b.reserve(2000)) {
                        Weft.sleep(Duration.ofMillis(1));
                        r.resize(3000);
                    }
                    return null;
                });
            }
            return null;
        }, (task, failure) -> {
            assertThat(failure).isInstanceOf(MemoryLimitError.class).hasMessageContaining("injected");
            synchronized (outcomes) {
                outcomes[0]++;
            }
        }));
        assertThat(outcomes[0]).as("some refusals, not all").isBetween(1, 49);
        assertThat(b.usedBytes()).isZero();
        assertThat(b.statistics().graceHolders()).isZero();
    }

    @Test
    void injectedRefusalsNeverHitATaskInGrace() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("cranky-grace", 100, 1000);
        weft(() -> {
            try (Reservation held = b.reserve(100)) {
                try {
                    b.reserve(1);
                } catch (MemoryLimitError e) {
                    b.refuseAtRandom(7, 1.0);
                    for (int i = 0; i < 100; i++) {
                        b.reserve(5).close();
                    }
                }
            }
            return null;
        });
        assertThat(b.usedBytes()).isZero();
    }

    @Test
    void contendedReservationsNeverExceedTheLimit() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("contended", 1000, 0);
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        long[] over = new long[1];
        for (int t = 0; t < threads; t++) {
            ts.add(Thread.ofPlatform().start(() -> {
                awaitUninterruptibly(start);
                for (int i = 0; i < 20_000; i++) {
                    Reservation r = b.tryReserve(300);
                    if (r != null) {
                        if (b.usedBytes() > 1000) {
                            synchronized (over) {
                                over[0]++;
                            }
                        }
                        r.close();
                    }
                }
            }));
        }
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        assertThat(over[0]).isZero();
        assertThat(b.usedBytes()).isZero();
        assertThat(b.statistics().peakBytes()).isBetween(300L, 900L);
    }

    static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("latch not released within 30 s");
            }
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }
}
