package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import example.cli.programs.AllocatingProgram;
import example.cli.programs.CollectionsProgram;
import example.cli.programs.HiddenClassProgram;
import example.cli.programs.HiddenSpinner;
import example.cli.programs.MonitorSpinProgram;
import example.cli.programs.RecursionProgram;
import example.cli.programs.RegexProgram;
import example.cli.programs.RestartingProgram;
import example.cli.programs.SpinProgram;
import example.cli.programs.SwallowingProgram;
import example.cli.programs.SynchronizedCallbackProgram;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weft run} end to end: a JVM runs Weft's command line ({@code dev.weft.cli.Main run}) on the class path
 * {@code ./weft} gives it (the command line, the runtime jar, the agent jar), and it starts the program in a child
 * JVM with the agent. Runs after the agent jar is packaged (see cli/pom.xml, execution {@code weft-run-end-to-end}).
 */
class WeftRunEndToEndCheck {
    @TempDir
    Path dir;

    private WeftRunProcess.Outcome weftRun(String... args) throws IOException, InterruptedException {
        return WeftRunProcess.run(dir, args);
    }

    /** Weft's command line in a JVM of its own, as {@code ./weft} starts it. */
    private WeftRunProcess.Outcome weft(String... args) throws IOException, InterruptedException {
        return WeftRunProcess.weft(dir, args);
    }

    private static Path codeSource(Class<?> c) {
        return WeftRunProcess.codeSource(c);
    }

