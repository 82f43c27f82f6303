package dev.weft.bench.memory.budget;

import dev.weft.bench.core.WeftHost;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.Reservation;
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
 * The case that matters most: reserve plus release of 64 bytes from a Weft task (a virtual thread on
 * a loop, whose carrier's stock serves the reservation), against a bare {@link AtomicLong} pair in the same
 * task, run by a {@link WeftHost} with one loop; {@link #OPS} operations per invocation, so the hand-off of the
 * job to the task (microseconds) is a few percent of an invocation at most, and the same in both.
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
    /** The persistent one-loop runtime whose root task runs each invocation's operations. */
    WeftHost host;

    @Setup(Level.Trial)
    public void start() {
        host = new WeftHost(WeftHost.options().loops(1));
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        host.close();
    }

    @Benchmark
    public long atomicLongInTask() {
        return host.call(root -> {
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
    public long budgetLeafInTask() {
        return host.call(root -> {
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
