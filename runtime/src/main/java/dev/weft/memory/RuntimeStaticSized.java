package dev.weft.memory;

/**
 * An object whose maximum footprint is fixed when it is constructed from its configuration and never exceeded:
 * the middle sizing trait, between {@link StaticSized} and {@link Sized}.
 *
 * <p>Build such objects by preallocating everything they will ever hold as soon as the configuration is
 * known, and report the committed total. {@link Sizes} does the arithmetic with overflow checks.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=ring-buffer}
 *
 * <h2>Contract</h2>
 * {@link #deepSizeBytesMax()} returns the same value for the life of the object, and at every moment
 * {@code deepSizeBytes() <= deepSizeBytesMax()}. The default {@link #deepSizeBytes()} returns the maximum,
 * which is exact for objects that preallocate; override it if the object can report less. "Deep" has the
 * meaning defined in {@link Sized}.
 *
 * <h2>Thread safety</h2>
 * {@link #deepSizeBytesMax()} must be safe to call from any thread once the object is safely published
 * (a final field is enough).
 */
public interface RuntimeStaticSized extends Sized {

    /** The most bytes this object will ever occupy, fixed at construction; never negative. */
    long deepSizeBytesMax();

    /** The current footprint; by default the committed maximum, since runtime-static objects preallocate. */
    @Override
    default long deepSizeBytes() {
        return deepSizeBytesMax();
    }
}
