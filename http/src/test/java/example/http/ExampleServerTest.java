package example.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.CancelScope;
import dev.weft.Weft;
import dev.weft.http.HttpServer;
import dev.weft.http.HttpServerConfig;
import dev.weft.http.Router;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** {@code weft serve}'s program: its command line, and a stop (Ctrl-C, SIGTERM) that answers what is in flight. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ExampleServerTest {
    private static final long BOUND_SECONDS = 30;

    @Test
    void badValuesAreNamedWithTheirOptionAndTheFix() {
        assertThatThrownBy(() -> ExampleServer.parse(new String[] {"--port", "abc"}))
                .hasMessage("--port 'abc' is not a whole number; write e.g. --port 8080");
        assertThatThrownBy(() -> ExampleServer.parse(new String[] {"--handlers", "x"}))
                .hasMessageStartingWith("--handlers 'x' is not a whole number");
        assertThatThrownBy(() -> ExampleServer.parse(new String[] {"--deadline", "-2s"}))
                .hasMessageStartingWith("--deadline -2s: requestTimeout must be positive");
        assertThatThrownBy(() -> ExampleServer.parse(new String[] {"--handlers", "0"}))
                .hasMessageStartingWith("--handlers 0: handlersMax must be between 1 and");
        assertThatThrownBy(() -> ExampleServer.parse(new String[] {"--port"})).hasMessage("--port needs a value");
        assertThat(ExampleServer.parse(new String[] {"--port", "0", "--handlers", "3", "--deadline", "2s"}).config())
                .satisfies(c -> {
                    assertThat(c.handlersMax()).isEqualTo(3);
                    assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(2));
                });
    }

    @Test
    void aStopAnswersEveryRequestInFlightBeforeItEnds() throws Exception {
        int inFlight = 3;
        CountDownLatch started = new CountDownLatch(inFlight);
        CountDownLatch release = new CountDownLatch(1);
        Router router = Router.builder().get("/work", (rq, rs) -> {
            started.countDown();
            release.await();
            rs.body("finished " + rq.queryParam("i").orElseThrow());
        }).build();
        HttpServerConfig config = HttpServerConfig.defaults().withRequestTimeout(Duration.ofSeconds(BOUND_SECONDS));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        AtomicReference<HttpServer> server = new AtomicReference<>();
        AtomicReference<CancelScope> stop = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch bound = new CountDownLatch(1);
        Thread t = new Thread(() -> {
            try {
                Weft.run(Weft.options().loops(2).handleSigint(false), () -> {
                    try (HttpServer s = HttpServer.bind(config, router)) {
                        CancelScope ctrlC = CancelScope.create().name("Ctrl-C");
                        server.set(s);
                        stop.set(ctrlC);
                        bound.countDown();
                        ctrlC.run(() -> ExampleServer.serveUntilStopped(s, out)); // its Cancelled ends here
                    }
                    return null;
                });
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                bound.countDown();
            }
        }, "example-server");
        t.start();
        assertThat(bound.await(BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
        assertThat(server.get()).as("bound: " + failure.get()).isNotNull();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        try {
            for (int i = 0; i < inFlight; i++) {
                responses.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                        + server.get().port() + "/work?i=" + i)).timeout(Duration.ofSeconds(BOUND_SECONDS)).build(),
                        HttpResponse.BodyHandlers.ofString()));
            }
            assertThat(started.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("every request is in its handler").isTrue();
            stop.get().cancel(); // what weft run does at Ctrl-C or SIGTERM: cancel the program's task
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(BOUND_SECONDS);
            while (!bytes.toString(StandardCharsets.UTF_8).contains("stopping") && System.nanoTime() < end) {
                Thread.onSpinWait(); // until the stop has reached the program
            }
            assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("weft serve: stopping");
            release.countDown();
            for (int i = 0; i < inFlight; i++) {
                HttpResponse<String> r = responses.get(i).get(BOUND_SECONDS, TimeUnit.SECONDS);
                assertThat(r.statusCode()).as("request %d in flight at the stop is answered", i).isEqualTo(200);
                assertThat(r.body()).isEqualTo("finished " + i);
                assertThat(r.headers().firstValue("connection")).hasValue("close");
            }
        } finally {
            release.countDown();
            t.join(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
        }
        assertThat(t.isAlive()).as("the program ended after the stop").isFalse();
        assertThat(failure.get()).isNull();
        assertThat(server.get().statistics().served()).isEqualTo(inFlight);
    }
}
