package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Results that cannot be confused with null when a scope absorbed its cancellation. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class OptionalResultTest {

    @Test
    void callOptionalIsEmptyWhenTheDeadlineCancelledTheBody() {
        VirtualClock clock = VirtualClock.create();
        Optional<String> r = Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            s.spawn("advancer", () -> clock.advance(Duration.ofSeconds(3)));
            return CancelScope.withTimeout(Duration.ofSeconds(2)).callOptional(() -> {
                Weft.sleep(Duration.ofHours(1));
                return "late";
            });
        }));
        assertThat(r).isEmpty();
    }

    @Test
    void callOptionalHoldsTheResultWhenTheBodyFinished() {
        Optional<String> r = Runs.oneLoop(() -> CancelScope.withTimeout(Duration.ofHours(1)).callOptional(() -> "page"));
        assertThat(r).contains("page");
    }

    @Test
    void callOptionalRefusesANullResultBecauseItWouldReadAsCancelled() {
        assertThatThrownBy(() -> Runs.oneLoop(() -> CancelScope.create().callOptional(() -> null)))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("would read as 'cancelled'");
    }

    @Test
    void runOptionalIsEmptyWhenTheScopeCancelledItselfBeforeTheBodyReturned() {
        Optional<Integer> r = Runs.oneLoop(() -> TaskScope.runOptional(scope -> {
            scope.cancel();
            Cancellation.checkpoint();
            return 1;
        }));
        assertThat(r).isEmpty();
    }

    @Test
    void runOptionalHoldsTheBodysResult() {
        Optional<Integer> r = Runs.oneLoop(() -> TaskScope.runOptional(scope -> scope.spawn(() -> 41).join() + 1));
        assertThat(r).contains(42);
    }

    @Test
    void outerCancellationStillPropagatesThroughCallOptional() {
        CancelScope outer = CancelScope.create();
        boolean caught = Runs.oneLoop(() -> {
            outer.run(() -> {
                outer.cancel();
                CancelScope.create().callOptional(() -> {
                    Cancellation.checkpoint();
                    return "never";
                });
                throw new AssertionError("the outer cancellation did not propagate");
            });
            return outer.cancelledCaught();
        });
        assertThat(caught).isTrue();
    }
}
