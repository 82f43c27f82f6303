package dev.weft.bench.memory.budget;

import dev.weft.Weft;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.Reservation;
import java.util.concurrent.Callable;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Issue 5, the case that matters most: reserve plus release of 64 bytes from a Weft task (a virtual thread on
 * a loop, whose carrier's stock serves the reservation), against a bare {@link AtomicLong} pair in the same
 * task. One loop, one task; {@link #OPS} operations per invocation, so the hand-off of the job to the task
 * (microseconds) is a few percent of an invocation at most, and the same in both.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OperationsPerInvocation(ReserveReleaseOnLoopBenchmark.OPS)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
public class ReserveReleaseOnLoopBenchmark {
    static final int OPS = 100_000;
    static final long BYTES = 64;

    final AtomicLong counter = new AtomicLong();
    final MemoryBudget component = MemoryBudget.root().child("component", 1L << 40);
    final MemoryBudget leaf = component.child("leaf", 1L << 40);
    final SynchronousQueue<Callable<Long>> jobs = new SynchronousQueue<>();
    final SynchronousQueue<Long> results = new SynchronousQueue<>();
    Thread host;

    private static final Callable<Long> NO_MORE = () -> 0L;

    @Setup(Level.Trial)
    public void start() {
        host = Thread.ofPlatform().name("bench-weft-host").start(() -> {
            try {
                Weft.run(Weft.options().loops(1).handleSigint(false), () -> {
                    while (true) {
                        Callable<Long> job = jobs.take();
                        if (job == NO_MORE) {
                            return null;
                        }
                        results.put(job.call());
                    }
                });
            } catch (Exception e) {
                throw new IllegalStateException("benchmark host failed", e);
            }
        });
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        jobs.put(NO_MORE);
        host.join();
    }

    private long inTask(Callable<Long> job) throws InterruptedException {
        jobs.put(job);
        return results.take();
    }

    @Benchmark
    public long atomicLongInTask() throws InterruptedException {
        return inTask(() -> {
            long v = 0;
            for (int i = 0; i < OPS; i++) {
                v += counter.addAndGet(BYTES);
                counter.addAndGet(-BYTES);
            }
            return v;
        });
    }

    /** Three levels: leaf, component, root. */
    @Benchmark
    public long budgetLeafInTask() throws InterruptedException {
        return inTask(() -> {
            long v = 0;
            for (int i = 0; i < OPS; i++) {
                try (Reservation r = leaf.reserve(BYTES)) {
                    v += r.bytes();
                }
            }
            return v;
        });
    }
}
