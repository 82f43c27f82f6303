package dev.weft;

import dev.weft.internal.jdk.OwnThreads;
import dev.weft.internal.cancel.Park;
import dev.weft.internal.cancel.WaitQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
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
    /**
     * Jobs not yet taken; at most {@code threadsMax} (one per permit). Lock-free on purpose: a JDK lock taken by
     * the submitting task would clear and re-set its interrupt status when contended (AQS does), hiding the
     * program's own interrupt from Weft's interrupt protocol for that moment.
     */
    private final ConcurrentLinkedQueue<Job<?>> jobs = new ConcurrentLinkedQueue<>();
    /** Workers waiting for a job. */
    private final WaitQueue idleWorkers = new WaitQueue();
    private final AtomicInteger permits;
    private final WaitQueue permitWaiters = new WaitQueue();
    private final Thread[] workers;
    /** Set by shutdown. */
    private volatile boolean stopped;

    BlockingPool(String name, int threadsMax) {
        this.name = name;
        this.permits = new AtomicInteger(threadsMax);
        this.workers = new Thread[threadsMax];
        for (int i = 0; i < threadsMax; i++) {
            workers[i] = OwnThreads.daemon(name + "-" + i).start(this::runWorker);
        }
    }

    private void runWorker() {
        WaitQueue.Node node = new WaitQueue.Node();
        while (!stopped) {
            Job<?> j = jobs.poll();
            if (j != null) {
                j.runOnWorker();
                continue;
            }
            node.reset();
            idleWorkers.add(node);
            if (stopped || !jobs.isEmpty()) { // a submission between the poll and the add signalled no one
                Park.abandon(node);
                continue;
            }
            Park.await(null, node, Park.NO_DEADLINE, Park.SHIELDED); // a platform thread: interrupts are ignored
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
        jobs.offer(job);
        WaitQueue.wake(idleWorkers.signalOne());
    }

    void shutdown() {
        stopped = true;
        WaitQueue.wakeAll(idleWorkers.signalAll());
    }
}
