package dev.weft.memory;

/**
 * An object that reports its own current memory footprint: the broadest of Weft's three sizing traits.
 *
 * <p>Weft prefers sizes known early. {@link StaticSized} (known when the class is compiled) is best,
 * {@link RuntimeStaticSized} (fixed when the object is built from its configuration) second, and {@code Sized}
 * (measured now, may change) the fallback. Each stricter trait extends the broader ones, so a budget that
 * accepts a {@code Sized} accepts all three.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=inbox}
 *
 * <h2>What "deep" counts</h2>
 * The deep size is the retained footprint this object is responsible for: its own shallow size plus every
 * object it owns, reachable through its fields and array elements, each counted once however many paths lead
 * to it. Not counted: objects the program shares process-wide and that outlive this object (classes, class
 * loaders, modules, threads, enum constants, and anything the implementation documents as shared, such as a
 * cache it borrows); objects reachable only through weak, soft or phantom references, which do not retain
 * them; off-heap memory unless the implementation documents that it adds it. Sizes are in bytes
 * on the {@linkplain ObjectLayout#current() layout in force}, including header and alignment padding.
 *
 * <h2>Thread safety</h2>
 * Implementations say whether {@link #deepSizeBytes()} may be called while other threads mutate the object;
 * a size read under a race is only an estimate.
 */
public interface Sized {

    /**
     * The current deep footprint of this object in bytes, as defined in the class documentation; never negative.
     */
    long deepSizeBytes();
}
