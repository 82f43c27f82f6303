package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class LoopTest {

    @Test
    void childrenStayOnTheirParentsLoopByDefault() {
        List<String> loops = Runs.loops(2, () -> TaskScope.run(scope -> {
            Weft.moveTo(Weft.loops().get(1));
            List<Task<String>> tasks = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                tasks.add(scope.spawn(() -> {
                    Weft.sleep(Duration.ofMillis(1));
                    return Weft.currentLoop().name();
                }));
            }
            List<String> out = new ArrayList<>();
            for (Task<String> t : tasks) {
                out.add(t.join());
            }
            return out;
        }));
        assertThat(loops).hasSize(20).allMatch(n -> n.endsWith("loop-1"));
    }

    @Test
    void tasksOnOneLoopNeverRunInParallel() {
        int[] counter = new int[1]; // deliberately unsynchronized: the loop's one carrier runs one task at a time
        Runs.loops(2, () -> TaskScope.run(scope -> {
            for (int i = 0; i < 50; i++) {
                scope.spawn(() -> {
                    for (int j = 0; j < 1000; j++) {
                        counter[0]++; // a lost update would show if two children ever ran in parallel
                        if (j % 100 == 0) {
                            Thread.yield(); // a switch point between increments: the others run here
                        }
                    }
                    return null;
                });
            }
            return null;
        }));
        assertThat(counter[0]).isEqualTo(50_000);
    }

    @Test
    void spawnOnPlacesTheChildAndStealingPoolRunsTasks() {
        String[] where = Runs.loops(2, () -> TaskScope.run(scope -> {
            Task<String> a = scope.spawnOn(Weft.loops().get(1), "on-1", () -> Weft.currentLoop().name());
            Task<Boolean> b = scope.spawnOn(Weft.stealingPool(), "stealing", () -> Weft.currentLoop().isStealing());
            return new String[] {a.join(), String.valueOf(b.join())};
        }));
        assertThat(where[0]).endsWith("loop-1");
        assertThat(where[1]).isEqualTo("true");
    }

    @Test
    void spawnBeyondTheLoopLimitFailsWithAdvice() {
        assertThatThrownBy(() -> Weft.run(Weft.options().loops(1).handleSigint(false).tasksPerLoopMax(4),
                () -> TaskScope.run(scope -> {
                    for (int i = 0; i < 10; i++) {
                        scope.spawn(() -> {
                            Weft.sleep(Duration.ofMillis(50));
                            return null;
                        });
                    }
                    return null;
                }))).isInstanceOf(IllegalStateException.class).hasMessageContaining("tasksPerLoopMax");
    }

    @Test
    void loopOfAnotherRuntimeIsRejected() {
        Loop foreign = Runs.oneLoop(() -> Weft.loops().get(0));
        assertThatThrownBy(() -> Runs.oneLoop(() -> {
            Weft.moveTo(foreign);
            return null;
        })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another Weft runtime");
    }

    @Test
    void dumpShowsTasksScopesAndWhereTheyWait() {
        Channel<String> started = Channel.create(1);
        String dump = Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.spawn("stuck-worker", () -> {
                CancelScope.withTimeout(Duration.ofMinutes(10)).name("patience").run(() -> {
                    started.send("go"); // one loop: we park in the sleep below before the root runs again
                    Weft.sleep(Duration.ofMinutes(5));
                });
                return null;
            });
            started.receive();
            String d = Weft.dump();
            scope.cancel();
            return d;
        }));
        assertThat(dump).contains("task 'main' RUNNING", "task-scope", "task 'stuck-worker' RUNNING",
                "cancel-scope 'patience'", "deadline=", "WAITING at ");
    }

    @Test
    void manyProducersWakeTasksOnOneLoop() throws Exception {
        // Wake-ups from foreign platform threads (like the JDK's timer threads) must never be lost.
        int n = 200;
        int got = Runs.oneLoop(() -> {
            Channel<Integer> ch = Channel.create(n);
            List<Thread> producers = Collections.synchronizedList(new ArrayList<>());
            for (int p = 0; p < 4; p++) {
                int base = p;
                producers.add(Thread.ofPlatform().start(() -> {
                    for (int i = 0; i < n / 4; i++) {
                        ch.send(base);
                    }
                }));
            }
            int count = 0;
            for (int i = 0; i < n; i++) {
                ch.receive();
                count++;
            }
            for (Thread t : producers) {
                t.join();
            }
            return count;
        });
        assertThat(got).isEqualTo(n);
    }
}
