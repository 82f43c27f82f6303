package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Blocking socket I/O in tasks on one loop: the JDK's poller wakes them through the loop's queue. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
class SocketTest {

    @Test
    void echoOverLoopbackOnOneLoop() throws Exception {
        String reply = Runs.oneLoop(() -> {
            try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                return TaskScope.run(scope -> {
                    scope.spawn("server", () -> {
                        try (Socket s = server.accept()) {
                            InputStream in = s.getInputStream();
                            OutputStream out = s.getOutputStream();
                            byte[] buf = new byte[5];
                            int n = in.readNBytes(buf, 0, 5);
                            out.write(("echo:" + new String(buf, 0, n)).getBytes());
                            out.flush();
                        }
                        return null;
                    });
                    try (Socket c = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                        c.getOutputStream().write("hello".getBytes());
                        c.getOutputStream().flush();
                        return new String(c.getInputStream().readNBytes(10));
                    }
                });
            }
        });
        assertThat(reply).isEqualTo("echo:hello");
    }

    @Test
    void taskBlockedInSocketReadIsCancelledAndCleansUp() throws Exception {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Runs.oneLoop(() -> {
            try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                Channel<String> connected = Channel.create(1);
                TaskScope.run(scope -> {
                    Task<Object> reader = scope.spawn("reader", () -> {
                        try (Socket c = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                            connected.send("ok");
                            c.getInputStream().read(); // the peer never writes
                            events.add("read returned (wrong)");
                        } finally {
                            events.add("reader cleanup");
                        }
                        return null;
                    });
                    try (Socket peer = server.accept()) {
                        connected.receive();
                        reader.cancel();
                        assertThat(reader.state()).isIn(TaskState.RUNNING, TaskState.CANCELLED);
                        try {
                            reader.join();
                        } catch (java.util.concurrent.CancellationException expected) {
                            events.add("reader ended cancelled");
                        }
                    }
                    return null;
                });
            }
            return null;
        });
        assertThat(events).containsExactly("reader cleanup", "reader ended cancelled");
    }
}
