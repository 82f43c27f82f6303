package dev.weft.memory.budget;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A grace overrun fails hard, and the refusals' words, in a forked JVM ({@link GraceOverrun}): nothing else in the
 * process lends or holds grace meanwhile.
 */
class GraceOverrunForkedTest {
    @Test
    void graceOverrunFailsHardWhateverTheTaskDoesWithTheError() throws Exception {
        ContainmentStressTest.Run r = ContainmentStressTest.fork(0, 0, List.of("-Xmx64m"), GraceOverrun.class.getName());
        assertThat(r.status()).as("stderr:\n" + r.err()).isZero();
        // caught and returned normally: before, the task ended SUCCEEDED and the scope returned
        assertThat(r.out()).contains("RESULT swallowed: run threw GRACE_EXHAUSTED, task FAILED");
        // the first error rethrown after the overrun was swallowed: before, it carried nothing
        assertThat(r.out()).contains("RESULT rethrown: run threw SOFT_LIMIT carrying [GRACE_EXHAUSTED]");
    }

    @Test
    void refusalOutsideAWeftTaskSaysOnceThatNoGraceIsLent() throws Exception {
        ContainmentStressTest.Run r = ContainmentStressTest.fork(0, 0, List.of("-Xmx64m"), GraceOverrun.class.getName());
        String outside = r.out().lines().filter(l -> l.startsWith("RESULT outside: ")).findFirst().orElseThrow();
        assertThat(outside).contains("refused 200 B to a thread outside Weft", "no grace is lent outside a Weft task")
                .doesNotContain("may use", "of grace above the limit");
        assertThat(r.out()).contains("RESULT unlimited: grace 0, reserved 1048576");
    }
}
