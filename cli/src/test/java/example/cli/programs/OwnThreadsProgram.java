package example.cli.programs;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;

/**
 * An unmodified program that spins on every kind of thread it can start: a platform thread, a virtual thread, a
 * virtual-thread-per-task executor, the common pool behind a parallel stream and CompletableFuture. Each prints from
 * its finally block; main waits for them all.
 */
public final class OwnThreadsProgram {
    static volatile boolean stop;
    static final AtomicInteger STARTED = new AtomicInteger();

    static long spin(String who) {
        long x = 0;
        try {
            STARTED.incrementAndGet();
            while (!stop) {
                x++;
            }
        } finally {
            System.out.println(who + " finally ran");
        }
        return x;
    }

    public static void main(String[] args) throws Exception {
        Thread platform = new Thread(() -> spin("platform"));
        platform.start();
        Thread virtual = Thread.ofVirtual().start(() -> spin("virtual"));
        CompletableFuture<Long> async = CompletableFuture.supplyAsync(() -> spin("completable"));
        try (ExecutorService perTask = Executors.newVirtualThreadPerTaskExecutor()) {
            perTask.submit(() -> spin("per-task"));
            while (STARTED.get() < 4) {
                Thread.onSpinWait();
            }
            System.out.println("started");
            long sum = LongStream.range(0, 4).parallel().map(i -> spin("stream")).sum();
            System.out.println("returned " + sum + async.join());
        } finally {
            System.out.println("main finally ran");
            // a JDK call that consumed the cancellation's interrupt may re-assert it (ForkJoinTask.join from outside
            // the pool does, ExecutorService.close does): then these joins throw InterruptedException at once
            platform.join();
            virtual.join();
        }
    }
}
