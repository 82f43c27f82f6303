package dev.weft.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.Channel;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.VirtualClock;
import dev.weft.Weft;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** ObjectPool.acquire waits in Weft's wait primitive: on the runtime's clock, never polling, never losing a wake-up. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ObjectPoolWaitTest {

    @Test
    void acquireTimesOutOnTheVirtualClockWithoutRealTimePassing() throws Exception {
        VirtualClock clock = VirtualClock.create();
        ObjectPool<Object> pool = ObjectPool.preallocate("one", 1, Object::new);
        Object held = pool.tryAcquire();
        assertThat(held).isNotNull();
        Throwable thrown = Weft.run(Weft.options().loops(1).clock(clock).handleSigint(false), () ->
                TaskScope.run(scope -> {
                    Channel<String> waiting = Channel.create(1);
                    Task<Throwable> waiter = scope.spawn("waiter", () -> {
                        waiting.send("about to wait");
                        try {
                            pool.acquire(Duration.ofHours(1));
                            return null;
                        } catch (PoolExhaustedException e) {
                            return e;
                        }
                    });
                    waiting.receive();
                    clock.advance(Duration.ofHours(2));
                    return waiter.join();
                }));
        assertThat(thrown).isInstanceOf(PoolExhaustedException.class).hasMessageContaining("'one'");
        pool.release(held);
    }

    @RepeatedTest(20)
    void twoReleasesToTwoWaitersOnTwoLoopsWakeBoth() throws Exception {
        ObjectPool<Object> pool = ObjectPool.preallocate("two", 2, Object::new);
        Object a = pool.tryAcquire();
        Object b = pool.tryAcquire();
        Integer got = Weft.run(Weft.options().loops(2).handleSigint(false), () -> TaskScope.run(scope -> {
            Channel<String> ready = Channel.create(2);
            Task<Object> w1 = scope.spawnOn(Weft.loops().get(0), "w1", () -> {
                ready.send("w1");
                return pool.acquire(Duration.ofHours(1));
            });
            Task<Object> w2 = scope.spawnOn(Weft.loops().get(1), "w2", () -> {
                ready.send("w2");
                return pool.acquire(Duration.ofHours(1));
            });
            ready.receive();
            ready.receive();
            pool.release(a); // back to back: each must reach a different waiter (a lost one sleeps for an hour)
            pool.release(b);
            Object x = w1.join();
            Object y = w2.join();
            assertThat(x).isNotSameAs(y);
            pool.release(x);
            pool.release(y);
            return 2;
        }));
        assertThat(got).isEqualTo(2);
        assertThat(pool.inUse()).isZero();
    }

    @Test
    void acquireIsACancellationPointWhileWaiting() throws Exception {
        ObjectPool<Object> pool = ObjectPool.preallocate("cancel", 1, Object::new);
        Object held = pool.tryAcquire();
        boolean caught = Weft.run(Weft.options().loops(1).handleSigint(false), () -> {
            var scope = dev.weft.CancelScope.withTimeout(Duration.ofMillis(20));
            scope.run(() -> pool.acquire(Duration.ofHours(1)));
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
        pool.release(held);
        assertThatThrownBy(() -> pool.release(held)).isInstanceOf(IllegalStateException.class);
    }
}
