package dev.weft.jetty.internal;

import dev.weft.CancelScope;
import dev.weft.Channel;
import dev.weft.Weft;
import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.EofException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The Jetty handler wrapper: each request runs as a Weft task (in place when Jetty already calls it in one, through
 * {@link Supervisor} otherwise), takes one of {@code handlersMax} slots or waits for one (at most {@code queueMax}
 * waiters, each at most {@code queueTimeout}; beyond that 503 with {@code Retry-After}), and runs the wrapped
 * handler in a cancel scope with the request's deadline (504) that Jetty's request failure listeners also cancel
 * (the client went away: nothing is answered). A read of the body that finds the client gone fails in the handler
 * with Jetty's {@code EofException} (Jetty fails the read, not the request) and counts as a disconnect too. The
 * scope waits for the wrapped handler's callback, so an
 * asynchronous handler is bounded by the deadline too.
 *
 * <h2>Thread safety</h2>
 * Any thread (Jetty's).
 */
public final class AdmittingHandler extends Handler.Wrapper {
    private final Supervisor supervisor;
    private final Semaphore slots;
    private final int queueMax;
    private final long queueTimeoutNs;
    private final Duration requestTimeout;
    /** Requests waiting for a slot now; any thread. */
    private final AtomicInteger queued = new AtomicInteger();
    /** Counters; any thread. */
    public final LongAdder admitted = new LongAdder();
    public final LongAdder rejected = new LongAdder();
    public final LongAdder deadlineExceeded = new LongAdder();
    public final LongAdder disconnects = new LongAdder();
    public final LongAdder handedOff = new LongAdder();
    private final int handlersMax;

    public AdmittingHandler(Handler next, Supervisor supervisor, int handlersMax, int queueMax, Duration queueTimeout,
            Duration requestTimeout) {
        super(next);
        this.supervisor = supervisor;
        this.handlersMax = handlersMax;
        this.slots = new Semaphore(handlersMax);
        this.queueMax = queueMax;
        this.queueTimeoutNs = queueTimeout.toNanos();
        this.requestTimeout = requestTimeout;
    }

    /** Slots in use now. */
    public int busy() {
        return handlersMax - slots.availablePermits();
    }

    /** Requests waiting for a slot now. */
    public int queued() {
        return Math.max(0, Math.min(queued.get(), queueMax));
    }

    @Override
    public InvocationType getInvocationType() {
        return InvocationType.BLOCKING; // Jetty calls it on its virtual-thread executor: Weft's, if configured
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (Weft.inTask()) {
            handleInTask(request, response, callback);
            return true;
        }
        handedOff.increment();
        if (!supervisor.trySubmit(() -> handleInTask(request, response, callback))) {
            rejected.increment();
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            Response.writeError(request, response, callback, 503, "the server's hand-off to Weft is full or closed");
        }
        return true;
    }

    private boolean admit() throws InterruptedException {
        if (slots.tryAcquire()) {
            return true;
        }
        int q = queued.incrementAndGet();
        try {
            return q <= queueMax && queueMax > 0 && slots.tryAcquire(queueTimeoutNs, TimeUnit.NANOSECONDS);
        } finally {
            queued.decrementAndGet();
        }
    }

    private void handleInTask(Request request, Response response, Callback callback) {
        boolean admittedNow;
        try {
            admittedNow = admit(); // a cancellation point while it waits
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            admittedNow = false;
        }
        if (!admittedNow) {
            rejected.increment();
            response.getHeaders().put(HttpHeader.RETRY_AFTER, "1");
            Response.writeError(request, response, callback, 503, "all " + handlersMax + " handler slots busy and "
                    + "the waiting line full or timed out; retry later");
            return;
        }
        admitted.increment();
        OnceCallback once = new OnceCallback(callback);
        AtomicBoolean gone = new AtomicBoolean();
        CancelScope scope = CancelScope.withTimeout(requestTimeout);
        request.addFailureListener(failure -> { // Jetty's request failure: the connection failed or closed
            gone.set(!(failure instanceof java.util.concurrent.TimeoutException)); // else Jetty's idle timeout
            scope.cancel();
        });
        try {
            scope.run(() -> {
                if (!getHandler().handle(request, response, once)) {
                    Response.writeError(request, response, once, 404);
                }
                once.awaitCompletion(); // a cancellation point: the deadline bounds asynchronous handlers too
            });
            if (scope.cancelledCaught()) {
                if (gone.get()) {
                    disconnects.increment();
                    once.failed(new EofException("the client went away; its handler was cancelled"));
                } else {
                    deadlineExceeded.increment();
                    if (!response.isCommitted()) {
                        Response.writeError(request, response, once, 504, "the request's deadline of "
                                + requestTimeout.toMillis() + " ms passed; its handler was cancelled");
                    } else {
                        once.failed(new java.util.concurrent.TimeoutException("deadline passed after the response was"
                                + " committed"));
                    }
                }
            }
        } catch (dev.weft.Cancelled c) {
            once.failed(c); // the supervisor is cancelled (the server stops hard): nothing more is sent
            throw c;
        } catch (Throwable t) {
            if (isEof(t)) { // a read found the client gone: Jetty fails the read, not the request
                disconnects.increment();
                once.failed(t);
            } else if (!once.isDone()) {
                Response.writeError(request, response, once, t);
            }
        } finally {
            slots.release();
        }
    }

    private static boolean isEof(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof EofException) {
                return true;
            }
        }
        return false;
    }

    /** Passes the first completion on and ignores the rest; lets the request's task wait for it. */
    static final class OnceCallback implements Callback {
        private final Callback delegate;
        private final AtomicBoolean done = new AtomicBoolean();
        /** One element once completed; any thread sends, the request's task receives. */
        private final Channel<Boolean> completed = Channel.create(1);

        OnceCallback(Callback delegate) {
            this.delegate = delegate;
        }

        boolean isDone() {
            return done.get();
        }

        void awaitCompletion() {
            completed.receive();
        }

        @Override
        public void succeeded() {
            if (done.compareAndSet(false, true)) {
                delegate.succeeded();
                completed.trySend(Boolean.TRUE);
            }
        }

        @Override
        public void failed(Throwable x) {
            if (done.compareAndSet(false, true)) {
                delegate.failed(x);
                completed.trySend(Boolean.FALSE);
            }
        }

        @Override
        public InvocationType getInvocationType() {
            return delegate.getInvocationType();
        }
    }
}
