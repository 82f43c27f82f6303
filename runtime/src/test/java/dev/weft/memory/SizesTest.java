package dev.weft.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Size arithmetic refuses to wrap or go negative, and explains how to fix the input. */
class SizesTest {

    @Test
    void handlersTimesFootprintOverflowIsAnErrorNamingTheOperands() {
        assertThat(Sizes.multiply(64, 1_000)).isEqualTo(64_000);
        assertThatThrownBy(() -> Sizes.multiply(1L << 40, 1L << 30))
                .isInstanceOf(ArithmeticException.class)
                .hasMessageContaining(Long.toString(1L << 40)).hasMessageContaining("check the configured counts");
        assertThatThrownBy(() -> Sizes.multiply(Long.MAX_VALUE, 2)).isInstanceOf(ArithmeticException.class);
        assertThat(Sizes.multiply(Long.MAX_VALUE, 1)).isEqualTo(Long.MAX_VALUE);
        assertThat(Sizes.multiply(0, Long.MAX_VALUE)).isZero();
    }

    @Test
    void sumsOverflowAndNegativeSizesAreErrors() {
        assertThat(Sizes.sum(1, 2, 3)).isEqualTo(6);
        assertThat(Sizes.sum()).isZero();
        assertThatThrownBy(() -> Sizes.sum(Long.MAX_VALUE, 1)).isInstanceOf(ArithmeticException.class);
        assertThatThrownBy(() -> Sizes.add(-1, 5)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a is -1");
        assertThatThrownBy(() -> Sizes.multiply(3, -8)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("bytesEach is -8");
    }

    @ParameterizedTest
    @EnumSource(ObjectLayout.class)
    void arraySizeIsBasePlusElementsAlignedTo8(ObjectLayout layout) {
        for (Class<?> element : new Class<?>[] {boolean.class, byte.class, char.class, short.class, int.class,
                float.class, long.class, double.class, String.class}) {
            long previous = 0;
            for (int length = 0; length < 40; length++) {
                long size = layout.arraySizeBytes(element, length);
                long payload = layout.arrayBaseOffsetBytes(element) + (long) length * layout.slotBytes(element);
                assertThat(size % 8).isZero();
                assertThat(size).isBetween(payload, payload + 7).isGreaterThanOrEqualTo(previous);
                previous = size;
            }
        }
        assertThatThrownBy(() -> layout.arraySizeBytes(int.class, -1)).hasMessageContaining("length -1 is negative");
        assertThatThrownBy(() -> layout.slotBytes(void.class)).hasMessageContaining("void has no size");
    }

    @Test
    void bufferIsTheBufferObjectPlusItsArray() {
        assertThat(Sizes.byteBufferSizeBytes(4096)).isEqualTo(
                Sizes.shallowSizeBytes(java.nio.ByteBuffer.allocate(1).getClass()) + Sizes.arraySizeBytes(byte.class, 4096));
    }

    @Test
    void shallowSizeOfAnArrayTypeExplainsToUseTheArrayHelper() {
        assertThatThrownBy(() -> Sizes.shallowSizeBytes(int[].class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Sizes.arraySizeBytes");
        assertThatThrownBy(() -> Sizes.shallowSizeBytes(Runnable.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pass a class");
    }

    @Test
    void requireLengthNamesTheFieldAndTheDeclaredLength() {
        int[] ok = new int[4];
        assertThat(Sizes.requireLength(ok, 4, "tags")).isSameAs(ok);
        assertThatThrownBy(() -> Sizes.requireLength(new int[3], 4, "tags"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("tags has length 3 but is declared @FixedLength(4); allocate it with length 4 or change the annotation");
        assertThatThrownBy(() -> Sizes.requireLength(null, 4, "tags")).isInstanceOf(NullPointerException.class)
                .hasMessageContaining("tags is null");
        assertThatThrownBy(() -> Sizes.requireLength("x", 4, "tags")).hasMessageContaining("not an array");
    }

    @Test
    void layoutSelectPicksTheValueForEachLayout() {
        assertThat(ObjectLayout.COMPRESSED_OOPS.select(1, 2, 3, 4)).isEqualTo(1);
        assertThat(ObjectLayout.COMPACT_HEADERS.select(1, 2, 3, 4)).isEqualTo(2);
        assertThat(ObjectLayout.UNCOMPRESSED_OOPS.select(1, 2, 3, 4)).isEqualTo(3);
        assertThat(ObjectLayout.COMPACT_HEADERS_UNCOMPRESSED_OOPS.select(1, 2, 3, 4)).isEqualTo(4);
    }

    @Test
    @SuppressWarnings("deprecation")
    void threeLayoutSelectRefusesTheFourthLayoutAndSaysToRecompile() {
        assertThat(ObjectLayout.COMPRESSED_OOPS.select(1, 2, 3)).isEqualTo(1);
        assertThat(ObjectLayout.COMPACT_HEADERS.select(1, 2, 3)).isEqualTo(2);
        assertThat(ObjectLayout.UNCOMPRESSED_OOPS.select(1, 2, 3)).isEqualTo(3);
        assertThatThrownBy(() -> ObjectLayout.COMPACT_HEADERS_UNCOMPRESSED_OOPS.select(1, 2, 3))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("recompile the class with the current weft-processor");
    }

    @Test
    void compactHeadersWithUncompressedOopsHave8ByteHeadersAnd8ByteReferences() {
        ObjectLayout layout = ObjectLayout.COMPACT_HEADERS_UNCOMPRESSED_OOPS;
        assertThat(layout.headerBytes()).isEqualTo(8);
        assertThat(layout.referenceBytes()).isEqualTo(8);
        assertThat(layout.arrayLengthOffsetBytes()).isEqualTo(8);
        // measured with JOL on JDK 25 (-XX:+UseCompactObjectHeaders -XX:-UseCompressedOops)
        assertThat(layout.arrayBaseOffsetBytes(int.class)).isEqualTo(12);
        assertThat(layout.arrayBaseOffsetBytes(long.class)).isEqualTo(16);
        assertThat(layout.arrayBaseOffsetBytes(Object.class)).isEqualTo(16);
        assertThat(layout.arraySizeBytes(Object.class, 1)).isEqualTo(24);
        assertThat(layout.arraySizeBytes(byte.class, 0)).isEqualTo(16);
        assertThat(Sizes.shallowSizeBytes(Object.class, layout)).isEqualTo(8);
    }

    @Test
    void apiAndMachineryListTheLayoutsInTheSameOrder() {
        // the processor writes select(...) arguments in the machinery's order
        assertThat(java.util.Arrays.stream(ObjectLayout.values()).map(Enum::name))
                .containsExactlyElementsOf(java.util.Arrays.stream(dev.weft.internal.memory.Layout.values())
                        .map(Enum::name).toList());
    }
}
