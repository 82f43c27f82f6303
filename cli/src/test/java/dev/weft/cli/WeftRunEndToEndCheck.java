package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import example.cli.programs.AllocatingProgram;
import example.cli.programs.MonitorSpinProgram;
import example.cli.programs.RegexProgram;
import example.cli.programs.SpinProgram;
import example.cli.programs.SwallowingProgram;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
    void programCrossingTheSoftLimitExitsWithTheMemoryStatusAndAReportAfterItsFinallyRan() throws Exception {
        WeftRunProcess.Outcome o = weftRun("--soft-limit", "24m", "--heap", "64m", "-cp",
                codeSource(AllocatingProgram.class).toString(), AllocatingProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.MEMORY.code());
        assertThat(o.output()).contains("started", "finally ran after ", "weft: memory limit: task 'main'",
                "soft limit 24.0 MiB").doesNotContain("Exception in thread");
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
