package dev.weft.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Requests and responses over real connections: routing, keep-alive, pipelining, bodies, the health lane. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HttpServerTest {
    private static Router router() {
        return Router.builder()
                .get("/hello", (rq, rs) -> rs.contentType("text/plain").body("hello " + rq.queryParam("name")
                        .orElse("world") + "\n"))
                .post("/echo", (rq, rs) -> rs.header("X-Length", Integer.toString(rq.body().remaining()))
                        .body(rq.bodyText()))
                .get("/files/*", (rq, rs) -> rs.body("file " + rq.path()))
                .build();
    }

    @Test
    void getIsRoutedAndTheConnectionIsKeptAlive() throws Exception {
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), router())) {
            HttpResponse<String> a = t.get("/hello?name=weft%20http");
            HttpResponse<String> b = t.get("/hello");
            assertThat(a.statusCode()).isEqualTo(200);
            assertThat(a.body()).isEqualTo("hello weft http\n");
            assertThat(a.headers().firstValue("content-type")).hasValue("text/plain");
            assertThat(b.body()).isEqualTo("hello world\n");
            assertThat(t.server().statistics().connectionsAccepted()).as("one kept-alive connection").isEqualTo(1);
            assertThat(t.server().statistics().served()).isEqualTo(2);
        }
    }

    @Test
    void postBodiesArriveWithContentLengthAndChunked() throws Exception {
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), router())) {
            HttpResponse<String> r = t.client.send(HttpRequest.newBuilder(t.uri("/echo"))
                    .POST(HttpRequest.BodyPublishers.ofString("payload")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            assertThat(r.body()).isEqualTo("payload");
            String chunked = t.exchange("POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                    + "Connection: close\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
            assertThat(chunked).startsWith("HTTP/1.1 200 ").contains("X-Length: 11").endsWith("\r\n\r\nhello world");
        }
    }

    @Test
    void expectContinueIsAnsweredBeforeTheBodyIsSent() throws Exception {
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), router()); var s = t.socket()) {
            s.getOutputStream().write(("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n"
                    + "Connection: close\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] interim = new byte[64];
            int n = s.getInputStream().read(interim);
            assertThat(new String(interim, 0, n, java.nio.charset.StandardCharsets.US_ASCII))
                    .startsWith("HTTP/1.1 100 Continue\r\n");
            s.getOutputStream().write("hello".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            assertThat(TestServer.readToEnd(s.getInputStream())).startsWith("HTTP/1.1 200 ").endsWith("hello");
        }
    }

    @Test
    void pipelinedRequestsAreAnsweredInOrderOnOneConnection() throws Exception {
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), router())) {
            String out = t.exchange("GET /hello?name=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                    + "GET /hello?name=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            int first = out.indexOf("hello 1");
            int second = out.indexOf("abc", first);
            int third = out.indexOf("hello 3", second);
            assertThat(first).as(out).isPositive();
            assertThat(second).as(out).isGreaterThan(first);
            assertThat(third).as(out).isGreaterThan(second);
            assertThat(out.split("HTTP/1.1 200 ", -1)).hasSize(4);
        }
    }

    @Test
    void unknownPathIs404AndAWrongMethodIs405WithAllow() throws Exception {
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), router())) {
            assertThat(t.get("/nope").statusCode()).isEqualTo(404);
            HttpResponse<String> r = t.client.send(HttpRequest.newBuilder(t.uri("/hello"))
                    .DELETE().build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(405);
            assertThat(r.headers().firstValue("allow")).as("a GET route answers HEAD too").hasValue("GET, HEAD");
            assertThat(t.get("/files/a/b.txt").body()).isEqualTo("file /files/a/b.txt");
        }
    }

    @Test
    void everyAnswerCarriesDateAndContentLength() throws Exception {
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), router())) {
            for (HttpResponse<String> r : java.util.List.of(t.get("/hello"), t.get("/nope"), t.get("/health"),
                    t.client.send(HttpRequest.newBuilder(t.uri("/hello")).DELETE().build(),
                            HttpResponse.BodyHandlers.ofString()))) {
                String date = r.headers().firstValue("date").orElse(null);
                assertThat(date).as("RFC 9110: an origin server with a clock sends Date; " + r + " " + r.headers().map())
                        .isNotNull();
                java.time.ZonedDateTime when = java.time.ZonedDateTime.parse(date,
                        java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME);
                assertThat(java.time.Duration.between(when.toInstant(), java.time.Instant.now()).abs())
                        .as("Date is now: " + date).isLessThan(java.time.Duration.ofMinutes(1));
                assertThat(r.headers().firstValue("content-length")).as(r.toString()).isPresent();
            }
        }
    }

    @Test
    void headAnswersTheGetRouteWithoutTheBody() throws Exception {
        try (TestServer t = TestServer.start(HttpServerConfig.defaults(), router())) {
            String out = t.exchange("HEAD /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            assertThat(out).startsWith("HTTP/1.1 200 ").contains("Content-Length: 12").endsWith("\r\n\r\n");
        }
    }

    @Test
    void healthReportsHandlersQueueAndMemoryAsJson() throws Exception {
        try (TestServer t = TestServer.start(HttpServerConfig.defaults().withHandlersMax(3), router())) {
            t.get("/hello");
            HttpResponse<String> h = t.get("/health");
            assertThat(h.statusCode()).isEqualTo(200);
            assertThat(h.headers().firstValue("content-type")).hasValue("application/json");
            assertThat(h.body()).startsWith("{\"status\":\"ok\"").contains("\"handlers\":{\"max\":3,\"busy\":0,\"queued\":0}")
                    .contains("\"planBytes\":" + t.server().plan().totalBytes()).contains("\"rejected\":0");
        }
    }
}
