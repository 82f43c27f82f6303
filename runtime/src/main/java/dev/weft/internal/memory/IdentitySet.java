package dev.weft.internal.memory;


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
    // owner thread only: slots[k] is the table index of the k-th object added, so clear() costs O(count), not
    // O(capacity): a small graph measured after a large one must not pay for the large one's table
    private int[] slots = new int[CAPACITY_INITIAL / 2 + 1];
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
        slots[count] = i;
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
            slots = new int[CAPACITY_INITIAL / 2 + 1];
        } else {
            Object[] t = table;
            int[] s = slots;
            for (int k = 0; k < count; k++) {
                t[s[k]] = null;
            }
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
        int[] s = new int[t.length / 2 + 1];
        int mask = t.length - 1;
        int k = 0;
        for (Object o : old) {
            if (o != null) {
                int i = mix(System.identityHashCode(o)) & mask;
                while (t[i] != null) {
                    i = (i + 1) & mask;
                }
                t[i] = o;
                s[k++] = i;
            }
        }
        assert k == count : k + " != " + count;
        table = t;
        slots = s;
    }

    private static int mix(int h) {
        h *= 0x9E3779B9; // Fibonacci hashing spreads identity hashes, which cluster in low bits
        return h ^ (h >>> 16);
    }
}
