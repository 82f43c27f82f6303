package dev.weft.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The estimator's semantics: each object once, cycles, shared objects excluded, enums and classes not owned,
 * bounded work. Exact agreement with JOL on every layout is checked in the processor module's forked JVMs.
 */
class DeepSizeEstimatorTest {
    private final DeepSizeEstimator estimator = new DeepSizeEstimator();
    private final ObjectLayout layout = estimator.layout();

    static final class Node {
        Node next;
        long[] payload;
        TimeUnit unit = TimeUnit.SECONDS;
        Class<?> type = Node.class;

        Node(int payloadLength) {
            payload = new long[payloadLength];
        }
    }

    private long node(int payloadLength) {
        return Sizes.shallowSizeBytes(Node.class, layout) + layout.arraySizeBytes(long.class, payloadLength);
    }

    @Test
    void nullIsZeroAndAPrimitiveArrayIsItsOwnSize() {
        assertThat(estimator.deepSizeBytes(null)).isZero();
        assertThat(estimator.deepSizeBytes(new byte[100])).isEqualTo(layout.arraySizeBytes(byte.class, 100));
    }

    @Test
    void enumConstantsAndClassesAreSharedAndNotCounted() {
        assertThat(estimator.deepSizeBytes(new Node(3))).isEqualTo(node(3));
        assertThat(estimator.deepSizeBytes(TimeUnit.SECONDS)).isZero();
    }

    @Test
    void cyclesTerminateAndEveryObjectCountsOnce() {
        Node a = new Node(1);
        Node b = new Node(2);
        a.next = b;
        b.next = a;
        SizeEstimate estimate = estimator.estimate(a);
        assertThat(estimate.sizeBytes()).isEqualTo(node(1) + node(2));
        assertThat(estimate.objectCount()).isEqualTo(4);
        assertThat(estimate.complete()).isTrue();
        assertThat(estimator.deepSizeBytes(b)).as("same graph from the other root").isEqualTo(estimate.sizeBytes());
    }

    @Test
    void anObjectReachedTwiceIsCountedOnce() {
        Node shared = new Node(10);
        Object[] twice = {shared, shared};
        assertThat(estimator.deepSizeBytes(twice)).isEqualTo(layout.arraySizeBytes(Object.class, 2) + node(10));
    }

    @Test
    void sharedObjectsAndWhatOnlyTheyReachAreExcluded() {
        Node cache = new Node(100);
        cache.next = new Node(50);
        Node owner = new Node(1);
        owner.next = cache;
        assertThat(estimator.estimate(owner, cache).sizeBytes()).isEqualTo(node(1));
        assertThat(estimator.estimate(owner).sizeBytes()).isEqualTo(node(1) + node(100) + node(50));
    }

    @Test
    void objectsMaxBoundsTheWorkAndMarksTheEstimateIncomplete() {
        Node head = new Node(0);
        Node tail = head;
        for (int i = 0; i < 1_000; i++) {
            tail.next = new Node(0);
            tail = tail.next;
        }
        DeepSizeEstimator bounded = new DeepSizeEstimator(layout, 100);
        SizeEstimate estimate = bounded.estimate(head);
        assertThat(estimate.complete()).isFalse();
        assertThat(estimate.objectCount()).isEqualTo(100);
        assertThat(bounded.estimate(new Node(0)).complete()).as("the next call starts afresh").isTrue();
        // A collection whose internals are approximated adds its objects at once: the bound still stops the walk.
        List<Node> many = new ArrayList<>();
        Map<Integer, List<Node>> big = new HashMap<>();
        for (int i = 0; i < 5_000; i++) {
            big.put(i, many);
        }
        many.add(new Node(1));
        SizeEstimate boundedMap = new DeepSizeEstimator(layout, 10).estimate(big);
        assertThat(boundedMap.complete()).isFalse();
        assertThat(boundedMap.objectCount()).isLessThan(estimator.estimate(big).objectCount());
        assertThatThrownBy(() -> new DeepSizeEstimator(layout, 0)).hasMessageContaining("objectsMax is 0");
    }

    @Test
    void reusingOneEstimatorGivesTheSameAnswerAsAFreshOne() {
        Map<Integer, Node> map = new HashMap<>();
        for (int i = 0; i < 5_000; i++) {
            map.put(i, new Node(i % 7));
        }
        long first = estimator.deepSizeBytes(map);
        assertThat(estimator.deepSizeBytes(map)).isEqualTo(first);
        assertThat(new DeepSizeEstimator().deepSizeBytes(map)).isEqualTo(first);
        assertThat(Sizes.deepSizeBytes(map)).isEqualTo(first);
    }

    @Test
    void aSmallGraphMeasuredAfterALargeOneSeesNoLeftovers() {
        Object[] large = new Object[20_000];
        Node shared = new Node(4);
        for (int i = 0; i < large.length; i++) {
            large[i] = i % 2 == 0 ? shared : new Node(1);
        }
        long fresh = new DeepSizeEstimator().deepSizeBytes(shared);
        estimator.deepSizeBytes(large);
        assertThat(estimator.deepSizeBytes(shared)).as("shared was visited by the previous call").isEqualTo(fresh);
        assertThat(estimator.estimate(new Object[] {shared, shared}).objectCount()).isEqualTo(3);
    }

    @Test
    void weakAndSoftReferentsAreNotRetainedSoNotCounted() {
        byte[] big = new byte[1 << 20];
        java.lang.ref.WeakReference<byte[]> weak = new java.lang.ref.WeakReference<>(big);
        java.lang.ref.SoftReference<byte[]> soft = new java.lang.ref.SoftReference<>(big);
        SizeEstimate estimate = estimator.estimate(new Object[] {weak, soft});
        assertThat(estimate.sizeBytes()).isEqualTo(layout.arraySizeBytes(Object.class, 2)
                + Sizes.shallowSizeBytes(java.lang.ref.WeakReference.class, layout)
                + Sizes.shallowSizeBytes(java.lang.ref.SoftReference.class, layout));
        assertThat(estimate.complete()).isTrue();
        assertThat(big).hasSize(1 << 20); // keeps big strongly reachable until here
    }

    @Test
    void latin1AndUtf16StringsAreSizedByTheirCoder() {
        long latin1 = estimator.deepSizeBytes("abcdefghij");
        long utf16 = estimator.deepSizeBytes("абвгдежзий");
        long shallow = Sizes.shallowSizeBytes(String.class, layout);
        assertThat(latin1).isEqualTo(shallow + layout.arraySizeBytes(byte.class, 10));
        assertThat(utf16).isEqualTo(shallow + layout.arraySizeBytes(byte.class, 20));
    }
}
