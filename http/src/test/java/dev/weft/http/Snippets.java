package dev.weft.http;

import dev.weft.Weft;
import example.http.ExampleServer;
import java.time.Duration;

/**
 * The code of every {@code {@snippet}} in this module's Javadoc, compiled with the tests. Javadoc shows each region
 * from here ({@code {@snippet class=dev.weft.http.Snippets region=...}}, with no inline copy to drift);
 * {@link SnippetsTest} checks that every snippet is one of these regions.
 */
@SuppressWarnings("unused")
final class Snippets {
    private Snippets() {}

    static void config() {
        // @start region="config"
        HttpServerConfig config = HttpServerConfig.defaults()
                .withPort(8080)
                .withHandlersMax(64)                        // requests handled at once
                .withConnectionsMax(1024)                   // connections open at once
                .withQueue(128, Duration.ofMillis(100))     // then 503 with Retry-After
                .withRequestTimeout(Duration.ofSeconds(2))  // the handler's deadline: 504
                .withHandlerMemoryBytes(4 << 20);           // each handler's budget: past it, 507
        // @end
    }

    static void handler() {
        // @start region="handler"
        Handler hello = (request, response) -> {
            String name = request.queryParam("name").orElse("world");
            response.status(200).contentType("text/plain").body("hello, " + name + "\n");
        };
        // @end
    }

    static void request() {
        // @start region="request"
        Handler echo = (request, response) -> {
            int times = request.queryParam("times").map(Integer::parseInt).orElse(1);
            String type = request.header("Content-Type").orElse("text/plain");
            String text = request.bodyText().repeat(times);
            long leftMs = (request.deadlineNs() - Weft.nanoTime()) / 1_000_000;
            response.contentType(type).header("X-Time-Left-Ms", Long.toString(leftMs)).body(text);
        };
        // @end
    }

    static void response() {
        // @start region="response"
        Handler created = (request, response) -> response
                .status(201)
                .header("Location", "/items/42")
                .contentType("application/json")
                .body("{\"id\":42}");
        // @end
    }

    static void router() {
        // @start region="router"
        Router router = Router.builder()
                .get("/hello", (rq, rs) -> rs.body("hello\n"))
                .post("/items", (rq, rs) -> rs.status(201).body(rq.bodyText()))
                .get("/static/*", (rq, rs) -> rs.body("file " + rq.path() + "\n"))
                .build();
        // @end
    }

    static void routerBuilder() {
        // @start region="routerBuilder"
        Router.Builder b = Router.builder();
        b.route("PATCH", "/items/*", (rq, rs) -> rs.status(204));
        Router r = b.build();
        // @end
    }

    static void statistics(HttpServer server) {
        // @start region="statistics"
        ServerStatistics s = server.statistics();
        System.out.printf("%d/%d handlers busy, %d queued, %d rejected, %d cancelled%n",
                s.handlersBusy(), s.handlersMax(), s.queued(), s.rejected(), s.cancelled());
        // @end
    }

    static void server() throws java.io.IOException {
        // @start region="server"
        Weft.run(() -> {
            Router router = Router.builder()
                    .get("/hello", (rq, rs) -> rs.body("hello\n"))
                    .build();
            try (HttpServer server = HttpServer.bind(HttpServerConfig.defaults().withPort(8080), router)) {
                System.out.print(server.planTable());   // components x sizes, against the budget
                server.serve();                         // until shutdown() or cancellation
            }
            return null;
        });
        // @end
    }

    static void exampleServer() {
        // @start region="exampleServer"
        // java -cp ... example.http.ExampleServer --port 8080 --handlers 16 --deadline 2s --soft-limit 256m
        Router router = ExampleServer.router(System.out::println);
        // @end
    }
}
