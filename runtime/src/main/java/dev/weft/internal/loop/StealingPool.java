package dev.weft.internal.loop;

import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;

/**
 * The opt-in work-stealing pool: tasks spawned or moved here may run on any of its workers and migrate
 * between them at every unmount, like the JDK's default virtual-thread scheduler.
 */
public final class StealingPool implements Scheduler {
    private final String name;
    private final ForkJoinPool pool;
    /** Where entries go after shutdown. Written once by {@link #shutdown}; read by submitters. */
    private volatile Executor handover;

    public StealingPool(String name, int parallelism) {
        this.name = name;
        this.pool = new ForkJoinPool(parallelism, p -> {
            var w = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
            w.setName(name + "-" + w.getPoolIndex());
            w.setDaemon(true);
            return w;
        }, null, true);
    }

    @Override
    public void submit(Runnable r) {
        Executor h = handover;
        if (h != null) {
            System.err.println("weft: pool " + name + " is stopped; running a late submission on the handover executor");
            h.execute(r);
            return;
        }
        if (r instanceof Schedulable s) {
            pool.execute(() -> s.runOn(this));
        } else {
            pool.execute(r);
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void shutdown(Executor handover) {
        this.handover = handover;
        pool.shutdown();
        try {
            pool.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "StealingPool[" + name + "]";
    }
}
