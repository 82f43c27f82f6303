package dev.weft.memory;

import dev.weft.internal.memory.Layout;
import dev.weft.internal.memory.LayoutDetection;

/**
 * The four object layouts a 64-bit HotSpot JVM of JDK 25 can use, and the one in force in this JVM.
 *
 * <p>Sizes in Weft are exact only relative to a layout: the same object is 16 bytes with compact headers
 * and 24 bytes with the default 12-byte headers. Compile-time sizes are generated for all four layouts and
 * {@link #select(long, long, long, long)} picks the one in force; the estimator applies the rules of
 * {@link #current()}.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=object-layout}
 *
 * <h2>The layouts</h2>
 * <table class="striped">
 * <caption>JDK 25 object layouts</caption>
 * <thead><tr><th>constant</th><th>flags</th><th>header</th><th>reference</th><th>array length at</th></tr></thead>
 * <tbody>
 * <tr><td>{@link #COMPRESSED_OOPS}</td><td>default (heap below 32 GiB)</td><td>12</td><td>4</td><td>12</td></tr>
 * <tr><td>{@link #COMPACT_HEADERS}</td><td>{@code -XX:+UseCompactObjectHeaders} (JEP 519)</td><td>8</td><td>4</td><td>8</td></tr>
 * <tr><td>{@link #UNCOMPRESSED_OOPS}</td><td>{@code -XX:-UseCompressedOops}, or a heap of 32 GiB or more</td><td>12</td><td>8</td><td>12</td></tr>
 * <tr><td>{@link #COMPACT_HEADERS_UNCOMPRESSED_OOPS}</td><td>{@code -XX:+UseCompactObjectHeaders} with
 * {@code -XX:-UseCompressedOops} or a heap of 32 GiB or more</td><td>8</td><td>8</td><td>8</td></tr>
 * </tbody>
 * </table>
 * Without compressed oops the class pointer stays compressed ({@code UseCompressedClassPointers} is on by
 * default in JDK 25), so the header is still 12 bytes, or 8 with compact headers; only references grow to
 * 8 bytes. Every object is aligned to 8 bytes ({@code -XX:ObjectAlignmentInBytes=8}, the default).
 *
 * <h2>Exceptions</h2>
 * {@link #current()} throws {@link UnsupportedOperationException} on a JVM that is not a 64-bit HotSpot, or
 * that runs a combination outside the four layouts above ({@code -XX:-UseCompressedClassPointers}, which
 * gives 16-byte headers and also turns compact headers off, or an object alignment other than 8); the
 * message names the flag to change.
 *
 * <h2>Thread safety</h2>
 * Immutable. Detection runs once, under the class initialisation lock of a holder class.
 */
public enum ObjectLayout {
    /** 12-byte headers (8-byte mark word and 4-byte compressed class pointer), 4-byte references: the default. */
    COMPRESSED_OOPS(Layout.COMPRESSED_OOPS),
    /** 8-byte headers with the class pointer inside the mark word ({@code -XX:+UseCompactObjectHeaders}). */
    COMPACT_HEADERS(Layout.COMPACT_HEADERS),
    /** 12-byte headers and 8-byte references ({@code -XX:-UseCompressedOops}, heaps of 32 GiB or more). */
    UNCOMPRESSED_OOPS(Layout.UNCOMPRESSED_OOPS),
    /**
     * 8-byte headers and 8-byte references: compact headers on a heap of 32 GiB or more, or with
     * {@code -XX:-UseCompressedOops}.
     */
    COMPACT_HEADERS_UNCOMPRESSED_OOPS(Layout.COMPACT_HEADERS_UNCOMPRESSED_OOPS);

    /** Every object starts at, and its size is a multiple of, this many bytes. */
    public static final int ALIGNMENT_BYTES = Layout.ALIGNMENT_BYTES;

    /** The machinery's view of this layout, which does the arithmetic (same name). */
    private final Layout rules;

    ObjectLayout(Layout rules) {
        assert rules.name().equals(name());
        this.rules = rules;
    }

    /** The machinery's view of this layout (for the estimator and the shapes). */
    Layout rules() {
        return rules;
    }

