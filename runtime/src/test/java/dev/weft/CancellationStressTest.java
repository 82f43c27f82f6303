package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Many tasks on two loops entering and leaving nested scopes with deadlines and shields while a foreign
 * thread cancels at random: every task ends, every cleanup runs exactly once, nothing leaks
 * ({@link WeftLeakCheck} verifies the pending-cancel count after the test).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CancellationStressTest {

    @Test
    void randomCancellationsAcrossLoopsNeverLoseCleanupOrTasks() throws Exception {
        int tasks = 200;
        AtomicInteger cleanups = new AtomicInteger();
        AtomicInteger finished = new AtomicInteger();
        List<Task<?>> handles = java.util.Collections.synchronizedList(new ArrayList<>());
        Runs.loops(2, () -> TaskScope.supervise(scope -> {
            for (int i = 0; i < tasks; i++) {
                long seed = i;
                Loop where = Weft.loops().get(i % 2);
                handles.add(scope.spawnOn(where, "worker-" + i, () -> {
                    SplittableRandom rnd = new SplittableRandom(seed);
                    try {
                        for (int round = 0; round < 20; round++) {
                            CancelScope inner = CancelScope.withTimeout(Duration.ofMillis(rnd.nextInt(0, 3)));
                            inner.run(() -> {
                                if (rnd.nextBoolean()) {
                                    CancelScope.shielded(Duration.ofMillis(2), () -> Weft.sleep(Duration.ofMillis(rnd.nextInt(0, 2))));
                                }
                                Weft.sleep(Duration.ofMillis(rnd.nextInt(0, 2)));
                                Cancellation.checkpoint();
                            });
                            if (round % 7 == 3) {
                                Weft.moveTo(Weft.loops().get(rnd.nextInt(0, 2)));
                            }
                        }
                        finished.incrementAndGet();
                    } finally {
                        cleanups.incrementAndGet();
                    }
                    return null;
                }));
            }
            // A foreign platform thread cancels a third of the tasks at arbitrary moments.
            Thread canceller = Thread.ofPlatform().start(() -> {
                SplittableRandom rnd = new SplittableRandom(42);
                for (int k = 0; k < tasks / 3; k++) {
                    handles.get(rnd.nextInt(handles.size())).cancel();
                    Thread.onSpinWait();
                }
            });
            Blocking.run(canceller::join);
            return null;
        }, (t, e) -> {
            throw new AssertionError("unexpected failure in " + t.name(), e);
        }));
        assertThat(cleanups).hasValue(tasks);
        long cancelled = handles.stream().filter(t -> t.state() == TaskState.CANCELLED).count();
        assertThat(handles).allMatch(t -> t.state() == TaskState.SUCCEEDED || t.state() == TaskState.CANCELLED);
        assertThat(finished.get() + cancelled).isEqualTo(tasks);
    }
}
