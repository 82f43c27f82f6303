package dev.weft.snippets;

import dev.weft.memory.FixedLength;
import dev.weft.memory.StaticSize;
import dev.weft.memory.StaticSized;

/** The example of {@code StaticSized}: compiled with the annotation processor, as a user's code is. */
// @start region=sample
@StaticSize
record Sample(long timeNs, double value, @FixedLength(4) int[] tags) implements StaticSized {
    @Override
    public long deepSizeBytesMax() {
        return SampleStaticSize.DEEP_BYTES; // 64 with 12-byte headers: 32 for Sample, 32 for int[4]
    }
}
// @end
