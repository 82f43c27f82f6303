package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class SelectTest {

    @Test
    void theFirstChannelToHaveAnElementWins() {
        Channel<String> jobs = Channel.create(4);
        Channel<Integer> control = Channel.create(4);
        String r = Runs.oneLoop(() -> TaskScope.run(s -> {
            s.spawn("controller", () -> control.send(9));
            return Select.<String>create()
                    .onReceive(jobs, job -> "job " + job)
                    .onReceive(control, cmd -> "command " + cmd)
                    .await();
        }));
        assertThat(r).isEqualTo("command 9");
        assertThat(jobs.size()).isZero();
    }

    @Test
    void whenSeveralAreReadyTheFirstClauseWinsAndTheOthersKeepTheirElements() {
        Channel<String> urgent = Channel.create(4);
        Channel<String> normal = Channel.create(4);
        List<String> got = Runs.oneLoop(() -> {
            normal.send("n1");
            urgent.send("u1");
            Select<String> select = Select.<String>create()
                    .onReceive(urgent, v -> v)
                    .onReceive(normal, v -> v);
            return List.of(select.await(), select.await());
        });
        assertThat(got).containsExactly("u1", "n1");
    }

    @Test
    void theTimeoutClauseRunsWhenNothingArrivesInTime() {
        VirtualClock clock = VirtualClock.create();
        Channel<String> quiet = Channel.create(1);
        String r = Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            s.spawn("advancer", () -> clock.advance(Duration.ofSeconds(5)));
            return Select.<String>create()
                    .onReceive(quiet, v -> v)
                    .onTimeout(Duration.ofSeconds(1), () -> "idle")
                    .await();
        }));
        assertThat(r).isEqualTo("idle");
    }

    @Test
    void aFanInEndsWhenEveryChannelIsClosedAndDrained() {
        Channel<Integer> a = Channel.create(4);
        Channel<Integer> b = Channel.create(4);
        List<Integer> got = new ArrayList<>();
        Runs.loops(2, () -> TaskScope.run(s -> {
            s.spawnOn(Weft.loops().get(1), "producer-a", () -> {
                for (int i = 0; i < 50; i++) {
                    a.send(i);
                }
                a.close();
            });
            s.spawnOn(Weft.loops().get(1), "producer-b", () -> {
                for (int i = 100; i < 150; i++) {
                    b.send(i);
                }
                b.close();
            });
            Select<Boolean> select = Select.<Boolean>create()
                    .onReceive(a, got::add)
                    .onReceive(b, got::add);
            try {
                while (true) {
                    select.await();
                }
            } catch (ChannelClosedException done) {
                assertThat(done).hasMessageContaining("every channel of the select is closed and drained");
            }
        }));
        assertThat(got).hasSize(100);
        assertThat(got.stream().filter(v -> v < 100)).isSorted();
        assertThat(got.stream().filter(v -> v >= 100)).isSorted();
    }

    @Test
    void awaitIsACancellationPointAndReceivesNothing() {
        Channel<String> ch = Channel.create(1);
        boolean caught = Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create();
            TaskScope.run(s -> {
                s.spawn("canceller", scope::cancel);
                scope.run(() -> Select.<String>create().onReceive(ch, v -> v).await());
            });
            ch.send("kept");
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
        assertThat(ch.tryReceive()).isEqualTo("kept");
    }

    @Test
    void aPlainReceiverAndASelectShareOneChannelWithoutLosingElements() {
        Channel<Integer> ch = Channel.create(2);
        List<Integer> got = java.util.Collections.synchronizedList(new ArrayList<>());
        Runs.loops(2, () -> TaskScope.run(s -> {
            s.spawnOn(Weft.loops().get(1), "plain", () -> {
                try {
                    while (true) {
                        got.add(ch.receive());
                    }
                } catch (ChannelClosedException done) {
                    // drained
                }
            });
            s.spawnOn(Weft.loops().get(0), "selecting", () -> {
                Select<Boolean> select = Select.<Boolean>create().onReceive(ch, got::add);
                try {
                    while (true) {
                        select.await();
                    }
                } catch (ChannelClosedException done) {
                    // drained
                }
            });
            for (int i = 0; i < 1000; i++) {
                ch.send(i);
            }
            ch.close();
        }));
        assertThat(got).hasSize(1000).doesNotHaveDuplicates();
    }

    @Test
    void misuseNamesTheFix() {
        Channel<String> ch = Channel.create(1);
        assertThatThrownBy(() -> Select.<String>create().onReceive(ch, v -> v).onReceive(ch, v -> v))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("add each channel once");
        assertThatThrownBy(() -> Runs.oneLoop(() -> Select.create().await()))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("at least one onReceive clause");
    }
}
