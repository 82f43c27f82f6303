package dev.weft.memory.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** A task the watchdog blamed fails with its memory error whatever it does with the cancellation ({@link BlamedSwallower}). */
class BlamedSwallowerForkedTest {
    @Test
    void aBlamedTaskThatCatchesTheCancellationAndReturnsNormallyStillFailsWithTheMemoryError() throws Exception {
        ContainmentStressTest.Run r = ContainmentStressTest.fork(0, 0, List.of("-Xmx128m"),
                BlamedSwallower.class.getName());
        assertThat(r.status()).as("stderr:\n" + r.err()).isZero();
        // a real OutOfMemoryError it swallowed is its own business (the watchdog blamed nobody): not this case
        assumeThat(r.out()).doesNotContain("swallowed OutOfMemoryError");
        // before, it ended SUCCEEDED and the scope returned, as if the watchdog had never blamed it
        assertThat(r.out()).contains("RESULT scope threw HEAP, task FAILED, swallowed Cancelled");
    }
}
