package dev.weft.jetty;

import dev.weft.Weft;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The code of every {@code {@snippet}} in this module's Javadoc, compiled with the tests. Javadoc shows each region
 * from here ({@code {@snippet class=dev.weft.jetty.Snippets region=...}}), so an example that stops compiling fails
 * the build.
 */
@SuppressWarnings("unused")
final class Snippets {
    private Snippets() {}

    /** The application's own Jetty handler. */
    static final class MyHandler extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            response.write(true, ByteBuffer.wrap("hello\n".getBytes(StandardCharsets.UTF_8)), callback);
            return true;
        }
    }

    static void server() throws Exception {
        // @start region="server"
        Weft.run(() -> {
            try (WeftJetty weft = WeftJetty.create(WeftJetty.Config.defaults())) {
                QueuedThreadPool pool = new QueuedThreadPool();
                pool.setVirtualThreadsExecutor(weft.virtualThreadsExecutor()); // Jetty's virtual threads: Weft tasks
                Server server = new Server(pool);
                server.addConnector(new ServerConnector(server));
                server.setHandler(weft.wrap(new MyHandler()));                // admission, deadline, disconnects
                server.start();
                try {
                    weft.supervise();              // until weft.close() from elsewhere, or Ctrl-C cancels the root
                } finally {
                    server.stop();
                }
            }
        });
        // @end
    }

    static void config() {
        // @start region="config"
        WeftJetty.Config config = WeftJetty.Config.defaults()
                .withHandlersMax(32)                            // requests handled at once
                .withQueue(64, java.time.Duration.ofMillis(50)) // then 503 with Retry-After
                .withRequestTimeout(java.time.Duration.ofSeconds(2)); // each handler's deadline: 504
        // @end
    }

    static void statistics(WeftJetty weft) {
        // @start region="statistics"
        WeftJetty.Statistics s = weft.statistics();
        System.out.printf("%d busy, %d queued, %d rejected, %d past their deadline, %d disconnects%n",
                s.handlersBusy(), s.queued(), s.rejected(), s.deadlineExceeded(), s.disconnects());
        // @end
    }
}
