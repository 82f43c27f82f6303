package dev.weft.memory.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.CancelReason;
import dev.weft.Cancelled;
import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryPlan;
import dev.weft.memory.MemoryPlanException;
import dev.weft.memory.ObjectPool;
import dev.weft.memory.PoolExhaustedException;
import dev.weft.memory.RuntimeStaticSized;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(BudgetCheck.class)
class PlanAndPoolTest {

    record Buffer(byte[] bytes) implements RuntimeStaticSized {
        @Override
        public long deepSizeBytesMax() {
            return 1024;
        }
    }

    private static MemoryPlan serverPlan() {
        return MemoryPlan.builder("server")
                .component("handlers", 4, new Buffer(new byte[1000]))
                .component("sessions", 100, 64)
                .build();
    }

    @Test
    void planThatFitsIsCommittedAndReleasedOnClose() {
        MemoryBudget b = MemoryBudget.root().child("server", 16 << 10);
        MemoryPlan plan = serverPlan();
        assertThat(plan.totalBytes()).isEqualTo(4 * 1024 + 100 * 64);
        try (MemoryPlan.Commitment c = plan.commit(b)) {
            assertThat(b.usedBytes()).isEqualTo(plan.totalBytes());
            assertThat(c.reservation("handlers").bytes()).isEqualTo(4096);
        }
        assertThat(b.usedBytes()).isZero();
    }

    @Test
    void planThatDoesNotFitFailsWithATable() {
        MemoryBudget b = MemoryBudget.root().child("small", 8 << 10);
        MemoryPlanException e = org.junit.jupiter.api.Assertions.assertThrows(MemoryPlanException.class,
                () -> serverPlan().commit(b));
        assertThat(e.getMessage()).contains("memory plan 'server' against memory budget 'small'", "component",
                "count", "size each", "total", "handlers", "1.0 KiB", "4.0 KiB", "sessions", "6.3 KiB",
                "DOES NOT FIT (2.3 KiB over)");
        assertThat(b.usedBytes()).isZero();
    }

    @Test
    void poolIsPreallocatedFromThePlanAndAcquireAllocatesNothing() {
        MemoryBudget b = MemoryBudget.root().child("pools", 16 << 10);
        try (MemoryPlan.Commitment c = serverPlan().commit(b)) {
            ObjectPool<Buffer> pool = ObjectPool.fromPlan(c, "handlers", () -> new Buffer(new byte[1000]));
            assertThat(pool.capacity()).isEqualTo(4);
            Buffer[] out = new Buffer[4];
            for (int warm = 0; warm < 20_000; warm++) { // let the JIT compile both paths
                out[0] = pool.tryAcquire();
                pool.release(out[0]);
            }
            var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int round = 0; round < 1000; round++) {
                for (int i = 0; i < 4; i++) {
                    out[i] = pool.tryAcquire();
                }
                for (int i = 0; i < 4; i++) {
                    pool.release(out[i]);
                }
            }
            long allocated = threads.getCurrentThreadAllocatedBytes() - before;
            assertThat(allocated).as("bytes allocated by 4000 acquire/release pairs").isLessThan(1024);
            for (int i = 0; i < 4; i++) {
                out[i] = pool.tryAcquire();
            }
            assertThat(pool.tryAcquire()).isNull();
            assertThat(pool.inUse()).isEqualTo(4);
            pool.release(out[0]);
            assertThatThrownBy(() -> pool.release(out[0])).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("twice");
            assertThatThrownBy(() -> pool.release(new Buffer(new byte[1]))).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void acquireWaitsForARelease() throws Exception {
        ObjectPool<Object> pool = ObjectPool.preallocate("one", 1, Object::new);
        Object first = pool.tryAcquire();
        Object second = Weft.run(Weft.options().loops(1), () -> TaskScope.run(scope -> {
            var waiter = scope.spawn("waiter", () -> pool.acquire(Duration.ofMinutes(1)));
            scope.spawn("releaser", () -> {
                pool.release(first);
                return null;
            });
            return waiter.join();
        }));
        assertThat(second).isSameAs(first);
    }

    @Test
    void acquireIsACancellationPointWithADeadline() throws Exception {
        ObjectPool<Object> pool = ObjectPool.preallocate("busy", 1, Object::new);
        Object held = pool.tryAcquire();
        assertThatThrownBy(() -> Weft.run(() -> pool.acquire(Duration.ofMillis(1))))
                .isInstanceOf(PoolExhaustedException.class).hasMessageContaining("'busy'", "capacity 1");
        AtomicReference<CancelReason> reason = new AtomicReference<>();
        CountDownLatch waiting = new CountDownLatch(1);
        Weft.run(Weft.options().loops(1), () -> TaskScope.run(scope -> {
            scope.spawn("waiter", () -> {
                try {
                    waiting.countDown();
                    return pool.acquire(Duration.ofDays(1));
                } catch (Cancelled c) {
                    reason.set(c.reason());
                    throw c;
                }
            });
            // one loop, no preemption: the waiter runs on from countDown until it parks in acquire, and only then
            // does this task resume; cancelling now wakes a parked waiter
            BudgetTest.awaitUninterruptibly(waiting);
            scope.cancel();
            return null;
        }));
        assertThat(reason.get()).isEqualTo(CancelReason.EXPLICIT);
        pool.release(held);
    }
}
