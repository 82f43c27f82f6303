package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Weft;
import dev.weft.agent.WeftAgent;
import example.cli.programs.AllocatingProgram;
import example.cli.programs.MonitorSpinProgram;
import example.cli.programs.RegexProgram;
import example.cli.programs.SpinProgram;
import example.cli.programs.SwallowingProgram;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weft run} end to end: a JVM runs Weft's command line ({@code dev.weft.cli.Main run}) on the class path
 * {@code ./weft} gives it (the command line, the runtime jar, the agent jar), and it starts the program in a child
 * JVM with the agent. Runs after the agent jar is packaged (see cli/pom.xml, execution {@code weft-run-end-to-end}).
 */
class WeftRunEndToEndCheck {
    /** How long a run may take before the test gives up on it: the bound on a hang, not a performance target. */
    private static final long RUN_BOUND_SECONDS = 120;

    @TempDir
    Path dir;

    record Outcome(int status, String output) {}

    private Outcome weftRun(String... args) throws IOException, InterruptedException {
        List<String> all = new ArrayList<>(List.of("run"));
        all.addAll(List.of(args));
        return weft(all.toArray(String[]::new));
    }

    /** Weft's command line in a JVM of its own, as {@code ./weft} starts it. */
    private Outcome weft(String... args) throws IOException, InterruptedException {
        Path agentJar = codeSource(WeftAgent.class);
        assertThat(agentJar).as("the packaged agent jar (run with mvn verify, after the agent module's package)")
                .isRegularFile();
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot tell which java runs this test"));
        String classPath = String.join(File.pathSeparator, codeSource(Main.class).toString(),
                codeSource(Weft.class).toString(), agentJar.toString());
        List<String> cmd = new ArrayList<>(List.of(java, "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-cp", classPath, Main.class.getName()));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("output.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(RUN_BOUND_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("weft " + String.join(" ", args) + " did not end within " + RUN_BOUND_SECONDS
                    + "s; output so far:\n" + Files.readString(out));
        }
        return new Outcome(p.exitValue(), Files.readString(out));
    }

    private static Path codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate the class path entry of " + c.getName(), e);
        }
    }

    @Test
    void cpuBoundProgramWithNoCallsIsCancelledAtItsTimeoutAndItsFinallyRuns() throws Exception {
        Outcome o = weftRun("--timeout", "300ms", "-cp", codeSource(SpinProgram.class).toString(),
                SpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started").contains("finally ran").doesNotContain("returned");
    }

    @Test
    void catastrophicBacktrackingRegexIsCancelledWhenJavaUtilRegexIsOptedIn() throws Exception {
        Path report = dir.resolve("agent-report.txt");
        Outcome o = weftRun("--timeout", "300ms", "--instrument", "java.util.regex.**",
                "--agent-options", "report=" + report, "-cp", codeSource(RegexProgram.class).toString(),
                RegexProgram.class.getName(), "64");
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started").contains("finally ran").doesNotContain("matched=");
        assertThat(Files.readString(report)).contains("instrumented java.util.regex.Pattern$");
    }

    @Test
    void programCrossingTheSoftLimitExitsWithTheMemoryStatusAndAReportAfterItsFinallyRan() throws Exception {
        Outcome o = weftRun("--soft-limit", "24m", "--heap", "64m", "-cp",
                codeSource(AllocatingProgram.class).toString(), AllocatingProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.MEMORY.code());
        assertThat(o.output()).contains("started", "finally ran after ", "weft: memory limit: task 'main'",
                "soft limit 24.0 MiB").doesNotContain("Exception in thread");
    }

    @Test
    void humongousArraysUnderASoftLimitAreStoppedByTheLimitAndNotTheRealHeap() throws Exception {
        // 600 KiB arrays: G1 humongous objects, a 1 MiB region each, straight into the old generation; before, the
        // real heap was reached first (at 252 of 256 MiB)
        Outcome o = weftRun("--soft-limit", "96m", "--heap", "256m", "-cp", codeSource(AllocatingProgram.class).toString(),
                AllocatingProgram.class.getName(), "76800");
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.MEMORY.code());
        assertThat(o.output()).contains("finally ran after ", "task 'main' allocated the most while the live heap"
                + " stayed above the soft limit", "0 OutOfMemoryError(s) contained", "(G1, ",
                "The task's cleanup (its finally blocks) completed").doesNotContain("Exception in thread");
    }

    @Test
    void aSoftLimitTooSmallForTheJvmIsAUsageErrorBeforeTheChildStarts() throws Exception {
        Outcome o = weftRun("--soft-limit", "1k", "-cp", codeSource(SpinProgram.class).toString(),
                SpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("--soft-limit 1.0 KiB is too small", "give --soft-limit 8m or more")
                .doesNotContain("initialization of VM").doesNotContain("started");
    }

    @Test
    void aHeapWithoutAUnitIsCheckedByWeftAndNotLeftToTheJvm() throws Exception {
        Outcome o = weftRun("--heap", "10", "-cp", codeSource(SpinProgram.class).toString(),
                SpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("--heap 10 B is too small", "a bare number is bytes")
                .doesNotContain("Too small maximum heap").doesNotContain("started");
    }

    @Test
    void aHeapBelowTheSoftLimitPlusItsGraceIsRefusedNamingBoth() throws Exception {
        Outcome o = weftRun("--soft-limit", "96m", "--heap", "100m", "-cp",
                codeSource(AllocatingProgram.class).toString(), AllocatingProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("--heap 100.0 MiB is too small for --soft-limit 96.0 MiB")
                .doesNotContain("started");
    }

    @Test
    void planWithALineWhoseProductOverflowsExitsWithTheUsageStatusNamingTheLine() throws Exception {
        Path plan = dir.resolve("plan.txt");
        Files.writeString(plan, "handlers 64 16k\ncache 1000000000000 1g\n");
        Outcome o = weft("plan", plan.toString());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains(plan + ":2: cache: 1000000000000 x 1.0 GiB is more than 8 EiB")
                .doesNotContain("ArithmeticException").doesNotContain("\tat ");
    }

    @Test
    void missingMainClassIsAUsageErrorInTheChild() throws Exception {
        Outcome o = weftRun("-cp", dir.toString(), "com.example.NoSuchMain");
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("cannot load main class com.example.NoSuchMain");
    }

    @Test
    void aProgramThatCatchesTheCancellationAtItsTopStillExitsWithTheTimeoutStatus() throws Exception {
        Outcome o = weftRun("--timeout=300ms", "-cp", codeSource(SwallowingProgram.class).toString(),
                SwallowingProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started", "caught Cancelled", "returned normally",
                "the program's deadline passed");
    }

    @Test
    void aProgramThatCannotBeCancelledIsHaltedAfterTheGraceWithWhereItIsStuck() throws Exception {
        Outcome o = weftRun("--timeout", "300ms", "--grace", "700ms", "-cp",
                codeSource(MonitorSpinProgram.class).toString(), MonitorSpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.STUCK.code());
        assertThat(o.output()).contains("started", "did not stop within its deadline plus the grace of 700 ms",
                "task 'main'", "MonitorSpinProgram.main").doesNotContain("returned");
    }

    @Test
    void graceWithoutTimeoutIsAUsageErrorNamingTheFix() throws Exception {
        Outcome o = weftRun("--grace", "1s", "-cp", dir.toString(), "com.example.Main");
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("--grace needs --timeout");
    }

    @Test
    void aBadAgentOptionExitsWithTheUsageStatusAndOneLineInsteadOfAJvmAbort() throws Exception {
        Outcome o = weftRun("--agent-options", "policy=bogus", "-cp", codeSource(SpinProgram.class).toString(),
                SpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("[weft-agent] error:").doesNotContain("ASSERTION FAILED")
                .doesNotContain("started");
    }

    @Test
    void helpExitsZero() throws Exception {
        Outcome o = weftRun("--help");
        assertThat(o.status()).as(o.output()).isZero();
        assertThat(o.output()).contains("usage: weft run", "--grace DURATION");
    }
}
