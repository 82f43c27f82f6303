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
    void helpListsEveryCommandOfTheTableAndEveryExitStatus() {
        assertThat(run("--help")).isEqualTo(ExitStatus.OK.code());
        String help = out.toString(StandardCharsets.UTF_8);
        assertThat(help).contains("demo", "tour", "run", "plan", "bench", "--help");
        for (Main.Command c : Main.COMMANDS) {
            assertThat(help).contains("\n  " + c.name());
        }
        for (ExitStatus s : ExitStatus.values()) {
            assertThat(help).contains(String.format("  %-4d %s\n", s.code(), s.meaning()));
        }
    }

    @Test
    void helpAliasesPrintTheSameText() {
        run("--help");
        String help = out.toString(StandardCharsets.UTF_8);
        out.reset();
        assertThat(run("-h")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(help);
        out.reset();
        assertThat(run("help")).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(help);
    }

    @Test
    void commandNamesAreDistinct() {
        assertThat(Main.COMMANDS.stream().map(Main.Command::name)).doesNotHaveDuplicates();
    }

    @Test
    void unknownCommandAndNoCommandAreUsageErrors() {
        assertThat(run("frobnicate")).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown command 'frobnicate'", "--help");
        err.reset();
        assertThat(run()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("usage: weft COMMAND");
    }

    @Test
    void benchOutsideTheLauncherIsAUsageErrorThatNamesTheLauncher() {
        assertThat(run("bench")).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("./weft bench");
    }

    @Test
    void runWithoutAProgramIsAUsageError() {
        assertThat(run("run", "--timeout", "1s")).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("nothing to run", "usage: weft run");
    }

    @Test
    void tourWithArgumentsIsAUsageError() {
        assertThat(run("tour", "extra")).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("takes no arguments");
    }

    @Test
    void demoWithAnUnknownOptionIsAUsageErrorThatNamesTheTour() {
        assertThat(run("demo", "extra")).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option 'extra'", "weft tour");
    }

    @Test
    void demoOptionWithoutAValueIsAUsageError() {
        assertThat(run("demo", "--duration")).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--duration needs a value");
    }

    @Test
    void serveWithABadSoftLimitIsAUsageErrorOfServeNotOfRun() {
        assertThat(run("serve", "--soft-limit", "1x")).isEqualTo(ExitStatus.USAGE.code());
        String e = err.toString(StandardCharsets.UTF_8);
        assertThat(e).startsWith("weft serve: --soft-limit '1x' is not a size").contains("see weft serve --help")
                .doesNotContain("usage: weft run");
        err.reset();
        assertThat(run("serve", "--soft-limit", "1k")).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).startsWith("weft serve: --soft-limit 1.0 KiB is too small");
    }

    @Test
    void tourRunsEveryStepAndChecksItself() {
        assertThat(run("tour")).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(ExitStatus.OK.code());
        assertThat(out.toString(StandardCharsets.UTF_8)).contains(
                "cancelled (deadline) by scope '100ms-deadline'", "finally: releasing resources",
                "shielded cleanup blocked", "children saw: req-42", "slow-sibling: cancelled, cleaned up",
                "task 'waiting-worker' RUNNING", "Tour finished");
    }

    @Test
    void versionNamesWeftAndTheJdkAndExitsZero() {
        assertThat(run("--version")).isEqualTo(ExitStatus.OK.code());
        assertThat(out.toString(StandardCharsets.UTF_8)).startsWith("weft ").contains("on Java " + Runtime.version());
    }
}
