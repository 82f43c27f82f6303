package dev.weft.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code weft demo} as a user runs it, shortened: the launcher's JVM runs the command line, which starts the
 * server demo under {@code weft run} (the agent, a soft limit) in a child JVM. Needs the packaged agent and http
 * jars (runs after package; see cli/pom.xml).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DemoEndToEndCheck {
    @TempDir
    Path dir;

    /** The "requests by status" lines: status code to count. */
    private static Map<Integer, Long> statuses(String output) {
        Map<Integer, Long> m = new LinkedHashMap<>();
        String section = output.substring(output.indexOf("requests by status:"), output.indexOf("disconnected by the client"));
        Matcher s = Pattern.compile("(?m)^  (\\d{3})\\s+(\\d+)").matcher(section);
        while (s.find()) {
            m.put(Integer.parseInt(s.group(1)), Long.parseLong(s.group(2)));
        }
        return m;
    }

    private static long number(String output, String regex) {
        Matcher m = Pattern.compile(regex).matcher(output);
        assertThat(m.find()).as("the report has a line matching " + regex + ":\n" + output).isTrue();
        return Long.parseLong(m.group(1));
    }

    @Test
    void aShortDemoOverloadsTheServerAndReportsEverySectionRejectsAre503AndNoRequestHangs() throws Exception {
        Path plot = dir.resolve("plots").resolve("latency.svg");
        WeftRunProcess.Outcome o = WeftRunProcess.weft(dir, "demo", "--duration", "10s", "--plot", plot.toString());
        String out = o.output();
        assertThat(o.status()).as(out).isZero();
        assertThat(out).as(out).contains("memory plan 'http server'", "measuring what it admits", "offered",
                "requests by status:", "latency of admitted requests", "rejects:", "cancellations:",
                "memory: the server's plan", "heap: peak used", "slots and reservations after the run",
                "latency plot: " + plot.toAbsolutePath(), "Demo finished: no request hung");

        Map<Integer, Long> statuses = statuses(out);
        // under 3x overload admission refuses, always with 503; the rest are served, cut by the deadline, or 507
        assertThat(statuses.keySet()).as(out).isSubsetOf(200, 503, 504, 507).contains(200, 503);
        long rejected = number(out, "rejects: (\\d+) answered 503");
        assertThat(rejected).as(out).isEqualTo(statuses.get(503));
        assertThat(number(out, "answered 503, (\\d+) of them with Retry-After")).as(out).isEqualTo(rejected);
        assertThat(number(out, "no answer \\(hung\\)\\s+(\\d+)")).as(out).isZero();
        assertThat(number(out, "connection errors\\s+(\\d+)")).as(out).isZero();

        // the runaway /cpu requests were cancelled through the agent's compiled checks, and every cleanup ran
        long cancelled = number(out, "cancellations: (\\d+) handlers cancelled");
        long cleanups = number(out, "cleanups completed: (\\d+) handler finally blocks ran under cancellation");
        assertThat(cleanups).as(out).isPositive();
        assertThat(cancelled).as(out).isPositive();
        assertThat(out).contains("every cancelled handler's slot came back");
        assertThat(number(out, "cancelled, (\\d+) by the deadline")).as(out).isPositive();
        assertThat(number(out, "(\\d+) by a disconnect")).as(out).isPositive();
        assertThat(number(out, "(\\d+) bytes reserved by handlers")).as(out).isZero();
        assertThat(number(out, "slots and reservations after the run: (\\d+) of")).as(out).isEqualTo(16);
        assertThat(number(out, "(\\d+) connections open")).as(out).isZero();

        String svg = Files.readString(plot);
        assertThat(svg).startsWith("<svg").contains("<polyline", "admitted p99", "offered load").endsWith("</svg>\n");
    }

    @Test
    void sigtermStopsTheDemoGracefullyWithTheReportOfWhatRan() throws Exception {
        Path plot = dir.resolve("latency.svg");
        Process p = WeftRunProcess.startCommand(dir, "demo", "--duration", "60s", "--plot", plot.toString());
        Path outFile = dir.resolve("output.txt");
        long boundNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(WeftRunProcess.RUN_BOUND_SECONDS);
        while (!Files.readString(outFile).contains("offered")) { // the first progress line of the rising load
            assertThat(p.isAlive()).as(Files.readString(outFile)).isTrue();
            assertThat(System.nanoTime() - boundNs).as("no progress line: " + Files.readString(outFile)).isNegative();
            Thread.sleep(20); // polls the condition above (bounded); leaves the CPU to the demo
        }
        p.destroy(); // SIGTERM to weft run, which passes it on: the demo's root task is cancelled, as by Ctrl-C
        WeftRunProcess.Outcome o = WeftRunProcess.await(p, dir);
        assertThat(o.status()).as(o.output()).isEqualTo(ExitStatus.TERMINATED.code());
        assertThat(o.output()).contains("=== report (stopped early: cancelled by Ctrl-C or SIGTERM) ===",
                "requests by status:", "latency plot: ").doesNotContain("did not stop");
        assertThat(number(o.output(), "no answer \\(hung\\)\\s+(\\d+)")).isZero();
        assertThat(plot).isRegularFile();
    }
}
