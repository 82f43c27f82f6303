package dev.weft.memory;

import dev.weft.internal.memory.ClassShapes;
import java.lang.reflect.Array;

/**
 * Size arithmetic for the common cases, on the {@linkplain ObjectLayout#current() layout in force}: arrays and
 * preallocated buffers by element type and length, shallow sizes of classes, and sums and products that fail
 * loudly on overflow instead of wrapping.
 *
 * {@snippet class=dev.weft.snippets.MemorySnippets region=sizes}
 *
 * <h2>Exceptions</h2>
 * {@link ArithmeticException} when a sum or product exceeds {@code Long.MAX_VALUE} bytes;
 * {@link IllegalArgumentException} for negative sizes, counts or lengths. Messages name the operands.
 *
 * <h2>Thread safety</h2>
 * Stateless and thread-safe.
 */
public final class Sizes {
    private Sizes() {}

    /** Bytes of an array with the given element type and length, e.g. {@code arraySizeBytes(int.class, 10)}. */
    public static long arraySizeBytes(Class<?> elementType, int length) {
        return ObjectLayout.current().arraySizeBytes(elementType, length);
    }

    /**
     * Bytes of a heap {@code ByteBuffer} of the given capacity ({@code ByteBuffer.allocate(capacity)}): the buffer
     * object plus its {@code byte[]}.
     */
    public static long byteBufferSizeBytes(int capacityBytes) {
        return add(shallowSizeBytes(HeapBuffer.TYPE), arraySizeBytes(byte.class, capacityBytes));
    }

    /**
     * Shallow size of an instance of {@code type}: header, its own and inherited instance fields, padding.
     *
     * @throws IllegalArgumentException for an array, interface or primitive type
     */
    public static long shallowSizeBytes(Class<?> type) {
        return shallowSizeBytes(type, ObjectLayout.current());
    }

    /** Shallow size of an instance of {@code type} on a given layout. */
    public static long shallowSizeBytes(Class<?> type, ObjectLayout layout) {
        return ClassShapes.of(layout.rules()).shape(type).sizeBytes();
    }

    /** Deep size of {@code root} with a fresh {@link DeepSizeEstimator}; reuse an estimator in loops. */
    public static long deepSizeBytes(Object root) {
        return new DeepSizeEstimator().deepSizeBytes(root);
    }

    /**
     * {@code a + b}.
     *
     * @throws ArithmeticException      if the sum overflows
     * @throws IllegalArgumentException if either is negative
     */
    public static long add(long a, long b) {
        requireNonNegative(a, "a");
        requireNonNegative(b, "b");
        long sum = a + b;
        if (sum < 0) {
            throw new ArithmeticException("size overflow: " + a + " + " + b + " bytes exceeds Long.MAX_VALUE; "
                    + "a footprint this large cannot be committed, check the configured counts");
        }
        return sum;
    }

    /** The sum of all sizes, checked as {@link #add}. */
    public static long sum(long... sizesBytes) {
        long total = 0;
        for (long s : sizesBytes) {
            total = add(total, s);
        }
        return total;
    }

    /**
     * {@code count * bytesEach}, e.g. N handlers times the footprint of one.
     *
     * @throws ArithmeticException      if the product overflows
     * @throws IllegalArgumentException if either is negative
     */
    public static long multiply(long count, long bytesEach) {
        requireNonNegative(count, "count");
        requireNonNegative(bytesEach, "bytesEach");
        long high = Math.multiplyHigh(count, bytesEach);
        long product = count * bytesEach;
        if (high != 0 || product < 0) {
            throw new ArithmeticException("size overflow: " + count + " x " + bytesEach + " bytes exceeds "
                    + "Long.MAX_VALUE; a footprint this large cannot be committed, check the configured counts");
        }
        return product;
    }

    /**
     * Checks, typically in a constructor, that an array has the length its {@link FixedLength} annotation
     * promises, and returns it.
     *
     * @throws IllegalArgumentException naming the field if the length differs or {@code array} is not an array
     * @throws NullPointerException     naming the field if {@code array} is null
     */
    public static <T> T requireLength(T array, int length, String fieldName) {
        if (array == null) {
            throw new NullPointerException(fieldName + " is null; a @FixedLength(" + length + ") array must be "
                    + "allocated with length " + length);
        }
        if (!array.getClass().isArray()) {
            throw new IllegalArgumentException(fieldName + " is a " + array.getClass().getTypeName()
                    + ", not an array; @FixedLength applies to array fields only");
        }
        int actual = Array.getLength(array);
        if (actual != length) {
            throw new IllegalArgumentException(fieldName + " has length " + actual + " but is declared "
                    + "@FixedLength(" + length + "); allocate it with length " + length
                    + " or change the annotation");
        }
        return array;
    }

    private static void requireNonNegative(long value, String name) {
        if (value < 0) {
            throw new IllegalArgumentException(name + " is " + value + "; sizes and counts must be >= 0");
        }
    }

    /** The JDK's heap buffer class, loaded by name since it is not public. */
    private static final class HeapBuffer {
        static final Class<?> TYPE = java.nio.ByteBuffer.allocate(0).getClass();
    }
}
