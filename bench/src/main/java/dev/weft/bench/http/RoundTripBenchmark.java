package dev.weft.bench.http;

import dev.weft.Weft;
import dev.weft.http.HttpServer;
import dev.weft.http.HttpServerConfig;
import dev.weft.http.Router;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One HTTP/1.1 request round trip on a kept-alive loopback connection, through a whole server in this JVM:
 * Weft's, or the anchors Jetty 12.1 on virtual threads and the JDK's server with a virtual thread per request, all
 * answering {@code GET /hello} with the same 6-byte body. Run with {@code -prof gc}: {@code gc.alloc.rate.norm}
 * is the bytes allocated per round trip by every thread of the JVM (the server's carriers, selectors and handler
 * threads, and the client, which reuses one direct buffer and parses the answer without allocating).
 *
 * <p>Run with {@code ./weft bench RoundTrip -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-preview",
        "-Xms512m", "-Xmx512m", "-XX:+AlwaysPreTouch", "-Dslf4j.provider=org.slf4j.helpers.NOP_FallbackServiceProvider"})
public class RoundTripBenchmark {
    static final byte[] BODY = "hello\n".getBytes(StandardCharsets.US_ASCII);

    @Param({"weft", "jetty", "jdk"})
    public String server;

    // JMH's setup, benchmark and teardown threads touch these one after the other (a single benchmark thread)
    private AutoCloseable running;
    private SocketChannel channel;
    private final ByteBuffer request = ByteBuffer.allocateDirect(64);
    private final ByteBuffer in = ByteBuffer.allocateDirect(16 * 1024);

    @Setup(Level.Trial)
    public void start() throws Exception {
        int port = switch (server) {
            case "weft" -> weft();
            case "jetty" -> jetty();
            case "jdk" -> jdk();
            default -> throw new IllegalArgumentException("server must be weft, jetty or jdk, got " + server);
        };
        request.put("GET /hello HTTP/1.1\r\nHost: b\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).flip();
        channel = SocketChannel.open(new InetSocketAddress(InetAddress.getLoopbackAddress(), port));
        channel.setOption(java.net.StandardSocketOptions.TCP_NODELAY, true);
        if (roundTrip() != 200) {
            throw new IllegalStateException(server + " did not answer 200");
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws Exception {
        channel.close();
        running.close();
    }

    /** Sends the request and reads the whole answer; returns its status. Allocates nothing. */
    @Benchmark
    public int roundTrip() throws IOException {
        request.rewind();
        while (request.hasRemaining()) {
            channel.write(request);
        }
        in.clear();
        int headEnd = -1;
        long contentLength = -1;
        while (true) {
            if (channel.read(in) < 0) {
                throw new IOException(server + " closed the connection");
            }
            if (headEnd < 0) {
                headEnd = find(in, 0, in.position());
                if (headEnd >= 0) {
                    contentLength = contentLength(in, headEnd);
                }
            }
            if (headEnd >= 0 && in.position() >= headEnd + 4 + contentLength) {
                return (in.get(9) - '0') * 100 + (in.get(10) - '0') * 10 + (in.get(11) - '0');
            }
        }
    }

    private static int find(ByteBuffer b, int from, int to) {
        for (int i = from; i + 3 < to; i++) {
            if (b.get(i) == '\r' && b.get(i + 1) == '\n' && b.get(i + 2) == '\r' && b.get(i + 3) == '\n') {
                return i;
            }
        }
        return -1;
    }

    /** The Content-Length value in the head (case-insensitive name), or 0. */
    private static long contentLength(ByteBuffer b, int headEnd) {
        byte[] name = {'c', 'o', 'n', 't', 'e', 'n', 't', '-', 'l', 'e', 'n', 'g', 't', 'h', ':'};
        outer:
        for (int i = 0; i + name.length < headEnd; i++) {
            for (int j = 0; j < name.length; j++) {
                if (Character.toLowerCase(b.get(i + j)) != name[j]) {
                    continue outer;
                }
            }
            long v = 0;
            for (int k = i + name.length; k < headEnd; k++) {
                byte c = b.get(k);
                if (c >= '0' && c <= '9') {
                    v = v * 10 + (c - '0');
                } else if (c == '\r') {
                    break;
                }
            }
            return v;
        }
        return 0;
    }

    // ---- the servers

    private int weft() throws Exception {
        CompletableFuture<HttpServer> bound = new CompletableFuture<>();
        Thread t = Thread.ofPlatform().name("weft-server").daemon().start(() -> {
            try {
                Weft.run(() -> {
                    Router router = Router.builder().get("/hello", (rq, rs) -> rs.body(BODY)).build();
                    try (HttpServer s = HttpServer.bind(HttpServerConfig.defaults().withPort(0), router)) {
                        bound.complete(s);
                        s.serve();
                    }
                    return null;
                });
            } catch (Throwable e) {
                bound.completeExceptionally(e);
            }
        });
        HttpServer s = bound.get(60, TimeUnit.SECONDS);
        running = () -> {
            s.shutdown();
            t.join(TimeUnit.SECONDS.toMillis(30));
        };
        return s.port();
    }

    private int jetty() throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        org.eclipse.jetty.server.Server s = new org.eclipse.jetty.server.Server(pool);
        ServerConnector c = new ServerConnector(s);
        c.setHost("127.0.0.1");
        s.addConnector(c);
        s.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(org.eclipse.jetty.server.Request rq, org.eclipse.jetty.server.Response rs,
                    Callback callback) {
                rs.setStatus(200);
                rs.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                rs.write(true, ByteBuffer.wrap(BODY), callback);
                return true;
            }
        });
        s.start();
        running = s::stop;
        return c.getLocalPort();
    }

    private int jdk() throws IOException {
        com.sun.net.httpserver.HttpServer s = com.sun.net.httpserver.HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
        var executor = Executors.newVirtualThreadPerTaskExecutor();
        s.setExecutor(executor);
        s.createContext("/hello", ex -> {
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, BODY.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(BODY);
            }
        });
        s.start();
        running = () -> {
            s.stop(0);
            executor.close();
        };
        return s.getAddress().getPort();
    }
}
