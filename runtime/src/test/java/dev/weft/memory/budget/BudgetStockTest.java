package dev.weft.memory.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryLimitError;
import dev.weft.memory.Reservation;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Per-carrier stocks (see {@code MemoryBudget}, "Per-carrier stocks"): small reservations on budgets of 64 KiB
 * and more are served from a batch the carrier charged ahead. What users rely on: the budget's figures stay
 * exact, bytes parked in a stock never cause a refusal, the limit is never exceeded, and grace still works.
 */
@ExtendWith(BudgetCheck.class)
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
class BudgetStockTest {
    private static final long KIB = 1024;

    @Test
    void usedBytesIsExactAtEveryLevelWhileCarriersHoldStock() throws Exception {
        MemoryBudget component = MemoryBudget.root().child("component", 64L << 20); // batch 64 KiB
        MemoryBudget leaf = component.child("leaf", 16L << 20);
        long rootBefore = MemoryBudget.root().usedBytes();
        List<Reservation> held = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            held.add(leaf.reserve(100));
        }
        assertThat(leaf.usedBytes()).isEqualTo(10_000);
        assertThat(component.usedBytes()).isEqualTo(10_000);
        assertThat(MemoryBudget.root().usedBytes()).isEqualTo(rootBefore + 10_000);
        held.forEach(Reservation::close);
        assertThat(leaf.usedBytes()).isZero();
        assertThat(component.usedBytes()).isZero();
        assertThat(MemoryBudget.root().usedBytes()).isEqualTo(rootBefore);
        // the same on a Weft loop, whose tasks share the loop's stock
        Weft.run(Weft.options().loops(1), () -> TaskScope.run(scope -> {
            for (int t = 0; t < 4; t++) {
                scope.spawn("t" + t, () -> {
                    for (int i = 0; i < 1000; i++) {
                        try (Reservation r = leaf.reserve(64)) {
                            assertThat(r.bytes()).isEqualTo(64);
                        }
                    }
                    return null;
                });
            }
            return null;
        }));
        assertThat(leaf.usedBytes()).isZero();
        assertThat(MemoryBudget.root().usedBytes()).isEqualTo(rootBefore);
    }

    @Test
    void bytesParkedInAnotherThreadsStockNeverCauseARefusal() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("parked", 128 * KIB, 0); // batch 2 KiB
        Thread other = Thread.ofPlatform().start(() -> {
            b.reserve(KIB).close(); // leaves up to two batches charged in this thread's stock
        });
        other.join();
        assertThat(b.statistics().peakBytes()).as("the other thread charged a batch ahead").isGreaterThan(KIB);
        // the whole limit in one reservation (too large to be stocked): possible only if the stock is drained
        try (Reservation all = b.reserve(128 * KIB)) {
            assertThat(b.usedBytes()).isEqualTo(128 * KIB);
        }
        assertThatThrownBy(() -> {
            try (Reservation all = b.reserve(128 * KIB)) {
                b.reserve(1).close();
            }
        }).isInstanceOf(MemoryLimitError.class).hasMessageContaining("parked");
        assertThat(b.usedBytes()).isZero();
    }

    @Test
    void contendedSmallReservationsNeverExceedTheLimit() throws Exception {
        long limit = 64 * KIB; // batch 1 KiB, stocks on
        MemoryBudget b = MemoryBudget.root().child("contended-stock", limit, 0);
        AtomicLong held = new AtomicLong();
        AtomicLong overLimit = new AtomicLong();
        AtomicLong admitted = new AtomicLong();
        int threads = 4;
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            ts.add(Thread.ofPlatform().start(() -> {
                BudgetTest.awaitUninterruptibly(start);
                List<Reservation> mine = new ArrayList<>();
                for (int i = 0; i < 20_000; i++) {
                    Reservation r = b.tryReserve(512);
                    if (r != null) {
                        admitted.incrementAndGet();
                        if (held.addAndGet(512) > limit) {
                            overLimit.incrementAndGet();
                        }
                        mine.add(r);
                    }
                    if (r == null || mine.size() > 40) { // hold up to 20 KiB a thread: 4 threads can fill it
                        for (Reservation m : mine) {
                            held.addAndGet(-512);
                            m.close();
                        }
                        mine.clear();
                    }
                }
                for (Reservation m : mine) {
                    held.addAndGet(-512);
                    m.close();
                }
            }));
        }
        start.countDown();
        for (Thread t : ts) {
            t.join();
        }
        assertThat(overLimit.get()).as("reservations held above the limit").isZero();
        assertThat(admitted.get()).isGreaterThan(0);
        assertThat(b.usedBytes()).isZero();
    }

    @Test
    void graceWorksOnABudgetWithStocks() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("graceful", 256 * KIB, 32 * KIB); // batch 4 KiB
        List<String> log = new ArrayList<>();
        Weft.run(Weft.options().loops(1), () -> TaskScope.supervise(scope -> {
            scope.spawn("hog", () -> {
                List<Reservation> rs = new ArrayList<>();
                try {
                    while (true) {
                        rs.add(b.reserve(KIB));
                    }
                } catch (MemoryLimitError e) {
                    log.add("refused at " + b.usedBytes() / KIB + " KiB");
                    // cleanup above the limit, within the grace, in small (stockable) pieces
                    List<Reservation> cleanup = new ArrayList<>();
                    for (int i = 0; i < 16; i++) {
                        cleanup.add(b.reserve(KIB));
                    }
                    log.add("cleanup at " + b.usedBytes() / KIB + " KiB");
                    cleanup.forEach(Reservation::close);
                    rs.forEach(Reservation::close);
                    throw e;
                }
            });
            return null;
        }, (task, failure) -> log.add(task.name() + " failed: " + ((MemoryLimitError) failure).kind())));
        assertThat(log).containsExactly("refused at 256 KiB", "cleanup at 272 KiB", "hog failed: SOFT_LIMIT");
        assertThat(b.statistics().graceHolders()).isZero();
        assertThat(b.usedBytes()).isZero();
        // after the grace, the plain limit again, stocks on again
        try (Reservation all = b.reserve(256 * KIB)) {
            assertThatThrownBy(() -> b.reserve(1)).isInstanceOf(MemoryLimitError.class);
        }
    }

    @Test
    void stocksOfEndedThreadsAreReclaimed() throws Exception {
        MemoryBudget b = MemoryBudget.root().child("ended", 1L << 20, 0); // batch 16 KiB
        long rootBefore = MemoryBudget.root().usedBytes();
        for (int t = 0; t < 40; t++) { // more threads than the registry's first prune threshold
            Thread th = Thread.ofPlatform().start(() -> b.reserve(KIB).close());
            th.join();
        }
        assertThat(b.usedBytes()).isZero();
        assertThat(MemoryBudget.root().usedBytes()).isEqualTo(rootBefore);
        try (Reservation all = b.reserve(1L << 20)) {
            assertThat(b.usedBytes()).isEqualTo(1L << 20);
        }
    }
}
