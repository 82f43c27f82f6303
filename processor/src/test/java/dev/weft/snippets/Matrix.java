package dev.weft.snippets;

import dev.weft.memory.FixedLength;
import dev.weft.memory.Sizes;
import dev.weft.memory.StaticSize;

/** The example of {@code FixedLength}: compiled with the annotation processor, as a user's code is. */
// @start region=matrix
@StaticSize
record Matrix(@FixedLength({4, 4}) double[][] cells) {
    Matrix {
        Sizes.requireLength(cells, 4, "cells");
    }
}
// @end
