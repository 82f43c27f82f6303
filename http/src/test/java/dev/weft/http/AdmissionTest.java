package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Overload: a bounded wait for a handler slot, then 503 with Retry-After; the health lane never waits. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdmissionTest {
    private static final long BOUND = TestServer.BOUND_SECONDS;

    @Test
    void overloadGets503WithRetryAfterAndNeverHangs() throws Exception {
        CountDownLatch started = new CountDownLatch(2);
        CountDownLatch release = new CountDownLatch(1);
        Router router = Router.builder().get("/hold", (rq, rs) -> {
            started.countDown();
            release.await();
            rs.body("done");
        }).build();
        // 2 slots, 1 waiter for at most 30 s: two requests hold the slots, one waits, the rest are refused
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(2).withQueue(1, Duration.ofSeconds(BOUND))
                .withRequestTimeout(Duration.ofSeconds(BOUND));
        try (TestServer t = TestServer.start(config, router)) {
            List<CompletableFuture<HttpResponse<String>>> holders = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                holders.add(t.client.sendAsync(HttpRequest.newBuilder(t.uri("/hold")).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            assertThat(started.await(BOUND, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<HttpResponse<String>> waiter = t.client.sendAsync(HttpRequest.newBuilder(t.uri("/hold"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            awaitQueued(t, 1);
            HttpResponse<String> refused = t.get("/hold");
            assertThat(refused.statusCode()).isEqualTo(503);
            assertThat(refused.headers().firstValue("retry-after")).isPresent();
            long retry = Long.parseLong(refused.headers().firstValue("retry-after").orElseThrow());
            assertThat(retry).isBetween(1L, 3600L);
            assertThat(refused.body()).contains("all 2 handlers are in use");
            // the health lane answers while every slot is busy and the line is full
            HttpResponse<String> health = t.get("/health");
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(health.body()).contains("\"limit\":2", "\"busy\":2", "\"queued\":1", "\"rejected\":1");
            release.countDown();
            for (var h : holders) {
                assertThat(h.get(BOUND, TimeUnit.SECONDS).body()).isEqualTo("done");
            }
            assertThat(waiter.get(BOUND, TimeUnit.SECONDS).body()).as("the waiter got a slot").isEqualTo("done");
            assertThat(t.server().statistics().rejected()).isEqualTo(1);
        }
    }

    @Test
    void aWaiterIsRefusedWhenItsQueueTimeoutPasses() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Router router = Router.builder().get("/hold", (rq, rs) -> {
            started.countDown();
            release.await();
        }).build();
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(1).withQueue(4, Duration.ofMillis(50))
                .withRequestTimeout(Duration.ofSeconds(BOUND));
        try (TestServer t = TestServer.start(config, router)) {
            var holder = t.client.sendAsync(HttpRequest.newBuilder(t.uri("/hold")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(started.await(BOUND, TimeUnit.SECONDS)).isTrue();
            HttpResponse<String> r = t.get("/hold");
            assertThat(r.statusCode()).isEqualTo(503);
            assertThat(r.headers().firstValue("retry-after")).isPresent();
            release.countDown();
            assertThat(holder.get(BOUND, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void withNoWaitingLineASecondRequestIsRefusedAtOnce() throws Exception {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Router router = Router.builder().get("/hold", (rq, rs) -> {
            started.countDown();
            release.await();
        }).build();
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(1).withQueue(0, Duration.ZERO)
                .withRequestTimeout(Duration.ofSeconds(BOUND));
        try (TestServer t = TestServer.start(config, router)) {
            var holder = t.client.sendAsync(HttpRequest.newBuilder(t.uri("/hold")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(started.await(BOUND, TimeUnit.SECONDS)).isTrue();
            // a kept-alive connection: the refusal leaves it open for the next request
            String out = t.exchange("GET /hold HTTP/1.1\r\nHost: x\r\n\r\nGET /health HTTP/1.1\r\nHost: x\r\n"
                    + "Connection: close\r\n\r\n");
            assertThat(out).startsWith("HTTP/1.1 503 ").contains("Retry-After: ").contains("HTTP/1.1 200 ")
                    .contains("\"rejected\":1");
            release.countDown();
            assertThat(holder.get(BOUND, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
    }

    @Test
    void aConnectionBeyondConnectionsMaxGets503AndIsClosed() throws Exception {
        HttpServerConfig config = HttpServerConfig.defaults().withConnectionsMax(1);
        Router router = Router.builder().get("/x", (rq, rs) -> rs.body("x")).build();
        try (TestServer t = TestServer.start(config, router); var first = t.socket()) {
            first.getOutputStream().write("GET /x HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
            byte[] buf = new byte[256];
            assertThat(first.getInputStream().read(buf)).isPositive(); // the first connection holds the only slot
            String out = t.exchange("GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
            assertThat(out).startsWith("HTTP/1.1 503 ").contains("Retry-After: 1", "Connection: close",
                    "connection slots are in use");
            assertThat(t.server().statistics().connectionsRefused()).isEqualTo(1);
        }
    }

    /** Waits until the server reports {@code n} queued requests: the waiter is inside admission. */
    private static void awaitQueued(TestServer t, int n) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND);
        while (t.server().statistics().queued() < n) {
            if (System.nanoTime() > end) {
                throw new AssertionError("no request queued within " + BOUND + " s: " + t.server().statistics());
            }
            Thread.onSpinWait();
            Thread.yield();
        }
    }
}
