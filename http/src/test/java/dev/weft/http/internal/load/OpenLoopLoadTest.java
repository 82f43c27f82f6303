package dev.weft.http.internal.load;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The load generator against a scripted server: it parses kept-alive, closing, chunked and 503 answers in place,
 * counts each request once, and splits each admitted latency into the client's part and the server's.
 */
class OpenLoopLoadTest {
    private static final byte[] OK = ascii("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
    private static final byte[] BUSY = ascii("HTTP/1.1 503 Service Unavailable\r\nretry-after: 1\r\nCONTENT-LENGTH: 4"
            + "\r\n\r\nbusy");
    private static final byte[] CHUNKED = ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
            + "0\r\n\r\n");
    private static final byte[] CLOSING = ascii("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void everyRequestIsAnsweredOnceAndItsLatencyIsSplitIntoClientAndServer() throws Exception {
        try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread acceptor = Thread.ofVirtual().start(() -> accept(listener));
            OpenLoopLoad.Result r = new OpenLoopLoad(new OpenLoopLoad.Spec(
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort()),
                    List.of(new OpenLoopLoad.Kind("ok", "/ok", 2, -1), new OpenLoopLoad.Kind("busy", "/busy", 1, -1),
                            new OpenLoopLoad.Kind("chunked", "/chunked", 1, -1),
                            new OpenLoopLoad.Kind("closing", "/close", 1, -1)),
                    t -> 400, 500_000_000L, 50, 1000, 20_000_000_000L)).run();
            listener.close();
            acceptor.join();

            assertThat(r.due()).isEqualTo(200);
            assertThat(r.notSent()).isZero();
            assertThat(r.timedOut()).isZero();
            assertThat(r.errors()).isZero();
            assertThat(r.sent()).isEqualTo(200);
            assertThat(r.answered()).isEqualTo(200);
            // the smooth round robin gives each kind its exact share of 200: 80, 40, 40, 40
            assertThat(r.status(200)).isEqualTo(160);
            assertThat(r.status(503)).isEqualTo(40);
            assertThat(r.rejectedWithRetryAfter()).as("Retry-After read in any case").isEqualTo(40);
            assertThat(r.admitted().getTotalCount()).isEqualTo(160);
            assertThat(r.admittedFromSend().getTotalCount()).isEqualTo(160);
            assertThat(r.sendLag().getTotalCount()).isEqualTo(200);
            // the server's part never exceeds the whole
            assertThat(r.admittedFromSend().getMaxValue()).isLessThanOrEqualTo(r.admitted().getMaxValue());
            // every closing answer cost a connection: at least 40 were opened
            assertThat(r.connectionsOpened()).isGreaterThanOrEqualTo(40);
        }
    }

    @Test
    void headFieldsAreMatchedWithoutRegardToCase() {
        byte[] a = ascii("Content-Length: 12");
        assertThat(OpenLoopLoad.startsWithLower(a, 0, a.length, ascii("content-length:"))).isTrue();
        assertThat(OpenLoopLoad.startsWithLower(a, 0, 5, ascii("content-length:"))).as("too short").isFalse();
        assertThat(OpenLoopLoad.indexOf(ascii("ab\r\n\r\ncd"), 0, 8, ascii("\r\n\r\n"))).isEqualTo(2);
        assertThat(OpenLoopLoad.indexOf(ascii("ab\r\n\r\ncd"), 3, 8, ascii("\r\n\r\n"))).isEqualTo(-1);
    }

    /** Serves each connection on its own virtual thread until the listener closes. */
    private static void accept(ServerSocket listener) {
        while (true) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                return; // closed: the test is over
            }
            Thread.ofVirtual().start(() -> serve(s));
        }
    }

    private static void serve(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[4096];
            int have = 0;
            while (true) {
                int end = indexOf(buf, have);
                while (end < 0) {
                    int n = in.read(buf, have, buf.length - have);
                    if (n < 0) {
                        return;
                    }
                    have += n;
                    end = indexOf(buf, have);
                }
                String line = new String(buf, 0, end, StandardCharsets.US_ASCII);
                byte[] answer = line.startsWith("GET /busy") ? BUSY : line.startsWith("GET /chunked") ? CHUNKED
                        : line.startsWith("GET /close") ? CLOSING : OK;
                out.write(answer);
                out.flush();
                if (answer == CLOSING) {
                    return;
                }
                System.arraycopy(buf, end + 4, buf, 0, have - end - 4);
                have -= end + 4;
            }
        } catch (IOException e) {
            // the generator closed the connection at its end
        }
    }

    private static int indexOf(byte[] b, int to) {
        for (int i = 0; i + 4 <= to; i++) {
            if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
                return i;
            }
        }
        return -1;
    }
}
