package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Deadlines and disconnects cancel the running handler; its cleanup runs and its slot returns. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class CancellationTest {
    private static final long BOUND = TestServer.BOUND_SECONDS;

    @Test
    void theDeadlineCancelsABlockingHandlerWhoseCleanupRunsAndTheClientGets504() throws Exception {
        List<String> log = new CopyOnWriteArrayList<>();
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(1)
                .withQueue(1, Duration.ofSeconds(BOUND)).withRequestTimeout(Duration.ofMillis(300));
        try (TestServer t = TestServer.start(config, example.http.ExampleServer.router(log::add))) {
            HttpResponse<String> r = t.get("/sleep?ms=600000");
            assertThat(r.statusCode()).isEqualTo(504);
            assertThat(r.body()).contains("deadline of 300 ms exceeded", "cleanup ran");
            assertThat(log).containsExactly("sleep: cleanup ran");
            assertThat(t.server().statistics().handlersBusy()).as("the slot returned before the 504 was sent").isZero();
            assertThat(t.server().statistics().deadlineExceeded()).isEqualTo(1);
            // the one slot serves the next request
            assertThat(t.get("/sleep?ms=1").statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aDeadlineThatPassedWhileQueuedCancelsBeforeTheHandlerDoesAnything() throws Exception {
        CountDownLatch holding = new CountDownLatch(1);
        List<String> ran = new CopyOnWriteArrayList<>();
        Router router = Router.builder()
                .get("/hold", (rq, rs) -> {
                    holding.countDown();
                    // holds the only slot for 2 s, hidden from its own 200 ms deadline
                    dev.weft.CancelScope.shielded(Duration.ofSeconds(BOUND), () -> dev.weft.Weft.sleep(Duration.ofSeconds(2)));
                    rs.body("held");
                })
                .get("/work", (rq, rs) -> {
                    dev.weft.Cancellation.checkpoint();
                    ran.add("work");
                })
                .build();
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(1)
                .withQueue(1, Duration.ofSeconds(BOUND)).withRequestTimeout(Duration.ofMillis(200));
        try (TestServer t = TestServer.start(config, router)) {
            var hold = t.client.sendAsync(java.net.http.HttpRequest.newBuilder(t.uri("/hold")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(holding.await(BOUND, TimeUnit.SECONDS)).isTrue();
            var work = t.client.sendAsync(java.net.http.HttpRequest.newBuilder(t.uri("/work")).build(),
                    HttpResponse.BodyHandlers.ofString());
            // /hold finishes (no cancellation point after its shield: it answers), then /work, whose deadline
            // passed while it waited, gets its 504 at its first cancellation point
            assertThat(hold.get(BOUND, TimeUnit.SECONDS).body()).isEqualTo("held");
            HttpResponse<String> w = work.get(BOUND, TimeUnit.SECONDS);
            assertThat(w.statusCode()).isEqualTo(504);
            assertThat(ran).isEmpty();
        }
    }

    @Test
    void aClientThatDisconnectsCancelsItsBlockingHandlerAndTheSlotServesTheNextRequest() throws Exception {
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
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(1).withQueue(1, Duration.ofSeconds(BOUND));
        try (TestServer t = TestServer.start(config, router)) {
            try (Socket s = t.socket()) {
                s.getOutputStream().write("GET /block HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                assertThat(started.await(BOUND, TimeUnit.SECONDS)).isTrue();
            } // the client goes away
            assertThat(cleaned.await(BOUND, TimeUnit.SECONDS)).as("the handler's cleanup ran").isTrue();
            assertThat(seen).containsExactly("cleanup, client gone: true");
            HttpResponse<String> next = t.get("/ok"); // waits in the queue until the slot returns
            assertThat(next.body()).isEqualTo("ok");
            ServerStatistics st = t.server().statistics();
            assertThat(st.disconnects()).isEqualTo(1);
            assertThat(st.cancelled()).isEqualTo(1);
            assertThat(st.handlerReservedBytes()).isZero();
        }
    }

    @Test
    void aPipelinedRequestAfterTheOneBeingHandledIsNotMistakenForADisconnect() throws Exception {
        Router router = Router.builder().get("/slow", (rq, rs) -> {
            Thread.sleep(50);
            rs.body("slow");
        }).build();
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), router)) {
            try (Socket s = t.socket()) {
                s.getOutputStream().write(("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
                        + "GET /slow HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                InputStream in = s.getInputStream();
                String out = TestServer.readToEnd(in);
                assertThat(out.split("HTTP/1.1 200 ", -1)).as(out).hasSize(3);
            }
            assertThat(t.server().statistics().disconnects()).isZero();
        }
    }
}
