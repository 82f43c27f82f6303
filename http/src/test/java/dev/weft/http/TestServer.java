package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.Weft;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A server in its own Weft runtime (two loops) on a platform thread, for tests that talk to it as clients do:
 * {@link HttpClient} and raw sockets. {@link #close()} shuts it down gracefully and waits for {@code serve} to
 * return, within a bound.
 */
final class TestServer implements AutoCloseable {
    /** The bound on any one wait in these tests: a hang fails the test, it is not a performance target. */
    static final long BOUND_SECONDS = 30;

    private final Thread thread;
    private final HttpServer server;
    private final CountDownLatch done;
    private final AtomicReference<Throwable> failure;
    final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(BOUND_SECONDS)).build();

    private TestServer(Thread thread, HttpServer server, CountDownLatch done, AtomicReference<Throwable> failure) {
        this.thread = thread;
        this.server = server;
        this.done = done;
        this.failure = failure;
    }

    static TestServer start(HttpServerConfig config, Router router) throws Exception {
        CountDownLatch bound = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<HttpServer> ref = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                Weft.run(Weft.options().loops(2).handleSigint(false).name("http-test"), () -> {
                    try (HttpServer s = HttpServer.bind(config, router)) {
                        ref.set(s);
                        bound.countDown();
                        s.serve();
                    }
                    return null;
                });
            } catch (Throwable e) {
                failure.set(e);
            } finally {
                bound.countDown();
                done.countDown();
            }
        }, "test-server");
        t.start();
        assertThat(bound.await(BOUND_SECONDS, TimeUnit.SECONDS)).as("server bound").isTrue();
        if (ref.get() == null) {
            throw new AssertionError("the server did not start", failure.get());
        }
        return new TestServer(t, ref.get(), done, failure);
    }

    HttpServer server() {
        return server;
    }

    int port() {
        return server.port();
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    HttpResponse<String> get(String pathAndQuery) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(uri(pathAndQuery)).timeout(Duration.ofSeconds(BOUND_SECONDS)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    Socket socket() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), port());
        s.setSoTimeout((int) TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
        return s;
    }

    /** Sends {@code request} on a new connection and returns everything the server sends until it closes. */
    String exchange(String request) throws IOException {
        try (Socket s = socket()) {
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return readToEnd(s.getInputStream());
        }
    }

    static String readToEnd(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        int n;
        try {
            while ((n = in.read(buf)) >= 0) {
                b.write(buf, 0, n);
            }
        } catch (java.net.SocketException reset) {
            // a reset after the response: what was read stands
        }
        return b.toString(StandardCharsets.ISO_8859_1);
    }

    /** Shuts down gracefully and waits for serve() to return and the runtime to stop. */
    @Override
    public void close() {
        server.shutdown();
        try {
            if (!done.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("the server did not stop within " + BOUND_SECONDS + " s after shutdown");
            }
            thread.join(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while the server stopped", e);
        }
        Throwable f = failure.get();
        if (f != null) {
            throw new AssertionError("the server's runtime failed", f);
        }
    }
}