    /**
     * The layout of this JVM, detected on first use from the HotSpot flags and cached for the life of the JVM.
     *
     * @throws UnsupportedOperationException if the JVM runs none of the four layouts; the message names the flag
     */
    public static ObjectLayout current() {
        ObjectLayout layout = Current.LAYOUT;
        if (layout == null) {
            throw new UnsupportedOperationException(Current.FAILURE);
        }
        return layout;
    }

    /** Bytes of the object header, where the first field may start. */
    public int headerBytes() {
        return rules.headerBytes();
    }

    /** Bytes of a reference field or reference array element. */
    public int referenceBytes() {
        return rules.referenceBytes();
    }

    /** Offset of an array's {@code int} length field; the elements follow it. */
    public int arrayLengthOffsetBytes() {
        return rules.arrayLengthOffsetBytes();
    }

    /**
     * Bytes of a field or array element of the given type: 1 for {@code boolean} and {@code byte}, 2 for
     * {@code char} and {@code short}, 4 for {@code int} and {@code float}, 8 for {@code long} and {@code double},
     * {@link #referenceBytes()} for any reference type.
     */
    public int slotBytes(Class<?> type) {
        return rules.slotBytes(type);
    }

    /**
     * Offset of element 0 in an array of the given element type. It follows the length field, rounded up to
     * 8 for {@code long} and {@code double} elements (12 and 16 with compact headers, 16 otherwise).
     */
    public int arrayBaseOffsetBytes(Class<?> elementType) {
        return rules.arrayBaseOffsetBytes(elementType);
    }

    /**
     * Bytes of an array with the given element type and length: base offset plus elements, aligned to 8.
     *
     * @throws IllegalArgumentException if {@code length} is negative
     */
    public long arraySizeBytes(Class<?> elementType, int length) {
        return rules.arraySizeBytes(elementType, length);
    }

    /**
     * Picks the value generated for this layout; generated compile-time sizes call this once per constant.
     * The parameters follow the declaration order of the constants.
     *
     * {@snippet class=dev.weft.snippets.MemorySnippets region=layout-select}
     */
    public long select(long compressedOops, long compactHeaders, long uncompressedOops,
            long compactHeadersUncompressedOops) {
        return switch (this) {
            case COMPRESSED_OOPS -> compressedOops;
            case COMPACT_HEADERS -> compactHeaders;
            case UNCOMPRESSED_OOPS -> uncompressedOops;
            case COMPACT_HEADERS_UNCOMPRESSED_OOPS -> compactHeadersUncompressedOops;
        };
    }

    /**
     * Picks the value for this layout among the first three layouts, as sizes generated before
     * {@link #COMPACT_HEADERS_UNCOMPRESSED_OOPS} was modelled do.
     *
     * @throws UnsupportedOperationException on {@link #COMPACT_HEADERS_UNCOMPRESSED_OOPS}, which has no value here
     * @deprecated generated sizes call {@link #select(long, long, long, long)}; recompile classes whose
     *     generated sizes call this with the current {@code weft-processor}
     */
    @Deprecated(since = "0.1.0")
    public long select(long compressedOops, long compactHeaders, long uncompressedOops) {
        return switch (this) {
            case COMPRESSED_OOPS -> compressedOops;
            case COMPACT_HEADERS -> compactHeaders;
            case UNCOMPRESSED_OOPS -> uncompressedOops;
            case COMPACT_HEADERS_UNCOMPRESSED_OOPS -> throw new UnsupportedOperationException("this size was "
                    + "generated for three layouts, and this JVM runs a fourth, " + name() + " (compact headers "
                    + "with uncompressed oops); recompile the class with the current weft-processor, or run "
                    + "with a heap below 32 GiB");
        };
    }

    /** {@code bytes} rounded up to a multiple of {@link #ALIGNMENT_BYTES}. */
    public static long alignUp(long bytes) {
        return Layout.alignUp(bytes);
    }

    /** Lazy holder: detection reads HotSpot flags through the management API, so it runs only when needed. */
    private static final class Current {
        /** The detected layout, or null if detection failed. */
        static final ObjectLayout LAYOUT;
        /** Why detection failed (cause and fix), or null. */
        static final String FAILURE;

        static {
            ObjectLayout layout = null;
            String failure = null;
            try {
                layout = ObjectLayout.valueOf(LayoutDetection.detect().name());
            } catch (UnsupportedOperationException e) {
                failure = e.getMessage();
            }
            LAYOUT = layout;
            FAILURE = failure;
        }
    }
}
