package dev.weft.bench.http;

import com.sun.net.httpserver.HttpExchange;
import dev.weft.Weft;
import dev.weft.http.HttpServer;
import dev.weft.http.HttpServerConfig;
import dev.weft.http.Request;
import dev.weft.http.Response;
import dev.weft.http.Router;
import example.bench.BenchHandlers;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * One server of the cross-server benchmark, in its own JVM ({@link HttpBench} starts it): Weft's, Jetty 12.1 with
 * virtual threads, Helidon SE 4.5 (its own virtual thread per connection), or the JDK's
 * {@code com.sun.net.httpserver} with a virtual-thread-per-task executor, all serving
 * {@link BenchHandlers} on loopback: {@code /hello}, {@code /cpu?ms=N}, {@code /sleep?ms=N}, and two side
 * endpoints for the runner: {@code /bench-heap} (peak heap used, and the most in use just after a collection, since the last
 * reset, sampled every 10 ms) and {@code /bench-unwind} (Weft only: how long cancelled spins took to reach their
 * {@code finally}). Prints {@code listening PORT} when ready.
 *
 * <p>Usage: {@code BenchServer weft|jetty|helidon|jdk} (Helidon needs {@code target/helidon-lib/*} on the class
 * path). Weft's deadline for a {@code /cpu} request can be shortened with
 * {@code deadlineMs=N} (the handler sets its request's cancel scope's deadline), and a client that will close its
 * connection at {@code closeAtNs=T} lets the handler measure the disconnect's unwind from T.
 */
public final class BenchServer {
    private BenchServer() {}

    /** Peak heap used since the last reset; written by the sampler, reset by a request. */
    private static final AtomicLong PEAK_USED = new AtomicLong();
    /** The most heap in use just after a collection since the last reset (live data plus what the GC kept). */
    private static final AtomicLong PEAK_LIVE = new AtomicLong();

    public static void main(String[] args) throws Exception {
        System.setProperty("slf4j.provider", "org.slf4j.helpers.NOP_FallbackServiceProvider");
        System.setProperty("slf4j.internal.verbosity", "WARN");
        Thread.ofPlatform().daemon().name("heap-sampler").start(BenchServer::sample);
        switch (args.length == 1 ? args[0] : "") {
            case "weft" -> weft();
            case "jetty" -> jetty();
            case "jdk" -> jdk();
            case "helidon" -> helidon();
            default -> {
                System.err.println("usage: BenchServer weft|jetty|helidon|jdk");
                System.exit(2);
            }
        }
    }

    private static void sample() {
        var memory = ManagementFactory.getMemoryMXBean();
        java.util.Set<String> heapPoolNames = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).map(MemoryPoolMXBean::getName)
                .collect(java.util.stream.Collectors.toSet());
        List<com.sun.management.GarbageCollectorMXBean> collectors = ManagementFactory
                .getPlatformMXBeans(com.sun.management.GarbageCollectorMXBean.class);
        while (true) {
            PEAK_USED.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
            long live = 0;
            for (var gc : collectors) { // the heap right after each collector's last collection, every pool
                var info = gc.getLastGcInfo();
                if (info != null) {
                    long after = 0;
                    for (var e : info.getMemoryUsageAfterGc().entrySet()) {
                        if (heapPoolNames.contains(e.getKey())) {
                            after += e.getValue().getUsed();
                        }
                    }
                    live = Math.max(live, after);
                }
            }
            PEAK_LIVE.accumulateAndGet(live, Math::max);
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    static String heap(boolean reset) {
        String s = "peakUsedBytes=" + PEAK_USED.get() + " peakLiveBytes=" + PEAK_LIVE.get() + " maxBytes="
                + Runtime.getRuntime().maxMemory() + "\n";
        if (reset) {
            PEAK_USED.set(0);
            PEAK_LIVE.set(0);
        }
        return s;
    }

    /** The common routing: path and query to a body (status 200), or null for 404. */
    static String route(String path, String query) throws InterruptedException {
        return switch (path) {
            case "/hello" -> BenchHandlers.hello();
            case "/cpu" -> BenchHandlers.cpu(BenchHandlers.param(query, "ms", 1), BenchHandlers.param(query,
                    "closeAtNs", 0), "disconnect");
            case "/sleep" -> BenchHandlers.sleep(BenchHandlers.param(query, "ms", 1));
            case "/bench-heap" -> heap(query != null && query.contains("reset"));
            case "/bench-unwind" -> BenchHandlers.unwind(query != null && query.contains("reset"));
            default -> null;
        };
    }

    // ---- Weft

    private static void weft() {
        int status = Weft.exitStatus(() -> Weft.run(() -> {
            Router router = Router.builder()
                    .get("/hello", (rq, rs) -> rs.body(BenchHandlers.hello()))
                    .get("/cpu", BenchServer::weftCpu)
                    .get("/sleep", (rq, rs) -> rs.body(BenchHandlers.sleep(BenchHandlers.param(rq.query(), "ms", 1))))
                    .get("/bench-heap", (rq, rs) -> rs.body(heap(rq.query() != null && rq.query().contains("reset"))))
                    .get("/bench-unwind", (rq, rs) -> rs.body(BenchHandlers.unwind(rq.query() != null
                            && rq.query().contains("reset"))))
                    .build();
            HttpServerConfig config = HttpServerConfig.defaults().withPort(0);
            // diagnostic switches (not used by HttpBench): where handlers run, and the handler slots
            if (Boolean.getBoolean("bench.handlersOnLoop")) {
                config = config.withHandlersOnConnectionLoop(true);
            }
            if (Integer.getInteger("bench.handlersMax", 0) > 0) {
                config = config.withHandlersMax(Integer.getInteger("bench.handlersMax"));
            }
            if (Integer.getInteger("bench.queueMax", -1) >= 0) {
                config = config.withQueue(Integer.getInteger("bench.queueMax"), java.time.Duration.ofMillis(100));
            }
            try (HttpServer server = HttpServer.bind(config, router)) {
                System.out.print(server.planTable());
                System.out.println("planBytes " + server.plan().totalBytes());
                System.out.println("listening " + server.port());
                System.out.flush();
                server.serve();
            }
            return null;
        }));
        System.exit(status);
    }

    private static void weftCpu(Request rq, Response rs) {
        long deadlineMs = BenchHandlers.param(rq.query(), "deadlineMs", 0);
        long closeAtNs = BenchHandlers.param(rq.query(), "closeAtNs", 0);
        long cancelAtNs = closeAtNs;
        String kind = "disconnect";
        if (deadlineMs > 0) {
            cancelAtNs = System.nanoTime() + deadlineMs * 1_000_000;
            rq.cancelScope().setDeadlineNs(cancelAtNs);
            kind = "deadline";
        }
        rs.body(BenchHandlers.cpu(BenchHandlers.param(rq.query(), "ms", 1), cancelAtNs, kind));
    }

    // ---- Jetty 12.1, virtual threads

    private static void jetty() throws Exception {
        QueuedThreadPool pool = new QueuedThreadPool();
        pool.setVirtualThreadsExecutor(Executors.newVirtualThreadPerTaskExecutor());
        pool.setName("jetty");
        org.eclipse.jetty.server.Server server = new org.eclipse.jetty.server.Server(pool);
        ServerConnector connector = new ServerConnector(server);
        connector.setHost(InetAddress.getLoopbackAddress().getHostAddress());
        connector.setPort(0);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() { // blocking invocation type: handled on a virtual thread
            @Override
            public boolean handle(org.eclipse.jetty.server.Request request, org.eclipse.jetty.server.Response response,
                    Callback callback) throws Exception {
                String body = route(request.getHttpURI().getPath(), request.getHttpURI().getQuery());
                if (body == null) {
                    return false; // 404
                }
                response.setStatus(200);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain");
                response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
                return true;
            }
        });
        server.start();
        System.out.println("listening " + connector.getLocalPort());
        System.out.flush();
        server.join();
    }

    // ---- Helidon SE 4.5: its own server, a virtual thread per connection

    private static void helidon() {
        io.helidon.webserver.WebServer server = io.helidon.webserver.WebServer.builder()
                .host(InetAddress.getLoopbackAddress().getHostAddress()).port(0)
                .routing(r -> r.any((req, res) -> {
                    String query = req.query().rawValue();
                    String body = route(req.path().path(), query == null || query.isEmpty() ? null : query);
                    if (body == null) {
                        res.status(404).send();
                        return;
                    }
                    res.header("Content-Type", "text/plain");
                    res.send(body.getBytes(StandardCharsets.UTF_8));
                }))
                .build().start();
        System.out.println("listening " + server.port());
        System.out.flush();
    }

    // ---- the JDK's server, a virtual thread per request

    private static void jdk() throws IOException {
        com.sun.net.httpserver.HttpServer server = com.sun.net.httpserver.HttpServer.create(
                new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", (HttpExchange ex) -> {
            String body;
            try {
                body = route(ex.getRequestURI().getPath(), ex.getRequestURI().getRawQuery());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                body = null;
            }
            byte[] b = body == null ? "not found\n".getBytes(StandardCharsets.UTF_8) : body.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "text/plain");
            ex.sendResponseHeaders(body == null ? 404 : 200, b.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(b);
            }
        });
        server.start();
        System.out.println("listening " + server.getAddress().getPort());
        System.out.flush();
    }
}
