package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** TaskScope.firstSuccess: StructuredTaskScope.Joiner.anySuccessfulResultOrThrow. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class FirstSuccessTest {

    @Test
    void theFirstSuccessWinsAndTheOthersAreCancelledWithTheirCleanupDone() {
        VirtualClock clock = VirtualClock.create();
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        String r = Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            s.spawn("advancer", () -> {
                Thread.yield(); // one loop, FIFO: to the back of the queue, behind the two racers, which sleep
                clock.advance(Duration.ofSeconds(2));
            });
            String winner = TaskScope.firstSuccess(
                    () -> {
                        try {
                            Weft.sleep(Duration.ofSeconds(10));
                            return "slow mirror";
                        } finally {
                            events.add("slow cleanup");
                        }
                    },
                    () -> {
                        Weft.sleep(Duration.ofSeconds(1));
                        return "fast mirror";
                    });
            events.add("returned " + winner);
            return winner;
        }));
        assertThat(r).isEqualTo("fast mirror");
        assertThat(events).containsExactly("slow cleanup", "returned fast mirror");
    }

    @Test
    void failuresDoNotMatterWhileOneSucceeds() {
        String r = Runs.oneLoop(() -> TaskScope.firstSuccess(List.<ThrowingCallable<String, Exception>>of(
                () -> {
                    throw new IOException("mirror a down");
                },
                () -> "mirror b")));
        assertThat(r).isEqualTo("mirror b");
    }

    @Test
    void whenEveryBodyFailsTheFirstFailureIsTheCauseAndTheOthersAreSuppressed() {
        assertThatThrownBy(() -> Runs.oneLoop(() -> TaskScope.<String>firstSuccess(
                () -> {
                    throw new IOException("a down");
                },
                () -> {
                    throw new IllegalStateException("b down");
                })))
                .isInstanceOf(TaskFailedException.class)
                .hasMessageContaining("every one of the 2 bodies of firstSuccess failed")
                .hasCauseInstanceOf(IOException.class)
                .satisfies(e -> assertThat(e.getSuppressed()).singleElement()
                        .isInstanceOf(IllegalStateException.class));
    }

    @Test
    void anOuterCancellationCancelsTheRaceAndPropagates() {
        boolean caught = Runs.oneLoop(() -> {
            CancelScope outer = CancelScope.create();
            TaskScope.run(s -> {
                s.spawn("canceller", outer::cancel);
                outer.run(() -> TaskScope.firstSuccess(() -> {
                    Weft.sleep(Duration.ofHours(1));
                    return "never";
                }));
            });
            return outer.cancelledCaught();
        });
        assertThat(caught).isTrue();
    }

    @Test
    void anEmptyRaceIsRefused() {
        assertThatThrownBy(() -> Runs.oneLoop(() -> TaskScope.firstSuccess(List.of())))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one body");
    }
}
