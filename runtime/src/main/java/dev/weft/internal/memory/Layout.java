package dev.weft.internal.memory;

/**
 * The four object layouts of a 64-bit HotSpot JVM of JDK 25 as the sizing machinery sees them: header and
 * reference sizes, and the rules that follow from them. The public face is {@code dev.weft.memory.ObjectLayout},
 * one constant for each constant here, with the same names, whose methods delegate here; this package never
 * names the API, so that the API is built on the machinery and not the other way round.
 *
 * <h2>Thread safety</h2>
 * Immutable.
 */
public enum Layout {
    /** 12-byte headers, 4-byte references: the default. */
    COMPRESSED_OOPS(12, 4, 12),
    /** 8-byte headers with the class pointer inside the mark word ({@code -XX:+UseCompactObjectHeaders}). */
    COMPACT_HEADERS(8, 4, 8),
    /** 12-byte headers and 8-byte references ({@code -XX:-UseCompressedOops}, heaps of 32 GiB or more). */
    UNCOMPRESSED_OOPS(12, 8, 12),
    /** 8-byte headers and 8-byte references (compact headers on a heap of 32 GiB or more, or without compressed oops). */
    COMPACT_HEADERS_UNCOMPRESSED_OOPS(8, 8, 8);

    /** Every object starts at, and its size is a multiple of, this many bytes. */
    public static final int ALIGNMENT_BYTES = 8;

    private final int headerBytes;
    private final int referenceBytes;
    private final int arrayLengthOffsetBytes;

    Layout(int headerBytes, int referenceBytes, int arrayLengthOffsetBytes) {
        this.headerBytes = headerBytes;
        this.referenceBytes = referenceBytes;
        this.arrayLengthOffsetBytes = arrayLengthOffsetBytes;
    }

    /** Bytes of the object header, where the first field may start. */
    public int headerBytes() {
        return headerBytes;
    }

    /** Bytes of a reference field or reference array element. */
    public int referenceBytes() {
        return referenceBytes;
    }

    /** Offset of an array's {@code int} length field; the elements follow it. */
    public int arrayLengthOffsetBytes() {
        return arrayLengthOffsetBytes;
    }

    /** Bytes of a field or array element of the given type (see {@code ObjectLayout.slotBytes}). */
    public int slotBytes(Class<?> type) {
        if (type == void.class) {
            throw new IllegalArgumentException("void has no size; pass a field or array element type");
        }
        if (!type.isPrimitive()) {
            return referenceBytes;
        }
        if (type == long.class || type == double.class) {
            return 8;
        }
        if (type == int.class || type == float.class) {
            return 4;
        }
        if (type == char.class || type == short.class) {
            return 2;
        }
        return 1;
    }

    /** Offset of element 0 in an array of the given element type (see {@code ObjectLayout.arrayBaseOffsetBytes}). */
    public int arrayBaseOffsetBytes(Class<?> elementType) {
        int base = arrayLengthOffsetBytes + Integer.BYTES;
        if (elementType == long.class || elementType == double.class || slotBytes(elementType) == 8) {
            base = alignUp(base);
        }
        return base;
    }

    /**
     * Bytes of an array with the given element type and length: base offset plus elements, aligned to 8.
     *
     * @throws IllegalArgumentException if {@code length} is negative
     */
    public long arraySizeBytes(Class<?> elementType, int length) {
        if (length < 0) {
            throw new IllegalArgumentException("array length " + length + " is negative; pass a length >= 0");
        }
        return alignUp(arrayBaseOffsetBytes(elementType) + (long) length * slotBytes(elementType));
    }

    /** {@code bytes} rounded up to a multiple of {@link #ALIGNMENT_BYTES}. */
    public static long alignUp(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("size " + bytes + " bytes is negative; sizes must be >= 0");
        }
        return (bytes + ALIGNMENT_BYTES - 1) & -ALIGNMENT_BYTES;
    }

    private static int alignUp(int bytes) {
        return (bytes + ALIGNMENT_BYTES - 1) & -ALIGNMENT_BYTES;
    }
}
