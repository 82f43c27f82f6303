package dev.weft.bench.observe;

import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.bench.core.WeftHost;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.AuxCounters;
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
 * {@link Weft#dump()} and {@link Weft#dumpJson()} of a runtime with 100,000 parked tasks; target: under a second.
 *
 * <p>The tree, built once per trial on a two-loop runtime: a task {@code forest} opens a scope with
 * {@link #SHARDS} shard tasks, each of which opens a scope with {@link #LEAVES} leaf tasks parked in
 * {@code Weft.sleep}: 100 + 100 x 999 = 100,000 tasks, plus the forest and the host's root. {@code distinctShards}
 * of the shards and all their leaves have names of their own ({@code shard-7}, {@code leaf-7-123}), so they fold
 * with nothing; the other shards are identical subtrees (same names, same stacks) and fold into one entry
 * {@code [xN]} whose 999 identical leaves fold into one more. {@code distinctShards = 10}: 9,990 distinct leaves
 * to write; {@code 50}: 49,950. The dump is taken from the JMH thread, outside every task, as
 * {@code weft dump PID} does.
 *
 * <p>On a loaded machine the wall time measures the machine's other work as much as the dump, so the dumping
 * thread's CPU time is counted too ({@link Cpu}: {@code cpuMs} / {@code dumps} per iteration = CPU ms per dump).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 3, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
public class DumpBenchmark {
    static final int SHARDS = 100;
    static final int LEAVES = 999;
    static final int TASKS = SHARDS + SHARDS * LEAVES;

    @Param({"10", "50"})
    int distinctShards;

    WeftHost host;
    Task<Object> forest;

    @Setup(Level.Trial)
    public void build() throws InterruptedException {
        host = new WeftHost(WeftHost.options().loops(2).tasksPerLoopMax(1 << 20));
        AtomicInteger parked = new AtomicInteger();
        forest = host.call(root -> root.spawn("forest", () -> TaskScope.run(scope -> {
            for (int s = 0; s < SHARDS; s++) {
                boolean distinct = s < distinctShards;
                int shard = s;
                scope.spawn(distinct ? "shard-" + s : "shard", () -> TaskScope.run(inner -> {
                    for (int i = 0; i < LEAVES; i++) {
                        inner.spawn(distinct ? "leaf-" + shard + "-" + i : "leaf", () -> {
                            parked.incrementAndGet();
                            Weft.sleep(Duration.ofHours(1));
                            return null;
                        });
                    }
                    return null;
                }));
            }
            return null;
        })));
        long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (parked.get() < SHARDS * LEAVES) {
            if (System.nanoTime() - deadlineNs > 0) {
                throw new IllegalStateException("only " + parked.get() + " leaves started within 60 s");
            }
            Thread.sleep(10);
        }
        Thread.sleep(500); // the last leaves reach their sleep
        String text = Weft.dump();
        String json = Weft.dumpJson();
        System.out.println("\n" + TASKS + " tasks (" + distinctShards + " distinct shards): text dump "
                + text.lines().count() + " lines, " + text.length() + " chars; JSON dump " + json.length() + " chars");
    }

    @TearDown(Level.Trial)
    public void release() throws InterruptedException {
        forest.cancel();
        host.close();
    }

    /** The dumping thread's CPU time, summed per iteration (JMH adds these counters to the result). */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.EVENTS)
    public static class Cpu {
        static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        public double cpuMs;
        public long dumps;

        @Setup(Level.Iteration)
        public void reset() {
            cpuMs = 0;
            dumps = 0;
        }

        long now() {
            return THREADS.getCurrentThreadCpuTime();
        }

        void add(long startNs) {
            cpuMs += (THREADS.getCurrentThreadCpuTime() - startNs) / 1e6;
            dumps++;
        }
    }

    @Benchmark
    public String dumpText(Cpu cpu) {
        long t = cpu.now();
        String d = Weft.dump();
        cpu.add(t);
        return d;
    }

    @Benchmark
    public String dumpJson(Cpu cpu) {
        long t = cpu.now();
        String d = Weft.dumpJson();
        cpu.add(t);
        return d;
    }
}
