package dev.weft.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.memory.DeepSizeEstimator;
import dev.weft.memory.SizeEstimate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.openjdk.jol.info.GraphLayout;

/**
 * When {@code java.util} is not opened (as in this test JVM), the estimator cannot read collection internals; its
 * models of default-constructed, grown-by-adding JDK collections still match JOL exactly, and the estimate says
 * it is not complete.
 */
class EstimatorModelsTest {
    private final DeepSizeEstimator estimator = new DeepSizeEstimator();

    @Test
    void testJvmDoesNotOpenJavaUtil() {
        assertThat(HashMap.class.getModule().isOpen("java.util", EstimatorModelsTest.class.getModule()))
                .as("this test is about the model path").isFalse();
    }

    @Test
    void defaultGrownCollectionsAreModelledExactlyButFlaggedIncomplete() {
        for (int n : new int[] {1, 12, 13, 200}) {
            Map<String, String> hash = new HashMap<>();
            Map<String, String> linked = new LinkedHashMap<>();
            TreeMap<String, String> tree = new TreeMap<>();
            HashSet<String> set = new HashSet<>();
            List<String> list = new ArrayList<>();
            ArrayDeque<String> deque = new ArrayDeque<>();
            for (int i = 0; i < n; i++) {
                String k = "k" + i;
                String v = "v" + i;
                hash.put(k, v);
                linked.put(k, v);
                tree.put(k, v);
                set.add(k);
                list.add(v);
                deque.add(k);
            }
            for (Object collection : List.of(hash, linked, tree, set, list, deque)) {
                SizeEstimate estimate = estimator.estimate(collection);
                assertThat(estimate.sizeBytes()).as("%s of %d", collection.getClass().getSimpleName(), n)
                        .isEqualTo(GraphLayout.parseInstance(collection).totalSize());
                assertThat(estimate.complete()).isFalse();
            }
        }
    }
}
