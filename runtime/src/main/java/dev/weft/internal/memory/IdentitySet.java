package dev.weft.internal.memory;

import java.util.Arrays;

/**
 * An open-addressing identity set of objects, reused across estimator calls to avoid allocating per call.
 *
 * <p>Not thread-safe: confined to the estimator that owns it.
 */
public final class IdentitySet {
    private static final int CAPACITY_INITIAL = 256;
    /** Tables larger than this are dropped on {@link #clear()} so one huge graph does not pin memory. */
    private static final int CAPACITY_RETAINED_MAX = 1 << 16;

    private Object[] table = new Object[CAPACITY_INITIAL]; // owner thread only
    private int count; // owner thread only; invariant: count <= table.length / 2

    /** Adds {@code o}; returns false if it was already present. */
    public boolean add(Object o) {
        assert o != null;
        Object[] t = table;
        int mask = t.length - 1;
        int i = mix(System.identityHashCode(o)) & mask;
        for (Object e; (e = t[i]) != null; i = (i + 1) & mask) {
            if (e == o) {
                return false;
            }
        }
        t[i] = o;
        if (++count > t.length >>> 1) {
            grow();
        }
        return true;
    }

    /** Number of objects in the set. */
    public int size() {
        return count;
    }

    /** Empties the set, keeping a moderately sized table for the next use. */
    public void clear() {
        if (table.length > CAPACITY_RETAINED_MAX) {
            table = new Object[CAPACITY_INITIAL];
        } else if (count > 0) {
            Arrays.fill(table, null);
        }
        count = 0;
    }

    private void grow() {
        Object[] old = table;
        if (old.length >= 1 << 30) {
            throw new IllegalStateException("object graph has more than " + (old.length >>> 1)
                    + " objects; measure a smaller graph or pass a lower objectsMax");
        }
        Object[] t = new Object[old.length << 1];
        int mask = t.length - 1;
        for (Object o : old) {
            if (o != null) {
                int i = mix(System.identityHashCode(o)) & mask;
                while (t[i] != null) {
                    i = (i + 1) & mask;
                }
                t[i] = o;
            }
        }
        table = t;
    }

    private static int mix(int h) {
        h *= 0x9E3779B9; // Fibonacci hashing spreads identity hashes, which cluster in low bits
        return h ^ (h >>> 16);
    }
}
