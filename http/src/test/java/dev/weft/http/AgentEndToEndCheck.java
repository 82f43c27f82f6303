package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.agent.WeftAgent;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The example server in its own JVM with the packaged Weft agent: a CPU-bound handler with no checks of its own
 * ({@code /cpu}) is cancelled by its deadline and by its client's disconnect, and its {@code finally} runs. Runs
 * after package (the agent must be a jar); see http/pom.xml, execution {@code agent-end-to-end}.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AgentEndToEndCheck {
    private static final long BOUND = TestServer.BOUND_SECONDS;

    /** A child JVM running {@code example.http.ExampleServer} under the agent; stdout lines into a queue. */
    private static final class Child implements AutoCloseable {
        final Process process;
        final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
        final List<String> seen = new ArrayList<>();
        final int port;

        Child(String... serverArgs) throws Exception {
            Path agent = Path.of(WeftAgent.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            assertThat(agent.toString()).as("the packaged agent jar (run with mvn verify)").endsWith(".jar");
            String java = ProcessHandle.current().info().command().orElseThrow();
            List<String> cmd = new ArrayList<>(List.of(java, "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                    "-javaagent:" + agent, "-cp", System.getProperty("java.class.path"),
                    example.http.ExampleServer.class.getName(), "--port", "0"));
            cmd.addAll(List.of(serverArgs));
            process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            Thread pump = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                        StandardCharsets.UTF_8))) {
                    for (String l; (l = r.readLine()) != null; ) {
                        lines.add(l);
                    }
                } catch (IOException ignored) {
                    // the child ended
                }
            }, "child-output");
            pump.setDaemon(true);
            pump.start();
            Matcher m = Pattern.compile("listening on http://[^:]+:(\\d+)").matcher(awaitLine("listening on"));
            assertThat(m.find()).isTrue();
            port = Integer.parseInt(m.group(1));
        }

        /** The next line containing {@code text}, within the bound. */
        String awaitLine(String text) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND);
            while (System.nanoTime() < end) {
                String l = lines.poll(end - System.nanoTime(), TimeUnit.NANOSECONDS);
                if (l == null) {
                    break;
                }
                seen.add(l);
                if (l.contains(text)) {
                    return l;
                }
            }
            throw new AssertionError("the server never printed '" + text + "'; it printed:\n" + String.join("\n", seen));
        }

        @Override
        public void close() {
            process.destroy(); // SIGTERM: Weft cancels the root, the server stops hard
            try {
                if (!process.waitFor(BOUND, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        HttpClient c = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        return c.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(BOUND)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void theDeadlineCancelsACpuBoundHandlerWithNoChecksOfItsOwn() throws Exception {
        try (Child c = new Child("--deadline", "500ms")) {
            HttpResponse<String> r = get(c.port, "/cpu?ms=600000");
            assertThat(r.statusCode()).isEqualTo(504);
            assertThat(c.awaitLine("cpu: cleanup ran")).doesNotContain("client gone");
            assertThat(get(c.port, "/health").body()).contains("\"busy\":0", "\"deadlineExceeded\":1");
        }
    }

    @Test
    void aDisconnectCancelsACpuBoundHandlerAndItsCleanupRuns() throws Exception {
        try (Child c = new Child("--deadline", "10m")) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), c.port)) {
                s.getOutputStream().write("GET /cpu?ms=600000 HTTP/1.1\r\nHost: x\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                s.getOutputStream().flush();
                awaitBusy(c.port); // the handler spins
            } // the client goes away
            assertThat(c.awaitLine("cpu: cleanup ran")).contains("(client gone)");
            // the slot is released and the disconnect counted just after the cleanup prints its line
            awaitHealth(c.port, "\"busy\":0", "\"disconnects\":1");
        }
    }

    /** Until the health lane reports a busy handler (it answers while handlers spin: they are on another carrier). */
    private static void awaitBusy(int port) throws Exception {
        awaitHealth(port, "\"busy\":1");
    }

    /** Until the health lane's JSON contains every fragment, within the bound. */
    private static void awaitHealth(int port, String... fragments) throws Exception {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND);
        String body = "";
        while (System.nanoTime() < end) {
            body = get(port, "/health").body();
            boolean all = true;
            for (String f : fragments) {
                all &= body.contains(f);
            }
            if (all) {
                return;
            }
        }
        throw new AssertionError("the health lane did not report " + String.join(" and ", fragments) + " within "
                + BOUND + " s: " + body);
    }
}
