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
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
class ExitStackTest {

    @Test
    void closesInReverseOrderEvenWhenSomeFail() {
        List<String> events = new ArrayList<>();
        ExitStack stack = ExitStack.create();
        stack.callback(() -> events.add("first"));
        stack.callback(() -> {
            events.add("second");
            throw new IllegalStateException("second failed");
        });
        stack.push(() -> events.add("third"));
        assertThatThrownBy(stack::close).isInstanceOf(IllegalStateException.class).hasMessage("second failed");
        assertThat(events).containsExactly("third", "second", "first");
    }

    @Test
    void shieldedStackCanBlockDuringCancellation() throws Exception {
        List<String> events = new ArrayList<>();
        CancelScope scope = CancelScope.create();
        Runs.oneLoop(() -> {
            scope.run(() -> {
                try (ExitStack stack = ExitStack.shielded(Duration.ofSeconds(5))) {
                    stack.callback(() -> {
                        Weft.sleep(Duration.ofMillis(2)); // blocks although the scope is cancelled
                        events.add("closed after blocking");
                    });
                    scope.cancel();
                    Cancellation.checkpoint();
                }
            });
            return null;
        });
        assertThat(events).containsExactly("closed after blocking");
        assertThat(scope.cancelledCaught()).isTrue();
    }

    @Test
    void plainStackSeesTheCancellationButClosesEverything() throws Exception {
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create();
            scope.run(() -> {
                try (ExitStack stack = ExitStack.create()) {
                    stack.callback(() -> events.add("outer entry closed"));
                    stack.callback(() -> {
                        try {
                            Weft.sleep(Duration.ofMinutes(1));
                        } catch (Cancelled c) {
                            events.add("blocking close cancelled");
                            throw c;
                        }
                    });
                    scope.cancel();
                }
            });
            return null;
        });
        assertThat(events).containsExactly("blocking close cancelled", "outer entry closed");
    }
}
