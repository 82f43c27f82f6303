package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlanCommandTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @TempDir
    Path dir;

    private int plan(String... args) {
        return PlanCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void planThatDoesNotFitPrintsTheVerdictAndFails() throws Exception {
        Path file = dir.resolve("plan.txt");
        Files.writeString(file, "# server\nsoft-limit 1m\nhandlers 64 16k # buffers\ncache 100 1k\n");
        assertThat(plan(file.toString())).isEqualTo(ExitStatus.FAILED.code());
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("handlers", "64", "16.0 KiB", "1.0 MiB",
                "DOES NOT FIT");
    }

    @Test
    void stackPrintsTheBoundAndItsWorstPathFrameByFrame() {
        assertThat(plan("--stack", StackFixture.class.getName() + "#handle", "-cp", "target/test-classes"))
                .as(err.toString(StandardCharsets.UTF_8)).isEqualTo(ExitStatus.OK.code());
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("stack bound of dev.weft.cli.StackFixture#handle",
                "dev.weft.cli.StackFixture.handle(J)J", "dev.weft.cli.StackFixture.step(JJ)J",
                "[dev.weft.cli.StackFixture.handle(StackFixture.java:");
    }

    @Test
    void stackWithoutTheAgentsChecksLeavesOutFramesThatReturnBeforeAnyFreeze() {
        assertThat(plan("--stack", StackFixture.class.getName() + "#handle", "-cp", "target/test-classes",
                "--agent-checks", "off")).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(ExitStatus.OK.code());
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("stack bound of", "16 the task's")
                .doesNotContain("StackFixture.step");
        assertThat(plan("--stack", StackFixture.class.getName() + "#handle", "--agent-checks", "maybe"))
                .isEqualTo(ExitStatus.USAGE.code());
    }

    @Test
    void stackWithAnUndeclaredRecursionFailsNamingTheCycleUntilItsDepthIsDeclared() {
        String entry = StackFixture.class.getName() + "#walk";
        assertThat(plan("--stack", entry, "-cp", "target/test-classes")).isEqualTo(ExitStatus.FAILED.code());
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("NO stack bound", "RECURSION at",
                "StackFixture.walk(J)J -> dev.weft.cli.StackFixture.walk(J)J", "--max-depth");
        out.reset();
        assertThat(plan("--stack", entry, "-cp", "target/test-classes", "--max-depth", entry + "=100"))
                .isEqualTo(ExitStatus.OK.code());
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("stack bound of", "at most 100 deep");
    }

    @Test
    void stackOfAMissingMethodIsAUsageErrorNamingTheMethods() {
        assertThat(plan("--stack", StackFixture.class.getName() + "#nope", "-cp", "target/test-classes"))
                .isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("has no method nope", "handle", "walk");
    }

    @Test
    void examplePlanFitsALargeEnoughLimit() {
        assertThat(plan("--soft-limit", "1g")).as(err.toString(StandardCharsets.UTF_8)).isEqualTo(ExitStatus.OK.code());
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("request-handlers", "connections", "cache-entries");
    }

    @Test
    void malformedLineIsAUsageErrorNamingTheLine() throws Exception {
        Path file = dir.resolve("bad.txt");
        Files.writeString(file, "handlers 64\n");
        assertThat(plan(file.toString())).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(file + ":1: expected 'NAME COUNT SIZE'",
                "exit status: 0 ok, 1 failure, 2 bad usage");
    }

    @Test
    void aLineWhoseProductOverflowsIsAUsageErrorNamingTheLine() throws Exception {
        Path file = dir.resolve("huge.txt");
        Files.writeString(file, "# one line too big\nhandlers 1000000000000 1g\n");
        assertThat(plan(file.toString())).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains(file + ":2: handlers: 1000000000000 x 1.0 GiB is more than 8 EiB")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void aPlanWhoseTotalOverflowsIsAUsageErrorNamingTheLineWhereItDoes() throws Exception {
        Path file = dir.resolve("total.txt");
        Files.writeString(file, "a 3 1000000000g\nb 3 1000000000g\nc 3 1000000000g\n");
        assertThat(plan(file.toString())).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains(file + ":3: the plan's total passes 8 EiB at this line")
                .doesNotContain("Exception");
    }

    @Test
    void aPlanFileThatCannotBeReadIsAUsageErrorNamingTheFileAndWhy() throws Exception {
        // before: "weft plan: /missing.txt" and "weft plan: Is a directory", each half of the story
        Path missing = dir.resolve("missing.txt");
        assertThat(plan(missing.toString())).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("plan file '" + missing + "' does not exist");
        err.reset();
        assertThat(plan(dir.toString())).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("plan file '" + dir + "' cannot be read (");
        err.reset();
        Path binary = dir.resolve("latin1.txt");
        Files.write(binary, new byte[] {'a', ' ', '1', ' ', '1', '6', '\n', (byte) 0xff, (byte) 0xfe, '\n'});
        assertThat(plan(binary.toString())).isEqualTo(ExitStatus.USAGE.code());
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("plan file '" + binary + "' is not UTF-8 text");
    }
}
