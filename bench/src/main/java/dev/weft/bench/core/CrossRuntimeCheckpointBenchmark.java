package dev.weft.bench.core;

import dev.weft.CancelScope;
import dev.weft.Cancellation;
import dev.weft.Channel;
import dev.weft.ChannelClosedException;
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
 * What one runtime's cancellation costs another's checkpoints. The cancel state's fast path is one process-wide
 * counter of cancelled, entered scopes (the agent's compiled check needs a single static read); while it is
 * non-zero, every checkpoint in the process finds its task and walks its scope chain. {@code other = idle}: a
 * second runtime runs with nothing cancelled; {@code other = cancelled}: it holds a task waiting, shielded, inside
 * a cancelled scope for the whole measurement. One operation is one {@link Cancellation#checkpoint()} in a task of
 * the measured runtime, whose own scopes are not cancelled.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "--enable-preview",
        "-Xms2g", "-Xmx2g", "-XX:+AlwaysPreTouch"})
public class CrossRuntimeCheckpointBenchmark {
    static final int CHECKPOINTS = 10_000;

    @Param({"idle", "cancelled"})
    public String other;

    private WeftHost measured;
    private WeftHost second;
    private Channel<String> release;

    @Setup(Level.Trial)
    public void setUp() {
        measured = new WeftHost(WeftHost.options().loops(1).name("measured"));
        second = new WeftHost(WeftHost.options().loops(1).name("other"));
        release = Channel.create(1);
        if (other.equals("cancelled")) {
            Channel<String> entered = Channel.create(1);
            second.call(scope -> {
                scope.spawn("held-cancel", () -> {
                    CancelScope cancelled = CancelScope.create();
                    cancelled.cancel();
                    cancelled.run(() -> CancelScope.create().shield(true).run(() -> {
                        entered.send("in");
                        try {
                            release.receive();
                        } catch (ChannelClosedException done) {
                            // teardown
                        }
                    }));
                    return null;
                });
                return entered.receive();
            });
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws InterruptedException {
        release.close();
        second.close();
        measured.close();
    }

    @Benchmark
    @OperationsPerInvocation(CHECKPOINTS)
    public int checkpoint() {
        return measured.call(scope -> {
            int n = 0;
            for (int i = 0; i < CHECKPOINTS; i++) {
                Cancellation.checkpoint();
                n++;
            }
            return n;
        });
    }

    /** The same loop, for scale, with Weft's cheapest query (no task lookup while nothing is cancelled). */
    @Benchmark
    @OperationsPerInvocation(CHECKPOINTS)
    public int isCancelled() {
        return measured.call(scope -> {
            int n = 0;
            for (int i = 0; i < CHECKPOINTS; i++) {
                if (!Cancellation.isCancelled()) {
                    n++;
                }
            }
            return n;
        });
    }
}
