package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Graceful shutdown: no new connections, every request in flight answered, idle connections closed. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ShutdownTest {
    private static final long BOUND = TestServer.BOUND_SECONDS;

    @Test
    void shutdownWithRequestsInFlightLosesNone() throws Exception {
        int inFlight = 3;
        CountDownLatch started = new CountDownLatch(inFlight);
        CountDownLatch release = new CountDownLatch(1);
        Router router = Router.builder().get("/work", (rq, rs) -> {
            started.countDown();
            release.await();
            rs.body("finished " + rq.queryParam("i").orElseThrow());
        }).build();
        TestServer t = TestServer.start(HttpServerConfig.defaults(), router);
        int port = t.port();
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        try (Socket idle = t.socket()) { // an idle kept-alive connection: closed by the shutdown
            for (int i = 0; i < inFlight; i++) {
                responses.add(t.client.sendAsync(HttpRequest.newBuilder(t.uri("/work?i=" + i)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            assertThat(started.await(BOUND, TimeUnit.SECONDS)).isTrue();
            t.server().shutdown();
            assertThatThrownBy(() -> new Socket(InetAddress.getLoopbackAddress(), port).close())
                    .as("no new connections after shutdown").isInstanceOf(IOException.class);
            assertThat(idle.getInputStream().read()).as("the idle connection is closed").isEqualTo(-1);
            release.countDown();
            for (int i = 0; i < inFlight; i++) {
                HttpResponse<String> r = responses.get(i).get(BOUND, TimeUnit.SECONDS);
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body()).isEqualTo("finished " + i);
                assertThat(r.headers().firstValue("connection")).hasValue("close");
            }
        } finally {
            release.countDown();
            t.close(); // waits for serve() to return and the runtime to stop
        }
        assertThat(t.server().statistics().served()).isEqualTo(inFlight);
        assertThat(t.server().statistics().handlersBusy()).isZero();
    }

    @Test
    void aHardStopDuringTheWriteOfAnAnswerReturnsItsSlot() throws Exception {
        int bodyBytes = 8 << 20; // far more than the socket buffers hold: the write blocks on a client that never reads
        Router router = Router.builder().get("/big", (rq, rs) -> rs.body(new byte[bodyBytes])).build();
        HttpServerConfig config = HttpServerConfig.defaults().withHandlersMax(1).withConnectionsMax(4)
                .withResponseBytesMax(bodyBytes);
        java.util.concurrent.atomic.AtomicReference<HttpServer> ref = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<dev.weft.CancelScope> stop =
                new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicReference<ServerStatistics> after =
                new java.util.concurrent.atomic.AtomicReference<>();
        CountDownLatch bound = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                dev.weft.Weft.run(dev.weft.Weft.options().loops(2).handleSigint(false), () -> {
                    try (HttpServer s = HttpServer.bind(config, router)) {
                        dev.weft.CancelScope hard = dev.weft.CancelScope.create().name("hard stop");
                        ref.set(s);
                        stop.set(hard);
                        bound.countDown();
                        hard.run(s::serve); // cancelled from the test: serve() stops hard
                        after.set(s.statistics()); // serve() returned: every connection task has ended
                    }
                    return null;
                });
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                bound.countDown();
            }
        }, "hard-stop-server");
        t.start();
        assertThat(bound.await(BOUND, TimeUnit.SECONDS)).isTrue();
        HttpServer server = ref.get();
        assertThat(server).as("the server started: " + failure.get()).isNotNull();
        try (Socket client = new Socket()) {
            client.setReceiveBufferSize(4096);
            client.connect(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), server.port()));
            client.getOutputStream().write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().flush();
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND);
            while (server.statistics().served() == 0 && System.nanoTime() < end) { // counted just before the write
                Thread.onSpinWait();
            }
            assertThat(server.statistics().served()).as("the handler returned and its answer is being written")
                    .isEqualTo(1);
            stop.get().cancel();
            t.join(TimeUnit.SECONDS.toMillis(BOUND));
            assertThat(t.isAlive()).as("serve() returned after the hard stop").isFalse();
        }
        assertThat(after.get()).as("serve() returned; failure: " + failure.get()).isNotNull();
        assertThat(after.get().handlersBusy()).as("the slot of the answer cut by the stop came back: " + after.get())
                .isZero();
    }

    @Test
    void serveIsCalledOnce() throws Exception {
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), Router.builder().build())) {
            assertThat(t.get("/health").statusCode()).as("serve() runs").isEqualTo(200);
            dev.weft.Weft.run(dev.weft.Weft.options().loops(1).handleSigint(false), () -> {
                assertThatThrownBy(() -> t.server().serve()).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("twice");
                return null;
            });
            assertThatThrownBy(() -> t.server().serve()).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("outside a Weft task");
        }
    }
}
