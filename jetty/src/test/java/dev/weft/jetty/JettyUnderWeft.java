package dev.weft.jetty;

import dev.weft.Weft;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/** A Jetty server whose requests run under Weft, in a runtime on its own thread; the test thread is the client. */
@SuppressWarnings("try") // close() stops Jetty and the runtime, and throws what they throw (Exception)
final class JettyUnderWeft implements AutoCloseable {
    static final long BOUND_SECONDS = 30;

    final WeftJetty weft;
    final int port;
    private final Thread runner;
    private final CompletableFuture<Void> ended = new CompletableFuture<>();

    JettyUnderWeft(WeftJetty.Config config, boolean weftExecutor, Handler application) throws Exception {
        weft = WeftJetty.create(config);
        CompletableFuture<Integer> started = new CompletableFuture<>();
        runner = Thread.ofPlatform().name("weft-jetty-test").start(() -> {
            try {
                Weft.run(() -> {
                    QueuedThreadPool pool = new QueuedThreadPool();
                    if (weftExecutor) {
                        pool.setVirtualThreadsExecutor(weft.virtualThreadsExecutor());
                    }
                    Server server = new Server(pool);
                    ServerConnector connector = new ServerConnector(server);
                    connector.setHost("127.0.0.1");
                    server.addConnector(connector);
                    server.setHandler(weft.wrap(application));
                    server.start();
                    started.complete(connector.getLocalPort());
                    try {
                        weft.supervise();
                    } finally {
                        server.stop();
                    }
                    return null;
                });
                ended.complete(null);
            } catch (Throwable t) {
                started.completeExceptionally(t);
                ended.completeExceptionally(t);
            }
        });
        port = started.get(BOUND_SECONDS, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        weft.close();
        ended.get(BOUND_SECONDS, TimeUnit.SECONDS);
        runner.join(TimeUnit.SECONDS.toMillis(BOUND_SECONDS));
    }
}
