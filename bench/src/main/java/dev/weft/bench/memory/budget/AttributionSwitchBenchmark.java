package dev.weft.bench.memory.budget;

import dev.weft.Channel;
import dev.weft.TaskScope;
import dev.weft.bench.core.WeftHost;
import dev.weft.internal.budget.TaskAllocation;
import dev.weft.memory.HeapWatchdog;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * what per-task allocation attribution adds to a task switch. Two tasks on one loop hand a token
 * back and forth through two {@link Channel}s of capacity 1, {@link #SWITCHES} / 2 round trips per
 * invocation; every hand-off unmounts one task and mounts the other. The score is per switch.
 * {@code attribution}: {@code off}; {@code watchdog} (a {@link HeapWatchdog} installed with a limit it never
 * approaches: mounts are published, no counter is read, plus the watchdog's poller, every 50 ms while the heap is far from the limit); {@code counting}
 * (what runs under memory pressure: one read of the carrier's allocation counter per unmount).
 * {@link #hookOnly} measures the hook itself, which is steadier than the difference of two switch timings.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
public class AttributionSwitchBenchmark {
    static final int SWITCHES = 20_000;
    private static final Object TOKEN = new Object();

    @Param({"off", "watchdog", "counting"})
    String attribution;

    /** The persistent one-loop runtime whose root task runs each invocation's ping-pong. */
    WeftHost host;
    HeapWatchdog watchdog;

    @Setup(Level.Trial)
    public void start() {
        host = new WeftHost(WeftHost.options().loops(1));
        switch (attribution) {
            case "watchdog" -> watchdog = HeapWatchdog.install(Long.MAX_VALUE / 4, 0, 0);
            case "counting" -> {
                TaskAllocation.enable();
                TaskAllocation.count(true);
            }
            default -> { }
        }
    }

    @TearDown(Level.Trial)
    public void stop() throws InterruptedException {
        if (watchdog != null) {
            watchdog.close();
        }
        TaskAllocation.disable();
        host.close();
    }

    long packed;

    /**
     * The hook alone, as {@code TaskImpl.runOn} runs it around a mount when attribution is on (the mount
     * slot, one read of the carrier's counter, the window arithmetic); on a platform thread, like a carrier.
     */
    @Benchmark
    @OperationsPerInvocation(1000)
    public long hookOnly() {
        for (int i = 0; i < 1000; i++) {
            TaskAllocation.Mount m = TaskAllocation.beforeMount(null); // no task: the cost does not depend on it
            packed = TaskAllocation.afterMount(m, null, packed);
        }
        return packed;
    }

    @Benchmark
    @OperationsPerInvocation(SWITCHES)
    public int pingPong() {
        return host.call(root -> TaskScope.run(scope -> {
            Channel<Object> ping = Channel.create(1);
            Channel<Object> pong = Channel.create(1);
            scope.spawn("ponger", () -> {
                for (int i = 0; i < SWITCHES / 2; i++) {
                    pong.send(ping.receive());
                }
                return null;
            });
            scope.spawn("pinger", () -> {
                for (int i = 0; i < SWITCHES / 2; i++) {
                    ping.send(TOKEN);
                    pong.receive();
                }
                return null;
            });
            return SWITCHES;
        }));
    }
}
