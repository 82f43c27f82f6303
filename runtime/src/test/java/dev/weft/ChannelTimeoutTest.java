package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Channel send and receive with a timeout on the runtime clock. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class ChannelTimeoutTest {

    @Test
    void receiveGivesUpAtTheTimeoutAndTakesNothing() {
        VirtualClock clock = VirtualClock.create();
        Channel<String> ch = Channel.create(1);
        List<String> events = new ArrayList<>();
        Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            s.spawn("advancer", () -> clock.advance(Duration.ofSeconds(2)));
            Optional<String> got = ch.receive(Duration.ofSeconds(1));
            events.add("got " + got);
            ch.send("later");
            events.add("then " + ch.receive(Duration.ofSeconds(1)));
        }));
        assertThat(events).containsExactly("got Optional.empty", "then Optional[later]");
    }

    @Test
    void receiveReturnsAnElementSentBeforeTheTimeout() {
        VirtualClock clock = VirtualClock.create();
        Channel<Integer> ch = Channel.create(1);
        Optional<Integer> got = Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            s.spawn("sender", () -> ch.send(7));
            return ch.receive(Duration.ofSeconds(1));
        }));
        assertThat(got).contains(7);
    }

    @Test
    void sendGivesUpOnAFullChannelWithoutEnqueuing() {
        VirtualClock clock = VirtualClock.create();
        Channel<String> ch = Channel.create(1);
        List<String> events = new ArrayList<>();
        Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            ch.send("first");
            s.spawn("advancer", () -> clock.advance(Duration.ofSeconds(2)));
            events.add("sent: " + ch.send("second", Duration.ofSeconds(1)));
            events.add("size " + ch.size() + ", head " + ch.tryReceive());
            events.add("sent now: " + ch.send("third", Duration.ofSeconds(1)));
        }));
        assertThat(events).containsExactly("sent: false", "size 1, head first", "sent now: true");
    }

    @Test
    void aTimedReceiveIsACancellationPoint() {
        Channel<String> ch = Channel.create(1);
        boolean caught = Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create();
            TaskScope.run(s -> {
                s.spawn("canceller", scope::cancel);
                scope.run(() -> ch.receive(Duration.ofHours(1)));
            });
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
    }

    @Test
    void aTimedOutReceiverDoesNotSwallowTheNextElement() {
        VirtualClock clock = VirtualClock.create();
        Channel<String> ch = Channel.create(1);
        String got = Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            Task<Void> impatient = s.spawn("impatient", () -> {
                ch.receive(Duration.ofSeconds(1)); // times out and leaves the queue
            });
            Task<String> patient = s.spawn("patient", () -> ch.receive());
            s.spawn("driver", () -> {
                clock.advance(Duration.ofSeconds(2));
                impatient.join();
                ch.send("for the patient one");
            });
            return patient.join();
        }));
        assertThat(got).isEqualTo("for the patient one");
    }
}
