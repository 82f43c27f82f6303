package dev.weft.jetty;

import dev.weft.jetty.internal.AdmittingHandler;
import dev.weft.jetty.internal.Supervisor;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import org.eclipse.jetty.server.Handler;

/**
 * Weft for a Jetty 12 server: every request runs as a Weft task, a child of one supervising task, with the same
 * admission, deadline and disconnect cancellation as Weft's own HTTP server ({@code dev.weft.http}).
 *
 * {@snippet class=dev.weft.jetty.Snippets region=server}
 *
 * <h2>Admission</h2>
 * A request takes one of {@code handlersMax} slots, or waits for one (at most {@code queueMax} requests at a time,
 * each at most {@code queueTimeout}); beyond that it is answered 503 with {@code Retry-After}.
 *
 * <h2>Cancellation</h2>
 * The wrapped handler runs in a cancel scope with the deadline {@code requestTimeout}: the deadline cancels it
 * (its {@code finally} runs; the client gets 504 unless the response was committed), and so does Jetty's request
 * failure listener, which Jetty calls when the connection fails (then nothing is answered); a body read that finds
 * the client gone fails with Jetty's {@code EofException} and counts as a disconnect too. Jetty sees a closed
 * connection only when it reads or writes it: a handler that computes without reading its body learns that its
 * client went away at the response write, or at Jetty's idle timeout (Weft's own server reads on while a handler
 * runs, and cancels it at once).
 * The scope also waits for the handler's callback, so an asynchronous handler is bounded too. Cancelling the task
 * that runs {@link #supervise} cancels every request in progress. Code with no checks of its own (a CPU-bound
 * loop) is cancelled when the program runs under the Weft agent ({@code weft run}).
 *
 * <h2>Threads</h2>
 * {@link #virtualThreadsExecutor()} is for {@code QueuedThreadPool.setVirtualThreadsExecutor}: what Jetty would
 * run on a virtual thread (blocking handler invocations) runs as a child of the supervising task on Weft's loops,
 * and the wrapper then runs the request in place. Without it, the wrapper hands each request to the supervising
 * task itself. Jetty's selector and acceptor threads stay Jetty's.
 *
 * <h2>Thread safety</h2>
 * {@link #supervise} from one Weft task, once; everything else from any thread.
 */
public final class WeftJetty implements AutoCloseable {

    /**
     * The adapter's configuration: an immutable value.
     *
     * {@snippet class=dev.weft.jetty.Snippets region=config}
     *
     * @param handlersMax    requests handled at once
     * @param queueMax       requests that may wait for a slot at once (0: refuse at once)
     * @param queueTimeout   how long each may wait
     * @param requestTimeout each request's deadline, from when its task starts
     * @param submitMax      work handed to the supervising task and not yet started, at most (then Jetty's
     *                       execution is rejected, and a request is answered 503)
     */
    public record Config(int handlersMax, int queueMax, Duration queueTimeout, Duration requestTimeout, int submitMax) {
        /** The configuration checked: every bound in range. */
        public Config {
            if (handlersMax < 1 || queueMax < 0 || submitMax < 1) {
                throw new IllegalArgumentException("handlersMax and submitMax must be at least 1 and queueMax at"
                        + " least 0, got " + handlersMax + ", " + submitMax + ", " + queueMax);
            }
            Objects.requireNonNull(queueTimeout, "queueTimeout is null");
            Objects.requireNonNull(requestTimeout, "requestTimeout is null");
            if (queueTimeout.isNegative() || !requestTimeout.isPositive()) {
                throw new IllegalArgumentException("queueTimeout must be zero or more and requestTimeout positive, got "
                        + queueTimeout + " and " + requestTimeout);
            }
        }

        /** Weft's HTTP server's defaults: 64 slots, 64 waiting for 100 ms, a 10 s deadline; 4,096 hand-offs. */
        public static Config defaults() {
            return new Config(64, 64, Duration.ofMillis(100), Duration.ofSeconds(10), 4096);
        }

