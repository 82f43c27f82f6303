package dev.weft.memory.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.softlimit.SoftLimitRun;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Small-heap forked JVMs: a hog among well-behaved tasks gets the memory error, its cleanup runs and
 * allocates, the others finish correctly, nothing escapes, the JVM survives; and the child side of
 * {@code weft run --soft-limit} ({@link SoftLimitRun}) on an unmodified program.
 */
class ForkedHeapTest {
    record Outcome(int status, String out, String err) {}

    static Outcome fork(List<String> jvmArgs, String main, String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElseThrow());
        cmd.add("-ea");
        cmd.add("--add-opens");
        cmd.add("java.base/java.lang=ALL-UNNAMED");
        cmd.addAll(jvmArgs);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main);
        cmd.addAll(List.of(args));
        Path out = Files.createTempFile("weft-fork", ".out");
        Path err = Files.createTempFile("weft-fork", ".err");
        try {
            Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("forked JVM did not finish within 120 s: " + cmd + "\n"
                        + Files.readString(err, StandardCharsets.UTF_8));
            }
            return new Outcome(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
                    Files.readString(err, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static final List<String> SMALL_HEAP = List.of("-Xmx64m", "-Dweft.memory.softLimit=24m",
            "-Dweft.memory.leakDetection=off");

    private static void assertHogContained(Outcome o, String scenario, String kind) {
        assertThat(o.status()).as("exit status; stderr:\n" + o.err()).isZero();
        assertThat(o.out()).contains("RESULT " + scenario + " hog=" + kind + " cleanup=[allocated 65536 after holding ");
        assertThat(o.out()).contains("others=[500500, 2001000, 4501500]");
        assertThat(o.out()).contains("rootUsed=0");
        assertThat(o.err()).doesNotContain("Exception in thread");
    }

    @Test
    void hogReservingPastTheSoftLimitGetsTheErrorAndCleansUpWhileOthersFinish() throws Exception {
        Outcome o = fork(SMALL_HEAP, HogScenarios.class.getName(), "reservations");
        assertHogContained(o, "reservations", "SOFT_LIMIT");
    }

    @Test
    void leakingHogWithoutReservationsIsStoppedByTheWatchdog() throws Exception {
        Outcome o = fork(SMALL_HEAP, HogScenarios.class.getName(), "leak");
        assertHogContained(o, "leak", "HEAP");
        assertThat(o.out()).contains("raises=1", "rearmed=true");
    }

    @Test
    void hogWithoutCancellationPointsRunsOutOfHeapAndTheOutOfMemoryErrorIsContained() throws Exception {
        Outcome o = fork(SMALL_HEAP, HogScenarios.class.getName(), "tight");
        assertHogContained(o, "tight", "OUT_OF_MEMORY");
        assertThat(o.out()).contains("ooms=1", "rearmed=true");
    }

    @Test
    void softLimitRunExitsWithTheMemoryStatusAndAReportAfterFinallyRan() throws Exception {
        // the options weft run --soft-limit 24m --heap 64m gives the child (dev.weft.cli.SoftLimitSupport)
        List<String> jvm = List.of("-Xmx64m", "-Dweft.memory.softLimit=" + (24 << 20),
                "-D" + SoftLimitRun.PROPERTY_WATCHDOG + "=on", "-Dweft.memory.leakDetection=off");
        Outcome o = fork(jvm, SoftLimitRun.class.getName(), UnmodifiedProgram.class.getName());
        assertThat(o.status()).as("stderr:\n" + o.err()).isEqualTo(SoftLimitRun.EXIT_MEMORY);
        assertThat(o.out()).contains("finally ran after ");
        assertThat(o.err()).contains("weft: memory limit: task 'main'", "soft limit 24.0 MiB", "peak live heap after GC",
                "status 122");
        assertThat(o.err()).doesNotContain("Exception in thread");
    }
}
