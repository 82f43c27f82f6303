package dev.weft;

import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.WaitQueue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bounded pool of platform threads behind {@link Blocking}: calls that would hold a loop's carrier
 * (file I/O, native code, {@code synchronized} blocking in old libraries) run here while the task waits.
 *
 * <p>At most {@code threadsMax} calls run at once; further callers wait (a cancellation point) for a
 * permit, so the job queue never holds more than {@code threadsMax} entries.
 */
final class BlockingPool {
    /** One call handed to a worker. */
    static final class Job<T> {
        final ThrowingCallable<T, ?> body;
        /** The waiting task's node, signalled when the job is done. */
        final WaitQueue.Node waiter;
        /** Guarded by this. */
        private Thread worker;
        /** Guarded by this. */
        private boolean cancelled;
        /** Written by the worker under this; read by the waiter. */
        volatile boolean done;
        T result;
        Throwable failure;

        Job(ThrowingCallable<T, ?> body) {
            this.body = body;
            this.waiter = new WaitQueue.Node();
        }

        /** Interrupts the call if it runs, or prevents it from starting. Any thread. */
        synchronized void cancel() {
            cancelled = true;
            if (!done && worker != null) {
                worker.interrupt();
            }
        }

        void runOnWorker() {
            synchronized (this) {
                if (cancelled) {
                    failure = new java.util.concurrent.CancellationException("cancelled before it started");
                    done = true;
                    Park.signal(waiter);
                    return;
                }
                worker = Thread.currentThread();
            }
            T r = null;
            Throwable f = null;
            try {
                r = body.call();
            } catch (Throwable t) {
                f = t;
            }
            synchronized (this) {
                result = r;
                failure = f;
                done = true;
                worker = null;
            }
            Thread.interrupted(); // an interrupt meant for this job must not reach the next one
            Park.signal(waiter);
        }
    }

    private final String name;
    private final ArrayBlockingQueue<Job<?>> jobs;
    private final AtomicInteger permits;
    private final WaitQueue permitWaiters = new WaitQueue();
    private final Thread[] workers;
    /** Set by shutdown. */
    private volatile boolean stopped;

    BlockingPool(String name, int threadsMax) {
        this.name = name;
        this.jobs = new ArrayBlockingQueue<>(threadsMax);
        this.permits = new AtomicInteger(threadsMax);
        this.workers = new Thread[threadsMax];
        for (int i = 0; i < threadsMax; i++) {
            workers[i] = Thread.ofPlatform().name(name + "-" + i).daemon(true).start(this::runWorker);
        }
    }

    private void runWorker() {
        while (!stopped) {
            Job<?> j;
            try {
                j = jobs.poll(1, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                continue;
            }
            if (j != null) {
                j.runOnWorker();
            }
        }
    }


    /** Acquires a permit; a cancellation point. */
    void acquire(TaskImpl<?> me) {
        me.checkpoint();
        WaitQueue.Node node = null;
        while (!tryAcquire()) {
            if (node == null) {
                node = new WaitQueue.Node();
            } else {
                node.reset();
            }
            permitWaiters.add(node);
            if (tryAcquire()) { // a release between the failed try and the add signalled no one
                Park.abandon(node);
                return;
            }
            Park.await(me, node, Park.NO_DEADLINE, Park.CANCELLABLE);
        }
    }

    private boolean tryAcquire() {
        while (true) {
            int p = permits.get();
            if (p == 0) {
                return false;
            }
            if (permits.compareAndSet(p, p - 1)) {
                return true;
            }
        }
    }

    void release() {
        permits.incrementAndGet();
        WaitQueue.wake(permitWaiters.signalOne());
    }

    <T> void submit(Job<T> job) {
        if (stopped) {
            throw new IllegalStateException("blocking pool " + name + " is shut down");
        }
        boolean added = jobs.offer(job);
        assert added : "blocking job queue overflow: permits and queue capacity disagree";
    }

    void shutdown() {
        stopped = true;
        for (Thread w : workers) {
            w.interrupt();
        }
    }
}
