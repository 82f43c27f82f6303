package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MainTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void helpListsCommands() {
        assertThat(run("--help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("demo", "run", "plan", "bench", "130");
    }

    @Test
    void unknownCommandAndNoCommandAreUsageErrors() {
        assertThat(run("frobnicate")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'frobnicate'", "--help");
        assertThat(run()).isEqualTo(2);
    }

    @Test
    void demoRunsEveryStepAndChecksItself() {
        assertThat(run("demo")).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains(
                "cancelled (deadline) by scope '100ms-deadline'", "finally: releasing resources",
                "shielded cleanup blocked", "children saw: req-42", "slow-sibling: cancelled, cleaned up",
                "task 'waiting-worker' RUNNING", "Demo finished");
    }
}
