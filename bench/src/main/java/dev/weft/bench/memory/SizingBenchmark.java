package dev.weft.bench.memory;

import dev.weft.memory.DeepSizeEstimator;
import dev.weft.memory.FixedLength;
import dev.weft.memory.StaticSize;
import dev.weft.memory.StaticSized;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.infra.Blackhole;
import org.openjdk.jol.info.GraphLayout;

/**
 * Cost of Weft's sizes: the deep-size estimator against JOL's {@code GraphLayout} on the same graphs,
 * and the cost of reading a compile-time size, which should be that of a constant.
 *
 * <p>Graphs: a {@code HashMap} of 1,000 string pairs (5,002 objects) and a binary tree of depth 12 (4,095
 * nodes, 8,190 objects with their arrays). Per-object cost = score / object count. {@code java.util} is opened
 * so that the estimator reads the map's internals exactly, as JOL does.
 *
 * <p>Run with {@code java -jar bench/target/benchmarks.jar 'dev.weft.bench.memory.SizingBenchmark' -f 2 -wi 3
 * -i 5 -w 1s -r 1s -jvmArgs "-Xms2g -Xmx2g -XX:+AlwaysPreTouch"}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 2, jvmArgsAppend = {"--add-opens=java.base/java.util=ALL-UNNAMED", "-Djol.magicFieldOffset=true"})
public class SizingBenchmark {
    /** Objects in {@link #map}: the map, its table, 1,000 nodes, 2,000 strings and their 2,000 byte arrays. */
    public static final int MAP_OBJECTS = 5_002;
    /** Objects in {@link #tree}: 4,095 nodes, each with a 2-element long array. */
    public static final int TREE_OBJECTS = 8_190;

    /** A tree node with a small payload. */
    static final class Node {
        final Node left;
        final Node right;
        final long[] payload = new long[2];

        Node(Node left, Node right) {
            this.left = left;
            this.right = right;
        }

        static Node tree(int depth) {
            return depth == 0 ? null : new Node(tree(depth - 1), tree(depth - 1));
        }
    }

    /** A compile-time-sized class; its sizes are generated into {@code SizingBenchmark_SampleStaticSize}. */
    @StaticSize
    record Sample(long timeNs, double value, @FixedLength(4) int[] tags) implements StaticSized {
        @Override
        public long deepSizeBytesMax() {
            return SizingBenchmark_SampleStaticSize.DEEP_BYTES;
        }
    }

    private Map<String, String> map; // benchmark thread only
    private Node tree; // benchmark thread only
    private Sample sample; // benchmark thread only
    private DeepSizeEstimator estimator; // benchmark thread only

    /** Builds the graphs and checks that both tools agree on them before measuring. */
    @Setup
    public void setup() {
        map = new HashMap<>();
        for (int i = 0; i < 1_000; i++) {
            map.put("key-" + i, "value-" + i * 31);
        }
        tree = Node.tree(12);
        sample = new Sample(1, 2, new int[4]);
        estimator = new DeepSizeEstimator();
        check(map, MAP_OBJECTS);
        check(tree, TREE_OBJECTS);
    }

    private void check(Object graph, int objects) {
        GraphLayout jol = GraphLayout.parseInstance(graph);
        long weft = estimator.deepSizeBytes(graph);
        if (jol.totalSize() != weft || jol.totalCount() != objects) {
            throw new IllegalStateException("estimator says " + weft + " bytes, JOL " + jol.totalSize() + " bytes in "
                    + jol.totalCount() + " objects (expected " + objects + "); the comparison would be meaningless");
        }
    }

    /** Weft estimator, HashMap of strings. */
    @Benchmark
    public long estimatorHashMap() {
        return estimator.deepSizeBytes(map);
    }

    /** JOL GraphLayout, HashMap of strings. */
    @Benchmark
    public long jolHashMap() {
        return GraphLayout.parseInstance(map).totalSize();
    }

    /** Weft estimator, binary tree. */
    @Benchmark
    public long estimatorTree() {
        return estimator.deepSizeBytes(tree);
    }

    /** JOL GraphLayout, binary tree. */
    @Benchmark
    public long jolTree() {
        return GraphLayout.parseInstance(tree).totalSize();
    }

    /** Reading a compile-time size through the trait: should cost what returning a constant costs. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long staticSizeRead() {
        return sample.deepSizeBytesMax();
    }

    /** Baseline for {@link #staticSizeRead}: a literal constant. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public long constantBaseline() {
        return 64L;
    }

    /** Estimating the same small object at run time, for contrast with the compile-time read. */
    @Benchmark
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void estimatorSample(Blackhole bh) {
        bh.consume(estimator.deepSizeBytes(sample));
    }
}
