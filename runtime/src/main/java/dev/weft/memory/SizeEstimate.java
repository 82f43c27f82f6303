package dev.weft.memory;

/**
 * The result of {@link DeepSizeEstimator#estimate(Object, Object...)}.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=size-estimate}
 *
 * @param sizeBytes   deep size in bytes, as defined in {@link Sized}
 * @param objectCount how many objects the size covers (modelled internals included)
 * @param complete    true if every object was measured exactly; false if some were modelled or the
 *                    estimator's {@code objectsMax} stopped the walk
 */
public record SizeEstimate(long sizeBytes, long objectCount, boolean complete) {
    /** Validates that sizes and counts are not negative. */
    public SizeEstimate {
        if (sizeBytes < 0 || objectCount < 0) {
            throw new IllegalArgumentException("sizeBytes " + sizeBytes + " and objectCount " + objectCount
                    + " must be >= 0");
        }
    }
}