    @Test
    void cpuBoundProgramWithNoCallsIsCancelledAtItsTimeoutAndItsFinallyRuns() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "300ms", "-cp", codeSource(SpinProgram.class).toString(),
                SpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started").contains("finally ran").doesNotContain("returned");
    }

    @Test
    void catastrophicBacktrackingRegexIsCancelledWhenJavaUtilRegexIsOptedIn() throws Exception {
        Path report = dir.resolve("agent-report.txt");
        WeftRunProcess.Outcome o = weftRun("--timeout", "300ms", "--instrument", "java.util.regex.**",
                "--agent-options", "report=" + report, "-cp", codeSource(RegexProgram.class).toString(),
                RegexProgram.class.getName(), "64");
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started").contains("finally ran").doesNotContain("matched=");
        assertThat(Files.readString(report)).contains("instrumented java.util.regex.Pattern$");
    }

    @Test
    void recursionWithoutLoopsIsCancelledUnderTheDefaultPolicy() throws Exception {
        for (String mode : List.of("fib", "mutual")) {
            WeftRunProcess.Outcome o = weftRun("--timeout", "1s", "-cp", codeSource(RecursionProgram.class).toString(),
                    RecursionProgram.class.getName(), mode);
            assertThat(o.status()).as(mode + ": " + o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
            assertThat(o.output()).as(mode).contains("started", "finally ran").doesNotContain("returned");
        }
    }

    @Test
    void aWorkerThatCatchesEverythingAndRestartsByRecursionCannotSwallowTheCancel() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "1s", "--grace", "1s", "-cp",
                codeSource(RestartingProgram.class).toString(), RestartingProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        // the loop's check delivers once; the restart is the program's own reaction, which the grace lets run; when the
        // grace ends, the cancellation is delivered hard: the restarted loop throws, and the next restart's entry
        // check throws again before its catch-all can take it
        assertThat(o.output()).contains("restart after Cancelled", "finally ran after restarts=2")
                .doesNotContain("returned").doesNotContain("StackOverflowError").doesNotContain("did not stop");
    }

    @Test
    void optingInJavaUtilKeepsATightLoopAndALoopOverCollectionsCancellable() throws Exception {
        for (Class<?> program : List.of(SpinProgram.class, CollectionsProgram.class)) {
            Path report = dir.resolve(program.getSimpleName() + "-report.txt");
            WeftRunProcess.Outcome o = weftRun("--timeout", "1s", "--grace", "5s", "--instrument", "java.util.*",
                    "--agent-options", "report=" + report, "-cp", codeSource(program).toString(), program.getName());
            assertThat(o.status()).as(program.getSimpleName() + ": " + o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
            assertThat(o.output()).as(program.getSimpleName()).contains("started", "finally ran")
                    .doesNotContain("StackOverflowError")
                    .doesNotContain("cannot compile cancellation points into java.util.ArrayList ")
                    .doesNotContain("cannot compile cancellation points into java.util.HashMap ");
            assertThat(Files.readString(report)).contains("instrumented java.util.ArrayList ",
                    "instrumented java.util.HashMap ");
        }
    }

    @Test
    void optingInJavaUtilStreamKeepsTheMonitorRuleForCallbacksOfSynchronizedJdkCode() throws Exception {
        Path report = dir.resolve("agent-report.txt");
        WeftRunProcess.Outcome o = weftRun("--timeout", "1s", "--grace", "5s", "--instrument", "java.util.stream.**",
                "--agent-options", "report=" + report, "-cp",
                codeSource(SynchronizedCallbackProgram.class).toString(), SynchronizedCallbackProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        // the deadline passes inside Vector.forEach's callback; the cancel waits until forEach released the monitor
        assertThat(o.output()).contains("started", "finally ran holding=false")
                .doesNotContain("thrown inside the monitor").doesNotContain("StackOverflowError");
        assertThat(Files.readString(report)).contains("instrumented java.util.stream.ReferencePipeline ");
    }

    @Test
    void aHiddenClassTheProgramDefinesIsInstrumentedAndCancelled() throws Exception {
        Path report = dir.resolve("agent-report.txt");
        WeftRunProcess.Outcome o = weftRun("--timeout", "1s", "--grace", "5s", "--agent-options", "report=" + report, "-cp",
                codeSource(HiddenClassProgram.class).toString(), HiddenClassProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started hidden=true", "finally ran in " + HiddenSpinner.class.getName() + "/")
                .doesNotContain("returned");
        assertThat(Files.readString(report)).contains("instrumented " + HiddenSpinner.class.getName()
                + " policy=backedge hidden-class ");
    }

    @Test
    void programCrossingTheSoftLimitExitsWithTheMemoryStatusAndAReportAfterItsFinallyRan() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--soft-limit", "24m", "--heap", "64m", "-cp",
                codeSource(AllocatingProgram.class).toString(), AllocatingProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.MEMORY.code());
        assertThat(o.output()).contains("started", "finally ran after ", "weft: memory limit: task 'main'",
                "soft limit 24.0 MiB").doesNotContain("Exception in thread");
    }

    @Test
    void humongousArraysUnderASoftLimitAreStoppedByTheLimitAndNotTheRealHeap() throws Exception {
        // 600 KiB arrays: G1 humongous objects, a 1 MiB region each, straight into the old generation; before, the
        // real heap was reached first (at 252 of 256 MiB)
        WeftRunProcess.Outcome o = weftRun("--soft-limit", "96m", "--heap", "256m", "-cp", codeSource(AllocatingProgram.class).toString(),
                AllocatingProgram.class.getName(), "76800");
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.MEMORY.code());
        assertThat(o.output()).contains("finally ran after ", "task 'main' allocated the most while the live heap"
                + " stayed above the soft limit", "0 OutOfMemoryError(s) contained", "(G1, ",
                "The task's cleanup (its finally blocks) completed").doesNotContain("Exception in thread");
    }

    @Test
    void aSoftLimitTooSmallForTheJvmIsAUsageErrorBeforeTheChildStarts() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--soft-limit", "1k", "-cp", codeSource(SpinProgram.class).toString(),
                SpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("--soft-limit 1.0 KiB is too small", "give --soft-limit 8m or more")
                .doesNotContain("initialization of VM").doesNotContain("started");
    }

    @Test
    void aHeapWithoutAUnitIsCheckedByWeftAndNotLeftToTheJvm() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--heap", "10", "-cp", codeSource(SpinProgram.class).toString(),
                SpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("--heap 10 B is too small", "a bare number is bytes")
                .doesNotContain("Too small maximum heap").doesNotContain("started");
    }

    @Test
    void aHeapBelowTheSoftLimitPlusItsGraceIsRefusedNamingBoth() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--soft-limit", "96m", "--heap", "100m", "-cp",
                codeSource(AllocatingProgram.class).toString(), AllocatingProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("--heap 100.0 MiB is too small for --soft-limit 96.0 MiB")
                .doesNotContain("started");
    }

    @Test
    void planWithALineWhoseProductOverflowsExitsWithTheUsageStatusNamingTheLine() throws Exception {
        Path plan = dir.resolve("plan.txt");
        Files.writeString(plan, "handlers 64 16k\ncache 1000000000000 1g\n");
        WeftRunProcess.Outcome o = weft("plan", plan.toString());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains(plan + ":2: cache: 1000000000000 x 1.0 GiB is more than 8 EiB")
                .doesNotContain("ArithmeticException").doesNotContain("\tat ");
    }

    @Test
    void missingMainClassIsAUsageErrorInTheChild() throws Exception {
        WeftRunProcess.Outcome o = weftRun("-cp", dir.toString(), "com.example.NoSuchMain");
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("cannot load main class com.example.NoSuchMain");
    }

    @Test
    void aProgramThatCatchesTheCancellationAtItsTopStillExitsWithTheTimeoutStatus() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout=300ms", "-cp", codeSource(SwallowingProgram.class).toString(),
                SwallowingProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TIMEOUT.code());
        assertThat(o.output()).contains("started", "caught Cancelled", "returned normally",
                "the program's deadline passed");
    }

    @Test
    void aProgramThatCannotBeCancelledIsHaltedAfterTheGraceWithWhereItIsStuck() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--timeout", "300ms", "--grace", "700ms", "-cp",
                codeSource(MonitorSpinProgram.class).toString(), MonitorSpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.STUCK.code());
        assertThat(o.output()).contains("started", "did not stop within its deadline plus the grace of 700 ms",
                "task 'main'", "MonitorSpinProgram.main").doesNotContain("returned");
    }

    @Test
    void aBadGraceIsAUsageErrorNamingTheValue() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--grace", "soon", "-cp", dir.toString(), "com.example.Main");
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("--grace").contains("soon");
    }

    @Test
    void aBadAgentOptionExitsWithTheUsageStatusAndOneLineInsteadOfAJvmAbort() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--agent-options", "policy=bogus", "-cp", codeSource(SpinProgram.class).toString(),
                SpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.USAGE.code());
        assertThat(o.output()).contains("[weft-agent] error:").doesNotContain("ASSERTION FAILED")
                .doesNotContain("started");
    }

    @Test
    void helpExitsZero() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--help");
        assertThat(o.status()).as(o.output()).isZero();
        assertThat(o.output()).contains("usage: weft run", "--grace DURATION");
    }
}
