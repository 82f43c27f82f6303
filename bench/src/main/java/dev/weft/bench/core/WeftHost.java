package dev.weft.bench.core;

import dev.weft.Channel;
import dev.weft.ChannelClosedException;
import dev.weft.TaskScope;
import dev.weft.Weft;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A Weft runtime that outlives JMH invocations: started once per trial on a platform thread, its root
 * task opens a {@link TaskScope} and runs the jobs handed to it, one at a time, until {@link #close()}.
 *
 * <p>Why: the anchors ({@code StructuredTaskScope}, the virtual-thread executor, plain virtual threads)
 * run on the JDK's default scheduler, which exists before the benchmark starts. Comparing them with a
 * {@code Weft.run} per invocation would charge Weft for starting and stopping its carriers, timer thread
 * and signal handler. Steady-state benchmarks therefore use a host; benchmarks named
 * {@code ...IncludingRuntimeStart} measure the other case.
 *
 * <p>Cost charged to Weft: one hand-off each way per job (a {@link Channel#send} from the benchmark
 * thread that unparks the loop's carrier, and an unpark of the benchmark thread when the job is done),
 * a few microseconds; the anchors pay nothing comparable.
 *
 * <p>Thread safety: {@link #call} from one benchmark thread at a time (jobs are serialised anyway).
 */
@SuppressWarnings("try") // close() waits for the runtime, so it declares InterruptedException on purpose
public final class WeftHost implements AutoCloseable {
    /** A job run by the host's root task, which owns {@code scope} and may spawn into it. */
    @FunctionalInterface
    public interface Job<T> {
        T run(TaskScope scope) throws Exception;
    }

    /** One job in flight. Fields other than {@code done} are written before it and read after it. */
    private static final class Request {
        final Job<?> job;
        final Thread caller;
        Object result;
        Throwable failure;
        volatile boolean done;

        Request(Job<?> job, Thread caller) {
            this.job = job;
            this.caller = caller;
        }
    }

    /** How long {@link #call} waits for one job before it gives up. */
    private static final long CALL_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(60);

    private final Channel<Request> requests = Channel.create(1);
    private final Thread host;
    /** Why the host's runtime ended early, or null. Written by the host thread. */
    private volatile Throwable hostFailure;

    public WeftHost(Weft.Options options) {
        host = Thread.ofPlatform().name("weft-bench-host").daemon(true).unstarted(() -> {
            try {
                Weft.run(options, () -> TaskScope.run(scope -> {
                    serve(scope);
                    return null;
                }));
            } catch (Throwable t) {
                hostFailure = t;
            }
        });
        host.start();
    }

    /** The default options of a benchmark host: no SIGINT handler (JMH owns the process). */
    public static Weft.Options options() {
        return Weft.options().handleSigint(false).name("bench");
    }

    private void serve(TaskScope scope) {
        while (true) {
            Request r;
            try {
                r = requests.receive();
            } catch (ChannelClosedException closed) {
                return;
            }
            try {
                r.result = r.job.run(scope);
            } catch (Throwable t) {
                r.failure = t;
            }
            r.done = true;
            LockSupport.unpark(r.caller);
        }
    }

    /** Runs {@code job} in the host's root task and returns its result; rethrows its failure. */
    @SuppressWarnings("unchecked")
    public <T> T call(Job<T> job) {
        Request r = new Request(job, Thread.currentThread());
        requests.send(r);
        long deadlineNs = System.nanoTime() + CALL_TIMEOUT_NS;
        while (!r.done) {
            if (!host.isAlive() || deadlineNs - System.nanoTime() < 0) {
                throw new IllegalStateException("the Weft benchmark host did not finish a job within 60 s"
                        + " (host alive: " + host.isAlive() + "); runtime dump:\n" + Weft.dump(), hostFailure);
            }
            LockSupport.parkNanos(r, TimeUnit.MILLISECONDS.toNanos(100));
        }
        if (r.failure != null) {
            throw new IllegalStateException("benchmark job failed in the Weft host: " + r.failure, r.failure);
        }
        return (T) r.result;
    }

    /** Ends the root task (its scope waits for any child still running) and its runtime. */
    @Override
    public void close() throws InterruptedException {
        requests.close();
        host.join(TimeUnit.SECONDS.toMillis(30));
        if (host.isAlive()) {
            throw new IllegalStateException("the Weft benchmark host did not stop within 30 s; dump:\n" + Weft.dump());
        }
        if (hostFailure != null) {
            throw new IllegalStateException("the Weft benchmark host failed: " + hostFailure, hostFailure);
        }
    }
}
