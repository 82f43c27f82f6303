package dev.weft.internal.jdk;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;

/**
 * {@link ScopedValue} bindings for Weft's children, as {@code StructuredTaskScope} forks have them: a child task
 * starts with the bindings its spawner had at the spawn.
 *
 * <p>Non-public JDK hooks, feature-detected: {@code ScopedValue.scopedValueBindings()} (the current thread's
 * bindings snapshot, found on the stack if need be) and the field {@code Thread.scopedValueBindings}, set on
 * the child before it starts, which is what {@code Thread.inheritScopedValueBindings} does for a
 * {@code StructuredTaskScope} fork. A snapshot is immutable, so a child that outlives the spawner's
 * {@code ScopedValue.where(...).run(...)} block keeps seeing the values bound at the spawn (the JDK's scope
 * refuses such a fork instead; Weft's children are bounded by their nursery, not by the binding's block).
 * Without the hooks (another JDK), children see no bindings, and {@link #available()} says so.
 */
public final class ScopedValues {
    private ScopedValues() {}

    private static final MethodHandle CURRENT; // () -> Object (ScopedValue.Snapshot), or null
    private static final VarHandle THREAD_BINDINGS; // Thread.scopedValueBindings, or null
    private static final Object EMPTY; // the snapshot of a thread with no bindings, or null

    static {
        MethodHandle current = null;
        VarHandle bindings = null;
        Object empty = null;
        try {
            var m = ScopedValue.class.getDeclaredMethod("scopedValueBindings");
            m.setAccessible(true);
            current = MethodHandles.lookup().unreflect(m).asType(MethodType.methodType(Object.class));
            var f = Thread.class.getDeclaredField("scopedValueBindings");
            bindings = MethodHandles.privateLookupIn(Thread.class, MethodHandles.lookup()).unreflectVarHandle(f);
            Class<?> snapshot = Class.forName("java.lang.ScopedValue$Snapshot");
            var e = snapshot.getDeclaredField("EMPTY_SNAPSHOT");
            e.setAccessible(true);
            empty = e.get(null);
        } catch (Throwable t) {
            current = null;
            bindings = null;
        }
        CURRENT = current;
        THREAD_BINDINGS = bindings;
        EMPTY = empty;
    }

    /** Whether children inherit bindings on this JDK. */
    public static boolean available() {
        return CURRENT != null && THREAD_BINDINGS != null;
    }

    /** The current thread's bindings, or null if it has none (or the hooks are missing). */
    public static Object current() {
        if (CURRENT == null) {
            return null;
        }
        try {
            Object snapshot = (Object) CURRENT.invokeExact();
            return snapshot == EMPTY ? null : snapshot;
        } catch (Throwable t) {
            return null;
        }
    }

    /** Gives the unstarted {@code thread} the {@code bindings} from {@link #current()}. */
    public static void inherit(Thread thread, Object bindings) {
        if (THREAD_BINDINGS != null && bindings != null) {
            assert thread.getState() == Thread.State.NEW : "bindings set on a started thread";
            THREAD_BINDINGS.set(thread, bindings);
        }
    }
}
