package dev.weft.bench.agent;

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
import org.openjdk.jmh.annotations.Warmup;

/**
 * cost of compiled cancellation points on CPU kernels, plain versus instrumented, side by side.
 *
 * <p>{@code variant}: {@code plain} (the kernels as compiled), {@code backedge} (the agent's default policy:
 * a check at every back-edge, counted loops strip-mined), {@code entry} (also a check at every method entry), {@code unmined} (backedge
 * with strip mining off: what a check at every back-edge costs a vectorizable loop), {@code every64} (the
 * {@code backedge/64} policy: a counter local, the check every 64th back-edge).
 *
 * <p>Run with {@code ./weft bench 'CheckpointOverheadBenchmark' -p variant=plain,backedge}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 2, jvmArgsAppend = {"--add-opens", "java.base/java.lang=ALL-UNNAMED", "-Xms2g", "-Xmx2g",
        "-XX:+AlwaysPreTouch"})
public class CheckpointOverheadBenchmark {
    @Param({"plain", "backedge", "entry", "unmined", "every64", "chunk1024"})
    public String variant;

    KernelSuite k;
    int[] ints = new int[4096];
    byte[] bytes = new byte[4096];
    int[] out = new int[4096];
    double[] ma = new double[128 * 128];
    double[] mb = new double[128 * 128];
    double[] mc = new double[128 * 128];
    String s1 = "the quick brown fox jumps over the lazy dog and keeps on running";
    String s2 = "a quick brown dog jumps over the lazy fox and then keeps running";

    @Setup(Level.Trial)
    public void setUp() {
        k = KernelLoader.load(switch (variant) {
            case "plain" -> null;
            case "backedge" -> "";
            case "entry" -> "default=entry";
            case "unmined" -> "stripmine=false";
            case "every64" -> "default=backedge/64";
            case "chunk1024" -> "chunk=1024"; // strip mining with a fixed chunk, as before chunks were sized by the body
            default -> throw new IllegalArgumentException("unknown variant " + variant);
        });
        for (int i = 0; i < ints.length; i++) {
            ints[i] = i * 31;
            bytes[i] = (byte) (i * 131);
        }
        for (int i = 0; i < ma.length; i++) {
            ma[i] = i % 7;
            mb[i] = i % 5;
        }
    }

    @Benchmark
    public long sum() {
        return k.sum(ints);
    }

    @Benchmark
    public int[] scale() {
        k.scale(out, ints, 3);
        return out;
    }

    @Benchmark
    public double[] matmul128() {
        k.matmul(ma, mb, mc, 128);
        return mc;
    }

    @Benchmark
    public long fib20() {
        return k.fib(20);
    }

    @Benchmark
    public int stringBuild() {
        return k.stringBuild(1000);
    }

    @Benchmark
    public long collections() {
        return k.collections(1000);
    }

    @Benchmark
    public int lang3Levenshtein() {
        return k.lang3(s1, s2);
    }

    /** Commons Codec (its suite runs under the agent in every build): Base64 round trip of 4 KiB. */
    @Benchmark
    public int codecBase64() {
        return k.codec(bytes);
    }
}
