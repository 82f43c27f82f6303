package dev.weft;

import java.util.Arrays;

/**
 * An immutable map from {@link ContextVar} to value: a task's context. Copy-on-write arrays: contexts
 * hold few variables, reads are a short scan, a spawn shares the parent's map (O(1) snapshot).
 */
final class ContextMap {
    static final ContextMap EMPTY = new ContextMap(new Object[0]);

    /** Alternating key, entry. Never mutated after construction. */
    private final Object[] keysAndEntries;

    /** A value holder; its identity marks one {@code set}, which lets bindings detect misnesting. */
    static final class Entry {
        final Object value;

        Entry(Object value) {
            this.value = value;
        }
    }

    private ContextMap(Object[] keysAndEntries) {
        this.keysAndEntries = keysAndEntries;
    }

    Entry get(ContextVar<?> key) {
        Object[] a = keysAndEntries;
        for (int i = 0; i < a.length; i += 2) {
            if (a[i] == key) {
                return (Entry) a[i + 1];
            }
        }
        return null;
    }

    /** A map with {@code key} bound to {@code entry}, or removed if entry is null. */
    ContextMap with(ContextVar<?> key, Entry entry) {
        Object[] a = keysAndEntries;
        for (int i = 0; i < a.length; i += 2) {
            if (a[i] == key) {
                if (entry == null) {
                    Object[] b = new Object[a.length - 2];
                    System.arraycopy(a, 0, b, 0, i);
                    System.arraycopy(a, i + 2, b, i, a.length - i - 2);
                    return b.length == 0 ? EMPTY : new ContextMap(b);
                }
                Object[] b = a.clone();
                b[i + 1] = entry;
                return new ContextMap(b);
            }
        }
        if (entry == null) {
            return this;
        }
        Object[] b = Arrays.copyOf(a, a.length + 2);
        b[a.length] = key;
        b[a.length + 1] = entry;
        return new ContextMap(b);
    }

    /** The value of the i-th variable ({@code 0 <= i < size()}), for dumps. */
    Object valueAt(int i) {
        return ((Entry) keysAndEntries[2 * i + 1]).value;
    }

    int size() {
        return keysAndEntries.length / 2;
    }
}
