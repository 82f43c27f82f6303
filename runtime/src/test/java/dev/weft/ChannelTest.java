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
class ChannelTest {

    @Test
    void deliversInOrderUnderBackpressureAndEndsOnClose() {
        List<Integer> got = Runs.loops(2, () -> {
            Channel<Integer> ch = Channel.create(2);
            List<Integer> out = new ArrayList<>();
            TaskScope.run(scope -> {
                scope.spawnOn(Weft.loops().get(1), "producer", () -> {
                    for (int i = 0; i < 100; i++) {
                        ch.send(i);
                    }
                    ch.close();
                    return null;
                });
                scope.spawn("consumer", () -> {
                    try {
                        while (true) {
                            out.add(ch.receive());
                            assertThat(ch.size()).isLessThanOrEqualTo(2);
                        }
                    } catch (ChannelClosedException done) {
                        return null;
                    }
                });
                return null;
            });
            return out;
        });
        assertThat(got).hasSize(100).isSorted();
    }

    @Test
    void pingPongOnOneLoop() {
        int rounds = Runs.oneLoop(() -> {
            Channel<Integer> ping = Channel.create(1);
            Channel<Integer> pong = Channel.create(1);
            return TaskScope.run(scope -> {
                scope.spawn(() -> {
                    for (int i = 0; i < 10_000; i++) {
                        pong.send(ping.receive() + 1);
                    }
                    return null;
                });
                int v = 0;
                for (int i = 0; i < 10_000; i++) {
                    ping.send(v);
                    v = pong.receive();
                }
                return v;
            });
        });
        assertThat(rounds).isEqualTo(10_000);
    }

    @Test
    void blockedReceiveIsACancellationPointAndTakesNothing() {
        Channel<String> ch = Channel.create(1);
        CancelScope scope = CancelScope.withTimeout(Duration.ofMillis(10));
        Runs.oneLoop(() -> {
            scope.run(ch::receive);
            ch.trySend("after");
            return null;
        });
        assertThat(scope.cancelledCaught()).isTrue();
        assertThat(ch.tryReceive()).isEqualTo("after");
    }

    @Test
    void tryOperationsAndBadCapacity() {
        Channel<String> ch = Channel.create(1);
        assertThat(ch.trySend("a")).isTrue();
        assertThat(ch.trySend("b")).isFalse();
        assertThat(ch.tryReceive()).isEqualTo("a");
        assertThat(ch.tryReceive()).isNull();
        ch.close();
        assertThatThrownBy(() -> ch.trySend("c")).isInstanceOf(ChannelClosedException.class);
        assertThatThrownBy(() -> Channel.create(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("between 1 and");
    }
}
