package dev.weft.bench.core;

import dev.weft.Loop;
import dev.weft.TaskScope;
import dev.weft.ThrowingCallable;
import dev.weft.Weft;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.StructuredTaskScope;
import java.util.concurrent.TimeUnit;
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
 * spawn and join of {@code children} trivial children ({@code () -> 1}), one operation =
 * open a scope, start every child, wait for all of them.
 *
 * <ul>
 *   <li>{@link #structuredTaskScope} (the anchor): JDK 25 {@code StructuredTaskScope.open()}, {@code fork}
 *       each child, {@code join}; children on the JDK's default scheduler (a ForkJoinPool, one carrier
 *       per core), opened on the JMH thread.
 *   <li>{@link #virtualThreadExecutor} (second anchor): {@code Executors.newVirtualThreadPerTaskExecutor()},
 *       submit each child, {@code close()} (waits for all).
 *   <li>{@link #weft}: {@code TaskScope.run(scope -> { for ... scope.spawn(() -> 1); })} in the root task of
 *       a persistent runtime ({@link WeftHost}, steady state), with {@code config}: {@code oneLoop}
 *       ({@code loops(1)}), {@code defaultLoops} (one loop per core; children still go to the parent's
 *       loop, as {@code spawn} does), {@code defaultLoopsRoundRobin} (default loops, children spread over
 *       them with {@code spawnOn}). Includes one hand-off to the host and back per operation.
 *   <li>{@link #weftIncludingRuntimeStart}: the same body inside a fresh {@code Weft.run} (default
 *       options) per operation: runtime start and shutdown included.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-preview",
        "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class SpawnJoinBenchmark {
    private static final Callable<Integer> JDK_CHILD = () -> 1;
    private static final ThrowingCallable<Integer, RuntimeException> WEFT_CHILD = () -> 1;

    @Param("10000")
    int children;

    /** A persistent Weft runtime configured by {@link #config}. */
    @State(Scope.Benchmark)
    public static class Host {
        @Param({"oneLoop", "defaultLoops", "defaultLoopsRoundRobin"})
        String config;

        WeftHost host;
        boolean roundRobin;

        @Setup(Level.Trial)
        public void start() {
            Weft.Options options = WeftHost.options();
            switch (config) {
                case "oneLoop" -> options.loops(1);
                case "defaultLoops" -> { }
                case "defaultLoopsRoundRobin" -> roundRobin = true;
                default -> throw new IllegalArgumentException("unknown config " + config
                        + "; use oneLoop, defaultLoops or defaultLoopsRoundRobin");
            }
            host = new WeftHost(options);
        }

        @TearDown(Level.Trial)
        public void stop() throws InterruptedException {
            host.close();
        }
    }

    @Benchmark
    public int structuredTaskScope() throws InterruptedException {
        try (var scope = StructuredTaskScope.open()) {
            for (int i = 0; i < children; i++) {
                scope.fork(JDK_CHILD);
            }
            scope.join();
        }
        return children;
    }

    @Benchmark
    public int virtualThreadExecutor() {
        try (ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < children; i++) {
                executor.submit(JDK_CHILD);
            }
        }
        return children;
    }

    @Benchmark
    public int weft(Host h) {
        final int n = children;
        if (h.roundRobin) {
            return h.host.call(root -> spawnRoundRobin(n));
        }
        return h.host.call(root -> spawnLocal(n));
    }

    @Benchmark
    public int weftIncludingRuntimeStart() {
        final int n = children;
        return Weft.run(WeftHost.options(), () -> spawnLocal(n));
    }

    private static int spawnLocal(int n) {
        return TaskScope.run(scope -> {
            for (int i = 0; i < n; i++) {
                scope.spawn(WEFT_CHILD);
            }
            return n;
        });
    }

    private static int spawnRoundRobin(int n) {
        List<Loop> loops = Weft.loops();
        int loopCount = loops.size();
        return TaskScope.run(scope -> {
            for (int i = 0; i < n; i++) {
                scope.spawnOn(loops.get(i % loopCount), null, WEFT_CHILD);
            }
            return n;
        });
    }
}