        /** With another number of slots. */
        public Config withHandlersMax(int n) {
            return new Config(n, queueMax, queueTimeout, requestTimeout, submitMax);
        }

        /** With another waiting line. */
        public Config withQueue(int max, Duration timeout) {
            return new Config(handlersMax, max, timeout, requestTimeout, submitMax);
        }

        /** With another deadline. */
        public Config withRequestTimeout(Duration d) {
            return new Config(handlersMax, queueMax, queueTimeout, d, submitMax);
        }
    }

    /**
     * A snapshot of the counters.
     *
     * {@snippet class=dev.weft.jetty.Snippets region=statistics}
     *
     * @param handlersBusy     slots in use now
     * @param queued           requests waiting for a slot now
     * @param admitted         requests that took a slot
     * @param rejected         requests answered 503
     * @param deadlineExceeded handlers cancelled by the deadline
     * @param disconnects      handlers cancelled by Jetty's request failure (the client went away)
     * @param handedOff        requests Jetty called the wrapper for outside a Weft task (no Weft executor)
     */
    public record Statistics(int handlersBusy, int queued, long admitted, long rejected, long deadlineExceeded,
            long disconnects, long handedOff) {}

    private final Config config;
    private final Supervisor supervisor;
    /** The wrapper made by {@link #wrap}; written once by the caller of wrap, read by any thread. */
    private volatile AdmittingHandler handler;

    private WeftJetty(Config config, BiConsumer<String, Throwable> errorHandler) {
        this.config = config;
        this.supervisor = new Supervisor(config.submitMax(), errorHandler);
    }

    /** An adapter whose task failures go to standard error. */
    public static WeftJetty create(Config config) {
        return create(config, (where, t) -> {
            System.err.println(where + " failed:");
            t.printStackTrace();
        });
    }

    /** An adapter whose task failures go to {@code errorHandler} (where, failure). */
    public static WeftJetty create(Config config, BiConsumer<String, Throwable> errorHandler) {
        return new WeftJetty(Objects.requireNonNull(config, "config"), Objects.requireNonNull(errorHandler,
                "errorHandler"));
    }

    /** The configuration. */
    public Config config() {
        return config;
    }

    /**
     * An executor for {@code QueuedThreadPool.setVirtualThreadsExecutor}: each task runs as a child of the
     * supervising task. Throws {@link RejectedExecutionException} when {@code submitMax} tasks wait to start or the
     * adapter is closed.
     */
    public Executor virtualThreadsExecutor() {
        return task -> {
            if (!supervisor.trySubmit(task)) {
                throw new RejectedExecutionException("Weft's hand-off is full (" + config.submitMax() + " tasks not"
                        + " yet started) or closed; call supervise() in a Weft task, or raise Config.submitMax");
            }
        };
    }

    /** Wraps the application's handler; once per adapter. */
    public Handler.Wrapper wrap(Handler application) {
        if (handler != null) {
            throw new IllegalStateException("wrap was called twice on this WeftJetty; make one per server");
        }
        AdmittingHandler h = new AdmittingHandler(application, supervisor, config.handlersMax(), config.queueMax(),
                config.queueTimeout(), config.requestTimeout());
        handler = h;
        return h;
    }

    /**
     * Runs the requests and the executor's tasks as children of the calling Weft task until {@link #close()} (returns
     * once they end) or until the calling task is cancelled (every request in progress is cancelled).
     */
    public void supervise() {
        supervisor.run();
    }

    /** The counters now. */
    public Statistics statistics() {
        AdmittingHandler h = handler;
        if (h == null) {
            return new Statistics(0, 0, 0, 0, 0, 0, 0);
        }
        return new Statistics(h.busy(), h.queued(), h.admitted.sum(), h.rejected.sum(), h.deadlineExceeded.sum(),
                h.disconnects.sum(), h.handedOff.sum());
    }

    /** No more work is taken; {@link #supervise} returns once what runs has ended. Idempotent; any thread. */
    @Override
    public void close() {
        supervisor.close();
    }
}
