package dev.weft.snippets;

import dev.weft.memory.FixedLength;
import dev.weft.memory.StaticSize;

/** The example of {@code StaticSize}: compiled with the annotation processor, as a user's code is. */
// @start region=slot
@StaticSize
final class Slot {
    long sequence;
    final @FixedLength(64) byte[] payload = new byte[64];
    final Header header = new Header(); // Header is a final @StaticSize class
}
// generated: SlotStaticSize.SHALLOW_BYTES, SlotStaticSize.DEEP_BYTES (and one constant per layout)
// @end
