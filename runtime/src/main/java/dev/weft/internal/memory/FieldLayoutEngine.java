package dev.weft.internal.memory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * HotSpot's instance field layout of JDK 25 ({@code FieldLayoutBuilder::compute_regular_layout}), replayed in Java
 * so that the annotation processor (on {@code javax.lang.model} fields) and the estimator (on reflected fields)
 * compute the same offsets and sizes as the JVM.
 *
 * <h2>Implementation overview</h2>
 * The layout is a list of blocks ordered by offset: the header ({@code RESERVED}), inherited fields at their
 * superclass offsets, {@code EMPTY} gaps between them, and a final {@code EMPTY} block of unbounded size that
 * starts where the last field ends. A class adds its fields in two passes, primitives sorted by size (largest
 * first, declaration order among equals) and then references in declaration order. Each field goes to the
 * smallest {@code EMPTY} block that fits it at its natural alignment (size = alignment); among blocks of equal
 * size the one with the highest offset wins; if none fits, it goes at the end. A field that does not fit
 * anywhere makes every following field of the same size go to the end without searching (HotSpot's shortcut,
 * kept to replay HotSpot step by step; it changes no size: after a failed search no empty block that a field of
 * that size fits appears, since blocks only shrink and new gaps are smaller than the field that left them).
 * Misalignment inside a block leaves an {@code EMPTY} gap that later fields
 * may fill. The instance size is the end of the last field rounded up to 8. So gaps after the header and in
 * a superclass's tail are filled by subclass fields that fit, but fields never move.
 *
 * <p>{@code @Contended} groups are not modelled: user code cannot use them without
 * {@code -XX:-RestrictContended}.
 *
 * <h2>Thread safety</h2>
 * Stateless; {@link Shape} is immutable.
 */
public final class FieldLayoutEngine {
    private FieldLayoutEngine() {}

    /**
     * The laid-out instance fields of a class (its own and inherited ones), ordered by offset.
     *
     * @param offsetsBytes field offsets, ascending
     * @param sizesBytes   field sizes, parallel to {@code offsetsBytes}
     * @param sizeBytes    the instance size (shallow size), aligned to 8
     */
    public record Shape(int[] offsetsBytes, int[] sizesBytes, int sizeBytes) {
        public Shape {
            assert offsetsBytes.length == sizesBytes.length;
            assert sizeBytes % Layout.ALIGNMENT_BYTES == 0 : sizeBytes;
            offsetsBytes = offsetsBytes.clone();
            sizesBytes = sizesBytes.clone();
        }

        @Override
        public int[] offsetsBytes() {
            return offsetsBytes.clone();
        }

        @Override
        public int[] sizesBytes() {
            return sizesBytes.clone();
        }
    }

    /** The shape of {@code java.lang.Object}: a header and nothing else. */
    public static Shape root(Layout layout) {
        return new Shape(new int[0], new int[0], (int) Layout.alignUp(layout.headerBytes()));
    }

    /**
     * Lays out a class's own instance fields after its superclass's.
     *
     * @param layout     the object layout
     * @param superShape the superclass's shape ({@link #root} for a direct subclass of {@code Object})
     * @param fieldSizesBytes sizes of the class's own instance fields in declaration order: 1, 2, 4 or 8 for
     *                   primitives; references are flagged in {@code reference}
     * @param reference  {@code reference[i]} is true if field {@code i} is a reference (its size must then be
     *                   {@link Layout#referenceBytes()})
     * @return offsets of the class's own fields in declaration order, and the resulting shape
     */
    public static Result extend(Layout layout, Shape superShape, int[] fieldSizesBytes, boolean[] reference) {
        if (fieldSizesBytes.length != reference.length) {
            throw new IllegalArgumentException("fieldSizesBytes has " + fieldSizesBytes.length
                    + " entries but reference has " + reference.length + "; pass one flag per field");
        }
        for (int i = 0; i < fieldSizesBytes.length; i++) {
            int size = fieldSizesBytes[i];
            boolean valid = reference[i] ? size == layout.referenceBytes() : (size == 1 || size == 2 || size == 4 || size == 8);
            if (!valid) {
                throw new IllegalArgumentException("field " + i + " has size " + size + " bytes, which is not a "
                        + (reference[i] ? "reference size (" + layout.referenceBytes() + ") in " + layout
                        : "primitive size (1, 2, 4 or 8)"));
            }
        }
        Blocks blocks = new Blocks(layout, superShape);
        Integer[] primitives = indices(reference, false);
        // sort by size descending, declaration order among equals (HotSpot's compare_size_inverted)
        Arrays.sort(primitives, (a, b) -> fieldSizesBytes[a] != fieldSizesBytes[b]
                ? Integer.compare(fieldSizesBytes[b], fieldSizesBytes[a]) : Integer.compare(a, b));
        int[] offsets = new int[fieldSizesBytes.length];
        blocks.add(primitives, fieldSizesBytes, offsets);
        blocks.add(indices(reference, true), fieldSizesBytes, offsets);
        return new Result(offsets, blocks.shape());
    }

