package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Malformed and hostile requests get the right 4xx and a closed connection, and never cost a handler slot: the
 * server has one slot, which a request holds throughout each test, and the refusals still come.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MalformedRequestTest {
    private static final HttpServerConfig CONFIG = HttpServerConfig.defaults().withHandlersMax(1)
            .withQueue(0, Duration.ZERO).withHeaderLimits(1024, 8).withBodyBytesMax(64)
            .withClientTimeouts(Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(60));

    private static Router router() {
        return Router.builder()
                .post("/echo", (rq, rs) -> rs.body(rq.bodyText()))
                .get("/ok", (rq, rs) -> rs.body("ok"))
                .build();
    }

    private static String statusLine(String response) {
        int end = response.indexOf("\r\n");
        return end < 0 ? response : response.substring(0, end);
    }

    private static String assertRefused(TestServer t, String request, int status) throws Exception {
        String out = t.exchange(request); // returns when the server closed the connection
        assertThat(statusLine(out)).as(out).startsWith("HTTP/1.1 " + status + " ");
        assertThat(out).contains("Connection: close");
        assertThat(t.server().statistics().handlersBusy()).as("no handler slot taken").isZero();
        return out;
    }

    @Test
    void aBadRequestLineIs400() throws Exception {
        try (TestServer t = TestServer.start(CONFIG, router())) {
            assertRefused(t, "GARBAGE\r\n\r\n", 400);
            assertRefused(t, "GET /ok HTTP/9.9\r\nHost: x\r\n\r\n", 505);
            assertThat(t.get("/ok").body()).isEqualTo("ok");
        }
    }

    @Test
    void anOversizeHeadIs431TooManyFieldsIs431AndAnOversizeRequestLineIs414() throws Exception {
        try (TestServer t = TestServer.start(CONFIG, router())) {
            assertThat(assertRefused(t, "GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(2000) + "\r\n\r\n", 431))
                    .as("the body names the limit and the fix").contains("headerBytesMax (1024 bytes)")
                    .contains("withHeaderLimits").doesNotContain("null");
            StringBuilder many = new StringBuilder("GET /ok HTTP/1.1\r\nHost: x\r\n");
            for (int i = 0; i < 12; i++) {
                many.append("X-F").append(i).append(": v\r\n");
            }
            assertRefused(t, many.append("\r\n").toString(), 431);
            assertThat(assertRefused(t, "GET /" + "a".repeat(2000) + " HTTP/1.1\r\nHost: x\r\n\r\n", 414))
                    .contains("request line exceeds headerBytesMax (1024 bytes)").doesNotContain("null");
            assertThat(t.server().statistics().badRequests()).isEqualTo(3);
        }
    }

    @Test
    void aBadChunkSizeIs400() throws Exception {
        try (TestServer t = TestServer.start(CONFIG, router())) {
            assertRefused(t, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
                    400);
            assertThat(t.get("/ok").body()).as("the slot was returned").isEqualTo("ok");
        }
    }

    @Test
    void contentLengthWithTransferEncodingIsRefusedAsSmuggling() throws Exception {
        try (TestServer t = TestServer.start(CONFIG, router())) {
            assertRefused(t, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "0\r\n\r\nGET /ok HTTP/1.1\r\nHost: x\r\n\r\n", 400);
            assertThat(t.server().statistics().served()).as("the smuggled request never ran").isZero();
        }
    }

    @Test
    void aBodyOverTheLimitIs413WhetherDeclaredOrChunked() throws Exception {
        try (TestServer t = TestServer.start(CONFIG, router())) {
            assertRefused(t, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", 413);
            String chunk = "a".repeat(50);
            assertRefused(t, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n32\r\n" + chunk
                    + "\r\n32\r\n" + chunk + "\r\n0\r\n\r\n", 413);
            assertThat(t.get("/ok").body()).isEqualTo("ok");
        }
    }

    @Test
    void aSlowlorisHeadIsCutOffWith408WhileTheSlotServesOthers() throws Exception {
        try (TestServer t = TestServer.start(CONFIG, router()); Socket slow = t.socket()) {
            slow.getOutputStream().write("GET /ok HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII));
            slow.getOutputStream().flush(); // and never the end of the head
            assertThat(t.get("/ok").body()).as("the slow client holds no slot").isEqualTo("ok");
            InputStream in = slow.getInputStream();
            String out = TestServer.readToEnd(in); // the server answers at the header timeout and closes
            assertThat(statusLine(out)).isEqualTo("HTTP/1.1 408 Request Timeout");
            assertThat(t.server().statistics().slowClients()).isEqualTo(1);
        }
    }

    @Test
    void aTricklingBodyHoldsNoSlotWhileItTrickles() throws Exception {
        try (TestServer t = TestServer.start(CONFIG, router()); Socket slow = t.socket()) {
            slow.getOutputStream().write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"
                    .getBytes(StandardCharsets.US_ASCII));
            slow.getOutputStream().flush(); // and never the other 7 bytes
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(TestServer.BOUND_SECONDS);
            while (t.server().statistics().requests() == 0 && System.nanoTime() < end) {
                Thread.onSpinWait(); // until the server has the head
            }
            assertThat(t.get("/ok").body()).as("the one slot serves others while the body trickles").isEqualTo("ok");
            String out = TestServer.readToEnd(slow.getInputStream());
            assertThat(statusLine(out)).as(out).isEqualTo("HTTP/1.1 408 Request Timeout");
            assertThat(t.server().statistics().slowClients()).isEqualTo(1);
            assertThat(t.server().statistics().rejected()).as("nobody was refused for want of a slot").isZero();
        }
    }

    @Test
    void aSlowBodyIsCutOffWith408AndTheSlotReturns() throws Exception {
        try (TestServer t = TestServer.start(CONFIG, router()); Socket slow = t.socket()) {
            slow.getOutputStream().write("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc"
                    .getBytes(StandardCharsets.US_ASCII));
            slow.getOutputStream().flush();
            String out = TestServer.readToEnd(slow.getInputStream());
            assertThat(statusLine(out)).isEqualTo("HTTP/1.1 408 Request Timeout");
            assertThat(t.get("/ok").body()).isEqualTo("ok");
        }
    }
}
