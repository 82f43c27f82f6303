package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The exchange as the connection and its handler task share it: the handler task writes the answer while the
 * connection task reads on; the read in progress becomes the wait for the next request, bounded by the idle
 * timeout (the server's timeout sweep), and a close after the answer is no disconnect.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExchangeTest {
    private static final long BOUND = TestServer.BOUND_SECONDS;

    private static Router router() {
        return Router.builder().get("/ok", (rq, rs) -> rs.body("ok")).build();
    }

    /** Reads one response with a Content-Length body from {@code in}, without waiting for the connection's end. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int length = -1;
        int headEnd = -1;
        while (headEnd < 0 || b.size() < headEnd + length) {
            int c = in.read();
            if (c < 0) {
                throw new IOException("the connection ended inside a response: " + b);
            }
            b.write(c);
            String s = b.toString(StandardCharsets.ISO_8859_1);
            if (headEnd < 0 && s.endsWith("\r\n\r\n")) {
                headEnd = s.length();
                var m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(s);
                assertThat(m.find()).as("a Content-Length in " + s).isTrue();
                length = Integer.parseInt(m.group(1));
            }
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    @Test
    void answersOfTheSameLengthOnOneConnectionEachCarryTheirOwnStatusAndFields() throws Exception {
        Router r = Router.builder().get("/v", (rq, rs) -> {
            String v = rq.queryParam("v").orElse("a");
            rs.header("X-V", v).status(v.equals("c") ? 201 : 200).body("ok");
        }).build();
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), r); Socket s = t.socket()) {
            InputStream in = s.getInputStream();
            // the writer reuses the last answer's metadata when nothing differs: each change must show
            String[][] cases = {{"a", "200"}, {"a", "200"}, {"b", "200"}, {"c", "201"}, {"a", "200"}};
            for (String[] c : cases) {
                s.getOutputStream().write(("GET /v?v=" + c[0] + " HTTP/1.1\r\nHost: x\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                String answer = readResponse(in);
                assertThat(answer).as("answer to v=" + c[0]).startsWith("HTTP/1.1 " + c[1] + " ")
                        .containsIgnoringCase("X-V: " + c[0] + "\r\n").endsWith("\r\n\r\nok");
            }
        }
    }

    @Test
    void aKeptAliveConnectionServesRequestAfterRequestAndIsClosedAtTheIdleTimeoutAfterTheLastAnswer() throws Exception {
        HttpServerConfig config = HttpServerConfig.defaults().withClientTimeouts(Duration.ofSeconds(BOUND),
                Duration.ofSeconds(BOUND), Duration.ofMillis(300));
        try (TestServer t = TestServer.start(config, router()); Socket s = t.socket()) {
            InputStream in = s.getInputStream();
            for (int i = 0; i < 3; i++) {
                s.getOutputStream().write("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(readResponse(in)).startsWith("HTTP/1.1 200 ").endsWith("\r\n\r\nok");
            }
            // no more requests: the wait for the next one ends at the idle timeout, and the server closes
            assertThat(in.read()).as("the server closed the idle connection").isEqualTo(-1);
            assertThat(t.server().statistics().connectionsAccepted()).isEqualTo(1);
            assertThat(t.server().statistics().served()).isEqualTo(3);
        }
    }

    @Test
    void aClientThatClosesAfterItsAnswerIsNoDisconnect() throws Exception {
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), router())) {
            try (Socket s = t.socket()) {
                s.getOutputStream().write("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(readResponse(s.getInputStream())).endsWith("\r\n\r\nok");
            } // the client goes away while the connection task waits for its next request
            assertThat(t.get("/ok").body()).isEqualTo("ok");
            ServerStatistics st = t.server().statistics();
            assertThat(st.disconnects()).isZero();
            assertThat(st.cancelled()).isZero();
            assertThat(st.served()).isEqualTo(2);
        }
    }

    @Test
    void aDisconnectCancelsAHandlerOnTheConnectionsOwnLoop() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch cleaned = new CountDownLatch(1);
        List<String> seen = new CopyOnWriteArrayList<>();
        Router router = Router.builder()
                .get("/block", (rq, rs) -> {
                    started.countDown();
                    try {
                        Thread.sleep(TimeUnit.SECONDS.toMillis(600));
                    } finally {
                        seen.add("cleanup, client gone: " + rq.clientGone());
                        cleaned.countDown();
                    }
                })
                .get("/ok", (rq, rs) -> rs.body("ok"))
                .build();
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(1).withQueue(1, Duration.ofSeconds(BOUND))
                .withHandlersOnConnectionLoop(true);
        try (TestServer t = TestServer.start(config, router)) {
            try (Socket s = t.socket()) {
                s.getOutputStream().write("GET /block HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(started.await(BOUND, TimeUnit.SECONDS)).isTrue();
            }
            assertThat(cleaned.await(BOUND, TimeUnit.SECONDS)).as("the handler's cleanup ran").isTrue();
            assertThat(seen).containsExactly("cleanup, client gone: true");
            assertThat(t.get("/ok").body()).isEqualTo("ok");
            assertThat(t.server().statistics().disconnects()).isEqualTo(1);
            assertThat(t.server().statistics().handlerReservedBytes()).isZero();
        }
    }

    @Test
    void pipelinedRequestsBehindABlockedHandlerWaitForItsAnswerAndComeInOrder() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch started = new CountDownLatch(1);
        Router router = Router.builder()
                .get("/first", (rq, rs) -> {
                    started.countDown();
                    assertThat(release.await(BOUND, TimeUnit.SECONDS)).isTrue();
                    rs.body("first");
                })
                .get("/ok", (rq, rs) -> rs.body("ok"))
                .build();
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), router); Socket s = t.socket()) {
            s.getOutputStream().write(("GET /first HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            assertThat(started.await(BOUND, TimeUnit.SECONDS)).isTrue();
            // the second request is read while the first is handled; it is not a disconnect and waits its turn
            s.getOutputStream().write("GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
                    .getBytes(StandardCharsets.US_ASCII));
            release.countDown();
            String out = TestServer.readToEnd(s.getInputStream());
            assertThat(out.indexOf("\r\n\r\nfirst")).as(out).isPositive().isLessThan(out.indexOf("\r\n\r\nok"));
            assertThat(out.split("HTTP/1.1 200 ", -1)).as(out).hasSize(4);
            assertThat(t.server().statistics().disconnects()).isZero();
        }
    }
}
