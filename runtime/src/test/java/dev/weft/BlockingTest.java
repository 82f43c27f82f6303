package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class BlockingTest {

    @Test
    void runsOffTheLoopAndReturnsTheResult() {
        String[] r = Runs.oneLoop(() -> {
            String inCall = Blocking.call(() -> Thread.currentThread().isVirtual() + "/" + Thread.currentThread().getName());
            return new String[] {inCall};
        });
        assertThat(r[0]).startsWith("false/").contains("blocking");
    }

    @Test
    void cancellationInterruptsTheCallAndWaitsForIt() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        boolean[] callSawInterrupt = new boolean[1];
        CancelScope scope = CancelScope.create();
        Runs.oneLoop(() -> TaskScope.run(s -> {
            s.spawn("canceller", () -> {
                Blocking.run(started::await); // the call below is running
                scope.cancel();
                return null;
            });
            scope.run(() -> Blocking.run(() -> {
                started.countDown();
                try {
                    Thread.sleep(Duration.ofMinutes(5));
                } catch (InterruptedException e) {
                    callSawInterrupt[0] = true;
                }
            }));
            return null;
        }));
        assertThat(started.await(0, TimeUnit.SECONDS)).isTrue();
        assertThat(callSawInterrupt[0]).isTrue(); // it had finished before the scope exited
        assertThat(scope.cancelledCaught()).isTrue();
    }
}
