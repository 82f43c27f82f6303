package dev.weft.snippets;

import dev.weft.memory.StaticSize;

/** A part of the {@code Slot} example. */
@StaticSize
final class Header {
    long id;
    int flags;
}
