package dev.weft.bench.core;

import dev.weft.internal.time.TimerQueue;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The deadline queue: arm then disarm one deadline while {@code pending} others wait (what every cancel
 * scope with a deadline does on entry and exit, and every sleep that ends early), one operation = both.
 *
 * <ul>
 *   <li>{@link #priorityQueueScheduleCancel} (the anchor, the previous {@code TimerQueue}): a new node per
 *       deadline, {@code PriorityQueue.add} and {@code PriorityQueue.remove(Object)} (a linear scan),
 *       each under the queue's {@code ReentrantLock}.
 *   <li>{@link #heapArmDisarm}: {@code TimerQueue.arm} and {@code disarm} of one reused node (indexed
 *       heap: two sifts, no allocation).
 *   <li>{@link #heapArmReArmDisarm}: the same with a re-arm at a later deadline in between (a scope whose
 *       deadline is moved).
 *   <li>{@link #heapScheduleCancel}: the allocating API kept for old callers ({@code schedule} and
 *       {@code cancel}): a new node per deadline, then the same heap operations.
 * </ul>
 * Deadlines are spread over the pending ones (so sifts do real work) and cycle through a precomputed
 * table. Queues use a virtual ticker: no timer thread runs, nothing fires.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"-Xms1g", "-Xmx1g", "-XX:+AlwaysPreTouch"})
public class TimerQueueBenchmark {
    private static final long NOW_NS = 1_000_000_000L;
    private static final long SPREAD_NS = TimeUnit.HOURS.toNanos(1);
    private static final int DEADLINES = 1 << 12;
    private static final Runnable NOTHING = () -> {};

    @Param({"100", "10000"})
    int pending;

    TimerQueue heap;
    LegacyTimerQueue legacy;
    TimerQueue.Timer node;
    final long[] deadlinesNs = new long[DEADLINES];
    int next;

    @Setup(Level.Trial)
    public void setUp() {
        heap = new TimerQueue(() -> NOW_NS, true, "bench-timer");
        legacy = new LegacyTimerQueue();
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < pending; i++) {
            long d = NOW_NS + 1 + random.nextLong(SPREAD_NS);
            heap.arm(new TimerQueue.Timer(NOTHING), d);
            legacy.schedule(d, NOTHING);
        }
        for (int i = 0; i < DEADLINES; i++) {
            deadlinesNs[i] = NOW_NS + 1 + random.nextLong(SPREAD_NS);
        }
        node = new TimerQueue.Timer(NOTHING);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (heap.size() != pending || legacy.size() != pending) {
            throw new IllegalStateException("benchmark leaked timers: heap " + heap.size() + ", legacy "
                    + legacy.size() + ", expected " + pending);
        }
        heap.close();
    }

    private long nextDeadlineNs() {
        long d = deadlinesNs[next];
        next = (next + 1) & (DEADLINES - 1);
        return d;
    }

    @Benchmark
    public boolean priorityQueueScheduleCancel() {
        return legacy.cancel(legacy.schedule(nextDeadlineNs(), NOTHING));
    }

    @Benchmark
    public boolean heapArmDisarm() {
        heap.arm(node, nextDeadlineNs());
        return heap.disarm(node);
    }

    @Benchmark
    public boolean heapArmReArmDisarm() {
        long d = nextDeadlineNs();
        heap.arm(node, d);
        heap.arm(node, d + SPREAD_NS / 4);
        return heap.disarm(node);
    }

    @Benchmark
    public boolean heapScheduleCancel() {
        return heap.cancel(heap.schedule(nextDeadlineNs(), NOTHING));
    }

    /** The previous TimerQueue's data path: a PriorityQueue of one node per deadline, under a lock. */
    static final class LegacyTimerQueue {
        static final class Timer implements Comparable<Timer> {
            final long deadlineNs;
            final long seq;
            final Runnable action;
            boolean done;

            Timer(long deadlineNs, long seq, Runnable action) {
                this.deadlineNs = deadlineNs;
                this.seq = seq;
                this.action = action;
            }

            @Override
            public int compareTo(Timer o) {
                int c = Long.compare(deadlineNs, o.deadlineNs);
                return c != 0 ? c : Long.compare(seq, o.seq);
            }
        }

        private final ReentrantLock lock = new ReentrantLock();
        private final PriorityQueue<Timer> queue = new PriorityQueue<>();
        private long seq;

        Timer schedule(long deadlineNs, Runnable action) {
            lock.lock();
            try {
                Timer t = new Timer(deadlineNs, seq++, action);
                queue.add(t);
                return t;
            } finally {
                lock.unlock();
            }
        }

        boolean cancel(Timer t) {
            lock.lock();
            try {
                if (t.done) {
                    return false;
                }
                t.done = true;
                queue.remove(t);
                return true;
            } finally {
                lock.unlock();
            }
        }

        int size() {
            lock.lock();
            try {
                return queue.size();
            } finally {
                lock.unlock();
            }
        }
    }
}
