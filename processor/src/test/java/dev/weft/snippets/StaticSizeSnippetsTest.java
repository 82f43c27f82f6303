package dev.weft.snippets;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.memory.ObjectLayout;
import org.junit.jupiter.api.Test;

/** The Javadoc examples of compile-time sizes compile with the processor and mean what their comments say. */
class StaticSizeSnippetsTest {
    @Test
    void theSampleExampleIsSixtyFourBytesWithTwelveByteHeaders() {
        ObjectLayout layout = ObjectLayout.current();
        if (layout.headerBytes() == 12 && layout.referenceBytes() == 4) {
            assertThat(new Sample(1, 2, new int[4]).deepSizeBytesMax()).isEqualTo(64);
        }
        assertThat(SampleStaticSize.DEEP_BYTES).isPositive();
        assertThat(SlotStaticSize.DEEP_BYTES).isGreaterThan(SlotStaticSize.SHALLOW_BYTES);
        assertThat(MatrixStaticSize.DEEP_BYTES).isGreaterThan(MatrixStaticSize.SHALLOW_BYTES);
    }
}
