package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Virtual threads a task did not spawn as Weft tasks (the program's own, the JDK's I/O pollers) stay off Weft loops. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class JdkThreadsTest {

    @Test
    void aVirtualThreadStartedInsideATaskRunsOnTheJdkSchedulerNotOnTheLoop() throws Exception {
        String carrier = Runs.oneLoop(() -> {
            CompletableFuture<String> seen = new CompletableFuture<>();
            Thread vt = Thread.ofVirtual().start(() -> seen.complete(Thread.currentThread().toString()));
            vt.join();
            return seen.get();
        });
        // VirtualThread.toString names the carrier: "VirtualThread[#n]/runnable@ForkJoinPool-1-worker-1"
        assertThat(carrier).doesNotContain("weft-loop").contains("ForkJoinPool");
    }

    @Test
    void socketIoInsideATaskLeavesNoPollerOnTheLoopForLaterRuntimes() throws Exception {
        // A fresh JVM, so the JDK's pollers are first created from inside a task.
        String java = ProcessHandle.current().info().command().orElseThrow();
        Process p = new ProcessBuilder(List.of(java, "--add-opens", "java.base/java.lang=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), PollerFixture.class.getName()))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(50, TimeUnit.SECONDS)).isTrue();
        assertThat(out).contains("runtime 1: echo:hi", "runtime 2: echo:hi", "runtime 3: echo:hi")
                .doesNotContain("is stopped").doesNotContain("handover");
        assertThat(p.exitValue()).as(out).isZero();
    }

    /** Three runtimes in turn, each doing loopback socket I/O in a task. */
    public static final class PollerFixture {
        private PollerFixture() {}

        public static void main(String[] args) throws Exception {
            for (int i = 1; i <= 3; i++) {
                String reply = Weft.run(Weft.options().loops(1).handleSigint(false), PollerFixture::echo);
                System.out.println("runtime " + i + ": " + reply);
            }
        }

        static String echo() throws IOException {
            try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                return TaskScope.run(scope -> {
                    scope.spawn("server", () -> {
                        try (Socket s = server.accept()) {
                            InputStream in = s.getInputStream();
                            OutputStream out = s.getOutputStream();
                            byte[] buf = in.readNBytes(2);
                            out.write(("echo:" + new String(buf, StandardCharsets.UTF_8)).getBytes(StandardCharsets.UTF_8));
                            out.flush();
                        }
                        return null;
                    });
                    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                        c.getOutputStream().write("hi".getBytes(StandardCharsets.UTF_8));
                        c.getOutputStream().flush();
                        return new String(c.getInputStream().readNBytes(7), StandardCharsets.UTF_8);
                    }
                });
            }
        }
    }
}
