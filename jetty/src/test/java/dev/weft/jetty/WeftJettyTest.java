package dev.weft.jetty;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Weft;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 60, unit = TimeUnit.SECONDS)
@SuppressWarnings("try") // JettyUnderWeft.close() declares InterruptedException
class WeftJettyTest {
    private static final long BOUND = JettyUnderWeft.BOUND_SECONDS;

    /** A handler whose body the test gives. */
    private interface Body {
        String handle(Request request) throws Exception;
    }

    private static Handler handler(Body body) {
        return new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String text = body.handle(request);
                response.setStatus(200);
                response.write(true, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        };
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                        .timeout(Duration.ofSeconds(BOUND)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime() - end).as(what + " within " + BOUND + " s").isNegative();
            Thread.sleep(5); // polls the condition (bounded); the server's release follows its answer
        }
    }

    @Test
    void withWeftsExecutorJettyRunsEachRequestInAWeftTaskWithNoHandOff() throws Exception {
        try (JettyUnderWeft s = new JettyUnderWeft(WeftJetty.Config.defaults(), true,
                handler(rq -> Weft.inTask() + " " + Weft.currentTaskName()))) {
            HttpResponse<String> r = get(s.port, "/");
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).startsWith("true jetty-request");
            assertThat(s.weft.statistics().handedOff()).isZero();
            assertThat(s.weft.statistics().admitted()).isEqualTo(1);
        }
    }

    @Test
    void withJettysOwnThreadsTheWrapperHandsEachRequestToTheSupervisingTask() throws Exception {
        try (JettyUnderWeft s = new JettyUnderWeft(WeftJetty.Config.defaults(), false,
                handler(rq -> Weft.inTask() + " " + Weft.currentTaskName()))) {
            HttpResponse<String> r = get(s.port, "/");
            assertThat(r.body()).startsWith("true jetty-request");
            assertThat(s.weft.statistics().handedOff()).isEqualTo(1);
        }
    }

    @Test
    void theDeadlineCancelsABlockingHandlerItsCleanupRunsAndTheClientGets504() throws Exception {
        CountDownLatch cleanup = new CountDownLatch(1);
        try (JettyUnderWeft s = new JettyUnderWeft(WeftJetty.Config.defaults()
                .withRequestTimeout(Duration.ofMillis(200)), true, handler(rq -> {
                    try {
                        Thread.sleep(TimeUnit.SECONDS.toMillis(600));
                        return "slept";
                    } finally {
                        cleanup.countDown();
                    }
                }))) {
            HttpResponse<String> r = get(s.port, "/");
            assertThat(r.statusCode()).isEqualTo(504);
            assertThat(r.body()).contains("deadline of 200 ms passed");
            assertThat(cleanup.await(BOUND, TimeUnit.SECONDS)).isTrue();
            assertThat(s.weft.statistics().deadlineExceeded()).isEqualTo(1);
            await(() -> s.weft.statistics().handlersBusy() == 0, "the slot returns");
        }
    }

    @Test
    void aFullServerAnswers503WithRetryAfterAndTheNextRequestIsServedOnceASlotIsFree() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (JettyUnderWeft s = new JettyUnderWeft(WeftJetty.Config.defaults().withHandlersMax(1)
                .withQueue(0, Duration.ZERO), true, handler(rq -> {
                    if (rq.getHttpURI().getPath().equals("/block")) {
                        entered.countDown();
                        release.await();
                    }
                    return "done";
                }))) {
            CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> {
                try {
                    return get(s.port, "/block");
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            assertThat(entered.await(BOUND, TimeUnit.SECONDS)).isTrue();
            HttpResponse<String> busy = get(s.port, "/other");
            assertThat(busy.statusCode()).isEqualTo(503);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
            release.countDown();
            assertThat(first.get(BOUND, TimeUnit.SECONDS).body()).isEqualTo("done");
            await(() -> s.weft.statistics().handlersBusy() == 0, "the slot returns");
            assertThat(get(s.port, "/other").body()).isEqualTo("done");
            assertThat(s.weft.statistics().rejected()).isEqualTo(1);
        }
    }

    @Test
    void aClientThatGoesAwayWhileItsBodyIsReadEndsTheHandlerAsADisconnectAndTheCleanupRuns()
            throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch cleanup = new CountDownLatch(1);
        try (JettyUnderWeft s = new JettyUnderWeft(WeftJetty.Config.defaults(), true, handler(rq -> {
            try (InputStream body = org.eclipse.jetty.io.Content.Source.asInputStream(rq)) {
                entered.countDown();
                while (body.read() >= 0) { // waits for the rest of the body, which never comes
                    continue;
                }
                return "read";
            } finally {
                cleanup.countDown();
            }
        }))) {
            try (Socket c = new Socket(InetAddress.getLoopbackAddress(), s.port)) {
                c.getOutputStream().write("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly ten b"
                        .getBytes(StandardCharsets.US_ASCII));
                c.getOutputStream().flush();
                assertThat(entered.await(BOUND, TimeUnit.SECONDS)).isTrue();
            } // the client goes away
            assertThat(cleanup.await(BOUND, TimeUnit.SECONDS)).as("the handler was cancelled").isTrue();
            await(() -> s.weft.statistics().disconnects() == 1, "the disconnect is counted");
            await(() -> s.weft.statistics().handlersBusy() == 0, "the slot returns");
            assertThat(s.weft.statistics().deadlineExceeded()).isZero();
        }
    }

    @Test
    void configurationOutOfRangeIsRefusedWithTheBounds() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WeftJetty.Config.defaults().withHandlersMax(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("handlersMax");
    }
}
