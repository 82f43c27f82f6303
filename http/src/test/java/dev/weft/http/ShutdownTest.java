package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
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
