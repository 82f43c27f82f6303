package dev.weft.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Cancellation;
import example.agent.programs.RegexProgram;
import example.agent.programs.SpinProgram;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weft run} end to end: a JVM runs Weft's command line ({@code dev.weft.cli.Main run}, as {@code ./weft} does),
 * which starts the program in a child JVM with the agent. Runs after the agent jar is packaged (see agent/pom.xml,
 * execution {@code weft-run-end-to-end}), which passes its path as {@code weft.agent.jar}.
 */
class WeftRunEndToEndCheck {
    /** How long a run may take before the test gives up on it: the bound on a hang, not a performance target. */
    private static final long RUN_BOUND_SECONDS = 120;

    @TempDir
    Path dir;

    record Outcome(int status, String output) {}

    private Outcome weftRun(String... args) throws IOException, InterruptedException {
        String agentJar = System.getProperty("weft.agent.jar");
        assertThat(agentJar).as("weft.agent.jar (set by agent/pom.xml; run with mvn verify -pl agent)").isNotNull();
        assertThat(Path.of(agentJar)).as("the packaged agent jar").isRegularFile();
        String java = ProcessHandle.current().info().command()
                .orElseThrow(() -> new IllegalStateException("cannot tell which java runs this test"));
        List<String> cmd = new ArrayList<>(List.of(java, "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-Dweft.agent.jar=" + agentJar, "-cp", codeSource(Cancellation.class), "dev.weft.cli.Main", "run"));
        cmd.addAll(List.of(args));
        Path out = dir.resolve("output.txt");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
        if (!p.waitFor(RUN_BOUND_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
            throw new AssertionError("weft run " + String.join(" ", args) + " did not end within " + RUN_BOUND_SECONDS
                    + "s; output so far:\n" + Files.readString(out));
        }
        return new Outcome(p.exitValue(), Files.readString(out));
    }

    private static String codeSource(Class<?> c) {
        try {
            return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (Exception e) {
            throw new IllegalStateException("cannot locate the class path entry of " + c.getName(), e);
        }
    }

    @Test
    void cpuBoundProgramWithNoCallsIsCancelledAtItsTimeoutAndItsFinallyRuns() throws Exception {
        Outcome o = weftRun("--timeout", "300ms", "-cp", codeSource(SpinProgram.class), SpinProgram.class.getName());
        assertThat(o.status()).as(o.output()).isEqualTo(124);
        assertThat(o.output()).contains("started").contains("finally ran").doesNotContain("returned");
    }

    @Test
    void catastrophicBacktrackingRegexIsCancelledWhenJavaUtilRegexIsOptedIn() throws Exception {
        Path report = dir.resolve("agent-report.txt");
        Outcome o = weftRun("--timeout", "300ms", "--instrument", "java.util.regex.**",
                "--agent-options", "report=" + report, "-cp", codeSource(RegexProgram.class),
                RegexProgram.class.getName(), "64");
        assertThat(o.status()).as(o.output()).isEqualTo(124);
        assertThat(o.output()).contains("started").contains("finally ran").doesNotContain("matched=");
        assertThat(Files.readString(report)).contains("instrumented java.util.regex.Pattern$");
    }
}
