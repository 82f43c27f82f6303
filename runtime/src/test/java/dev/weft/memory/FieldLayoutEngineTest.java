package dev.weft.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.internal.memory.FieldLayoutEngine;
import dev.weft.internal.memory.FieldLayoutEngine.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The replayed HotSpot layout keeps the JVM's invariants, and reproduces the gap-filling cases JOL shows for
 * JDK 25 (the exhaustive comparison against JOL runs in forked JVMs in the processor module).
 */
class FieldLayoutEngineTest {

    @ParameterizedTest
    @EnumSource(ObjectLayout.class)
    void randomClassHierarchiesNeverOverlapMisalignOrWaste8Bytes(ObjectLayout layout) {
        Random random = new Random(42);
        for (int trial = 0; trial < 2_000; trial++) {
            Shape shape = FieldLayoutEngine.root(layout.rules());
            int depth = 1 + random.nextInt(4);
            long payload = 0;
            for (int level = 0; level < depth; level++) {
                int n = random.nextInt(6);
                int[] sizes = new int[n];
                boolean[] reference = new boolean[n];
                for (int i = 0; i < n; i++) {
                    reference[i] = random.nextInt(4) == 0;
                    sizes[i] = reference[i] ? layout.referenceBytes() : 1 << random.nextInt(4);
                    payload += sizes[i];
                }
                Shape superShape = shape;
                FieldLayoutEngine.Result result = FieldLayoutEngine.extend(layout.rules(), superShape, sizes, reference);
                shape = result.shape();
                int[] own = result.ownOffsetsBytes();
                for (int i = 0; i < n; i++) {
                    assertThat(own[i] % sizes[i]).as("field aligned to its size").isZero();
                    assertThat(own[i]).as("field after the header").isGreaterThanOrEqualTo(layout.headerBytes());
                }
                assertThat(shape.sizeBytes()).as("a subclass is never smaller").isGreaterThanOrEqualTo(superShape.sizeBytes());
            }
            int[] offsets = shape.offsetsBytes();
            int[] sizes = shape.sizesBytes();
            for (int i = 1; i < offsets.length; i++) {
                assertThat(offsets[i]).as("fields sorted and disjoint").isGreaterThanOrEqualTo(offsets[i - 1] + sizes[i - 1]);
            }
            assertThat(shape.sizeBytes() % ObjectLayout.ALIGNMENT_BYTES).isZero();
            assertThat((long) shape.sizeBytes()).as("holds header and payload")
                    .isGreaterThanOrEqualTo(layout.headerBytes() + payload);
        }
    }

    @Test
    void compactHeadersLetASubclassIntFillTheGapAfterASuperclassByte() {
        Shape base = FieldLayoutEngine.extend(ObjectLayout.COMPACT_HEADERS.rules(), FieldLayoutEngine.root(ObjectLayout.COMPACT_HEADERS.rules()),
                new int[] {1}, new boolean[] {false}).shape();
        FieldLayoutEngine.Result sub = FieldLayoutEngine.extend(ObjectLayout.COMPACT_HEADERS.rules(), base,
                new int[] {8, 4}, new boolean[] {false, false});
        assertThat(sub.ownOffsetsBytes()).containsExactly(16, 12); // long after the gap, int inside it
        assertThat(sub.shape().sizeBytes()).isEqualTo(24);
    }

    @Test
    void primitivesArePlacedBeforeReferencesEvenWhenThatWastesTheHeaderGap() {
        FieldLayoutEngine.Result r = FieldLayoutEngine.extend(ObjectLayout.COMPRESSED_OOPS.rules(),
                FieldLayoutEngine.root(ObjectLayout.COMPRESSED_OOPS.rules()), new int[] {4, 1}, new boolean[] {true, false});
        assertThat(r.ownOffsetsBytes()).containsExactly(16, 12); // the byte takes the gap, the reference moves on
        assertThat(r.shape().sizeBytes()).isEqualTo(24);
    }

    @Test
    void emptyClassIsOnlyAHeader() {
        assertThat(FieldLayoutEngine.root(ObjectLayout.COMPACT_HEADERS.rules()).sizeBytes()).isEqualTo(8);
        assertThat(FieldLayoutEngine.root(ObjectLayout.COMPRESSED_OOPS.rules()).sizeBytes()).isEqualTo(16);
    }

    @Test
    void invalidFieldSizesAreRejectedWithTheCause() {
        Shape root = FieldLayoutEngine.root(ObjectLayout.COMPRESSED_OOPS.rules());
        assertThatThrownBy(() -> FieldLayoutEngine.extend(ObjectLayout.COMPRESSED_OOPS.rules(), root, new int[] {3}, new boolean[] {false}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("size 3 bytes");
        assertThatThrownBy(() -> FieldLayoutEngine.extend(ObjectLayout.COMPRESSED_OOPS.rules(), root, new int[] {8}, new boolean[] {true}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("reference size (4)");
    }
}