    /**
     * Offsets of the fields a class declares, in declaration order, and the class's shape.
     *
     * @param ownOffsetsBytes offsets of the declared fields, in declaration order
     * @param shape           the class's shape including inherited fields
     */
    public record Result(int[] ownOffsetsBytes, Shape shape) {
        public Result {
            ownOffsetsBytes = ownOffsetsBytes.clone();
        }

        @Override
        public int[] ownOffsetsBytes() {
            return ownOffsetsBytes.clone();
        }
    }

    private static Integer[] indices(boolean[] reference, boolean wanted) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < reference.length; i++) {
            if (reference[i] == wanted) {
                out.add(i);
            }
        }
        return out.toArray(new Integer[0]);
    }

    /** The block list of one layout under construction; confined to one call of {@link #extend}. */
    private static final class Blocks {
        private static final int RESERVED = 0;
        private static final int FIELD = 1;
        private static final int EMPTY = 2;

        // parallel lists, ordered by offset; the last block is EMPTY and unbounded
        private final List<int[]> blocks = new ArrayList<>(); // {kind, offset, size}

        Blocks(Layout layout, Shape superShape) {
            blocks.add(new int[] {RESERVED, 0, layout.headerBytes()});
            int end = layout.headerBytes();
            int[] offsets = superShape.offsetsBytes;
            int[] sizes = superShape.sizesBytes;
            for (int i = 0; i < offsets.length; i++) {
                assert offsets[i] >= end : "super fields overlap at " + offsets[i];
                if (offsets[i] > end) {
                    blocks.add(new int[] {EMPTY, end, offsets[i] - end});
                }
                blocks.add(new int[] {FIELD, offsets[i], sizes[i]});
                end = offsets[i] + sizes[i];
            }
            blocks.add(new int[] {EMPTY, end, Integer.MAX_VALUE});
        }

        void add(Integer[] order, int[] sizes, int[] offsetsOut) {
            boolean lastSearchSuccess = false;
            int lastSize = 0;
            for (int field : order) {
                int size = sizes[field];
                int candidate = -1;
                int last = blocks.size() - 1;
                if (size == lastSize && !lastSearchSuccess) {
                    candidate = last;
                } else {
                    lastSize = size;
                    lastSearchSuccess = true;
                    for (int i = last - 1; i > 0; i--) { // block 0 (the header) is HotSpot's start block, excluded
                        int[] b = blocks.get(i);
                        if (b[0] == EMPTY && fits(b, size) && (candidate < 0 || b[2] < blocks.get(candidate)[2])) {
                            candidate = i;
                        }
                    }
                    if (candidate < 0) {
                        candidate = last;
                        lastSearchSuccess = false;
                    }
                }
                offsetsOut[field] = insert(candidate, size);
            }
        }

        private static boolean fits(int[] block, int size) {
            int adjustment = block[1] % size == 0 ? 0 : size - block[1] % size;
            return (long) block[2] >= (long) size + adjustment;
        }

        private int insert(int slotIndex, int size) {
            int[] slot = blocks.get(slotIndex);
            assert slot[0] == EMPTY;
            if (slot[1] % size != 0) {
                int adjustment = size - slot[1] % size;
                blocks.add(slotIndex, new int[] {EMPTY, slot[1], adjustment});
                slotIndex++;
                slot[1] += adjustment;
                slot[2] -= adjustment;
            }
            int offset = slot[1];
            blocks.add(slotIndex, new int[] {FIELD, offset, size});
            slot[1] += size;
            slot[2] -= size;
            if (slot[2] == 0) {
                blocks.remove(slotIndex + 1);
            }
            return offset;
        }

        Shape shape() {
            int count = 0;
            for (int[] b : blocks) {
                count += b[0] == FIELD ? 1 : 0;
            }
            int[] offsets = new int[count];
            int[] sizes = new int[count];
            int k = 0;
            for (int[] b : blocks) {
                if (b[0] == FIELD) {
                    offsets[k] = b[1];
                    sizes[k] = b[2];
                    k++;
                }
            }
            int end = blocks.getLast()[1];
            return new Shape(offsets, sizes, (int) Layout.alignUp(end));
        }
    }
}
