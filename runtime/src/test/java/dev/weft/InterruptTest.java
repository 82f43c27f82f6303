package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Ctrl-C, for real: forks a JVM running a Weft program and sends it SIGINT. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InterruptTest {

    private static Process start(String... args) throws IOException {
        String java = ProcessHandle.current().info().command().orElseThrow();
        List<String> cmd = new ArrayList<>(List.of(java, "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), SigintFixture.class.getName()));
        cmd.addAll(List.of(args));
        return new ProcessBuilder(cmd).redirectErrorStream(true).start();
    }

    private static void sigint(Process p) throws Exception {
        signal(p, "INT");
    }

    private static void signal(Process p, String name) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(p.pid())).inheritIO().start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).isZero();
    }

    private static String awaitLine(BufferedReader r, String wanted, StringBuilder seen) throws IOException {
        String line;
        while ((line = r.readLine()) != null) {
            seen.append(line).append('\n');
            if (line.equals(wanted)) {
                return line;
            }
        }
        throw new AssertionError("process ended before printing '" + wanted + "'; output:\n" + seen);
    }

    @Test
    void ctrlCCancelsTheRootRunsCleanupAndExits130() throws Exception {
        Process p = start();
        var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        awaitLine(r, "ready", seen);
        sigint(p);
        awaitLine(r, "cleanup done", seen);
        r.lines().forEach(l -> seen.append(l).append('\n'));
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(seen.toString()).isEqualTo(130);
        assertThat(seen).contains("cleanup started", "interrupted; cleanup finished");
    }

    @Test
    void sigtermCancelsTheRootRunsCleanupAndExits143() throws Exception {
        Process p = start();
        var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        awaitLine(r, "ready", seen);
        signal(p, "TERM");
        awaitLine(r, "cleanup done", seen);
        r.lines().forEach(l -> seen.append(l).append('\n'));
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(seen.toString()).isEqualTo(Weft.EXIT_TERMINATED);
        assertThat(seen).contains("cleanup started", "terminated; cleanup finished");
    }

    @Test
    void secondCtrlCExitsAtOnceWithoutWaitingForCleanup() throws Exception {
        Process p = start("slow-cleanup");
        var r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        awaitLine(r, "ready", seen);
        sigint(p);
        awaitLine(r, "cleanup waiting", seen);
        sigint(p);
        r.lines().forEach(l -> seen.append(l).append('\n'));
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(130);
        assertThat(seen.toString()).doesNotContain("cleanup done")
                .contains("still running:", "task 'main' RUNNING", "shielded(PT1H)");
    }
}
