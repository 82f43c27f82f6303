package dev.weft.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.TaskScope;
import dev.weft.Weft;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The stock machinery behind {@link MemoryBudget}'s "Per-carrier stocks", seen from inside: which stock serves
 * a loop's tasks, what the counters hold (stocked bytes included), suspension during grace, pruning.
 */
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
class BudgetStockInternalsTest {
    private static final long KIB = 1024;

    @Test
    void tasksOnALoopShareTheLoopsStockAndEveryChargedByteIsAccountedFor() throws Exception {
        BudgetImpl leaf = (BudgetImpl) MemoryBudget.root().child("component", 64L << 20).child("leaf", 16L << 20);
        List<BudgetStock> seen = new ArrayList<>();
        long[] heldWhileLoopRuns = new long[2];
        Weft.run(Weft.options().loops(1), () -> {
            TaskScope.run(scope -> {
                for (int t = 0; t < 2; t++) {
                    scope.spawn("t" + t, () -> {
                        leaf.reserve(64).close();
                        synchronized (seen) {
                            seen.add(BudgetStock.current());
                        }
                        return null;
                    });
                }
                return null;
            });
            // while the loop's carrier lives (a stock of an ended carrier may be pruned, i.e. drained, any time)
            heldWhileLoopRuns[0] = BudgetStock.heldFor(leaf);
            heldWhileLoopRuns[1] = leaf.chargedBytes();
            return null;
        });
        assertThat(seen).hasSize(2);
        assertThat(seen.get(0)).as("the loop's stock").isNotNull().isSameAs(seen.get(1));
        assertThat(heldWhileLoopRuns[0]).as("a batch stays in the loop's stock").isPositive();
        assertThat(heldWhileLoopRuns[1]).as("charged = stocked").isEqualTo(heldWhileLoopRuns[0]);
        assertThat(leaf.usedBytes()).isZero();
        BudgetStock.drainAll();
        assertThat(leaf.chargedBytes()).as("nothing lost or double-counted").isZero();
        assertThat(((BudgetImpl) leaf.parent()).chargedBytes()).isZero();
    }

    @Test
    void contendedStocksLoseNothing() throws Exception {
        BudgetImpl b = (BudgetImpl) MemoryBudget.root().child("contended-internals", 256 * KIB, 0);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            Thread th = Thread.ofPlatform().unstarted(() -> {
                try {
                    start.await();
                    List<Reservation> mine = new ArrayList<>();
                    for (int i = 0; i < 20_000; i++) {
                        Reservation r = b.tryReserve(1 + (i % 3000));
                        if (r != null) {
                            mine.add(r);
                        }
                        if (r == null || mine.size() > 30) {
                            mine.forEach(Reservation::close);
                            mine.clear();
                        }
                    }
                    mine.forEach(Reservation::close);
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            });
            th.start();
            ts.add(th);
        }
        start.countDown();
        for (Thread th : ts) {
            th.join();
        }
        assertThat(failure.get()).as("a worker failed").isNull();
        BudgetStock.drainAll();
        assertThat(b.chargedBytes()).as("charged after every stock is drained").isZero();
    }

    @Test
    void stocksAreOffWhileATaskHoldsGraceAndOnAgainAfter() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("suspending", 256 * KIB, 32 * KIB);
        List<Boolean> suspendedInGrace = new ArrayList<>();
        Weft.run(Weft.options().loops(1), () -> TaskScope.supervise(scope -> {
            scope.spawn("hog", () -> {
                try (Reservation all = b.reserve(256 * KIB)) {
                    b.reserve(KIB).close();
                } catch (MemoryLimitError e) {
                    suspendedInGrace.add(BudgetStock.isSuspended());
                    throw e;
                }
                return null;
            });
            return null;
        }, (task, failure) -> { }));
        assertThat(suspendedInGrace).containsExactly(true);
        assertThat(BudgetStock.isSuspended()).as("the grace ended with the task").isFalse();
    }

    @Test
    void stocksOfEndedThreadsArePruned() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("pruned", 1L << 20, 0);
        int before = BudgetStock.count();
        for (int t = 0; t < 80; t++) {
            Thread th = Thread.ofPlatform().start(() -> b.reserve(KIB).close());
            th.join();
        }
        assertThat(BudgetStock.count()).as("80 ended threads' stocks, pruned as they piled up")
                .isLessThan(before + 80);
        assertThat(((BudgetImpl) b).chargedBytes()).as("a pruned stock is drained first")
                .isEqualTo(BudgetStock.heldFor((BudgetImpl) b));
    }
}
