package dev.weft.bench.memory.budget;

import dev.weft.memory.MemoryBudget;
import dev.weft.memory.Reservation;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * one reserve plus one release of 64 bytes, uncontended ({@code *1}: one thread) and with two
 * threads contending on the same counters ({@code *2}). Sample-time mode over batches of {@link #BATCH}
 * operations: compare the medians (p0.50), which a busy machine's preemptions do not move the way they
 * move an average.
 *
 * <ul>
 *   <li>{@code atomicLong}: the floor, a bare {@link AtomicLong} {@code addAndGet(+n)}, {@code addAndGet(-n)}
 *       with no limit check.
 *   <li>{@code casBreaker}: a breaker in the style of Elasticsearch's {@code ChildMemoryCircuitBreaker}: a CAS
 *       loop that checks the limit before committing, release by {@code addAndGet(-n)}; one level, no
 *       object.
 *   <li>{@code budgetLeaf}: {@code try (Reservation r = budget.reserve(64))} on a component budget under the
 *       root: two levels, served from the calling thread's stock (one CAS on reserve, one add on release, on a
 *       line no other thread writes; once per two batches of 64 KiB the levels' shared counters), plus the
 *       {@link Reservation}, which escape analysis removes (check with {@code -prof gc}).
 *   <li>{@code budgetRoot}: the same on the root budget alone (one level, like the anchors).
 * </ul>
 * {@link ReserveReleaseOnLoopBenchmark} measures the same from a Weft task, three levels deep.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OperationsPerInvocation(ReserveReleaseBenchmark.BATCH)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
public class ReserveReleaseBenchmark {
    /** Operations per invocation: each sample times one batch, so the median ignores preemption spikes. */
    static final int BATCH = 1000;
    static final long BYTES = 64;
    static final long LIMIT = 1L << 40;

    final AtomicLong counter = new AtomicLong();
    final CasBreaker breaker = new CasBreaker(LIMIT);
    final MemoryBudget leaf = MemoryBudget.root().child("bench", LIMIT);
    final MemoryBudget root = MemoryBudget.root();

    /** Elasticsearch-style breaker: check the limit inside the CAS loop, release with an add. */
    static final class CasBreaker {
        private final AtomicLong used = new AtomicLong();
        private final long limit;

        CasBreaker(long limit) {
            this.limit = limit;
        }

        void addEstimateBytesAndMaybeBreak(long bytes) {
            long cur;
            long next;
            do {
                cur = used.get();
                next = cur + bytes;
                if (next > limit) {
                    throw new IllegalStateException("[bench] data too large: " + next + " > " + limit);
                }
            } while (!used.compareAndSet(cur, next));
        }

        void addWithoutBreaking(long bytes) {
            used.addAndGet(bytes);
        }
    }

    long atomicLong() {
        long v = 0;
        for (int i = 0; i < BATCH; i++) {
            v += counter.addAndGet(BYTES);
            counter.addAndGet(-BYTES);
        }
        return v;
    }

    long casBreaker() {
        long v = 0;
        for (int i = 0; i < BATCH; i++) {
            breaker.addEstimateBytesAndMaybeBreak(BYTES);
            breaker.addWithoutBreaking(-BYTES);
            v += BYTES;
        }
        return v;
    }

    static long budget(MemoryBudget b) {
        long v = 0;
        for (int i = 0; i < BATCH; i++) {
            try (Reservation r = b.reserve(BYTES)) {
                v += r.bytes();
            }
        }
        return v;
    }

    @Benchmark
    @Threads(1)
    public long atomicLong1() {
        return atomicLong();
    }

    @Benchmark
    @Threads(1)
    public long casBreaker1() {
        return casBreaker();
    }

    @Benchmark
    @Threads(1)
    public long budgetLeaf1() {
        return budget(leaf);
    }

    @Benchmark
    @Threads(1)
    public long budgetRoot1() {
        return budget(root);
    }

    @Benchmark
    @Threads(2)
    public long atomicLong2() {
        return atomicLong();
    }

    @Benchmark
    @Threads(2)
    public long casBreaker2() {
        return casBreaker();
    }

    @Benchmark
    @Threads(2)
    public long budgetLeaf2() {
        return budget(leaf);
    }

    @Benchmark
    @Threads(2)
    public long budgetRoot2() {
        return budget(root);
    }
}
