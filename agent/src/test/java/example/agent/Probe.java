package example.agent;

import java.lang.invoke.MethodHandles;
import java.util.function.BiFunction;

/**
 * Stands in for {@code dev.weft.Cancellation} in transform tests: counts the checks that run and, once armed,
 * throws {@link ProbeCancelled} from every check outside a monitor, as the runtime throws {@code Cancelled} in a
 * cancelled task. It counts monitors without clamping at zero, so that an unbalanced count shows.
 */
public final class Probe {
    private Probe() {}

    public static volatile long polls;
    public static volatile boolean armed;
    /** If set, armed once {@link #polls} reaches this count. */
    public static volatile long armAt = Long.MAX_VALUE;

    /** Monitors held, counted by the compiled monitor hooks; checks never throw while it is above zero. */
    public static volatile int depth;
    /** The highest {@link #depth} seen. */
    public static volatile int depthMax;

    public static void poll() {
        long p = ++polls;
        if (p >= armAt) {
            armed = true;
        }
        if (armed && depth == 0) {
            throw new ProbeCancelled();
        }
    }

    public static void monitorEntered() {
        depth++;
        depthMax = Math.max(depthMax, depth);
    }

    public static void monitorExited() {
        depth--;
    }

    /** Hidden-class definitions routed here by compiled code. */
    public static volatile int hiddenDefinitions;
    /** What compiles a hidden class's bytes before they are defined, as the agent does; null: as given. */
    public static volatile BiFunction<MethodHandles.Lookup, byte[], byte[]> hiddenCompiler;

    public static MethodHandles.Lookup defineHiddenClass(MethodHandles.Lookup lookup, byte[] bytes, boolean initialize,
            MethodHandles.Lookup.ClassOption... options) throws IllegalAccessException {
        hiddenDefinitions++;
        return lookup.defineHiddenClass(compiled(lookup, bytes), initialize, options);
    }

    public static MethodHandles.Lookup defineHiddenClassWithClassData(MethodHandles.Lookup lookup, byte[] bytes,
            Object data, boolean initialize, MethodHandles.Lookup.ClassOption... options) throws IllegalAccessException {
        hiddenDefinitions++;
        return lookup.defineHiddenClassWithClassData(compiled(lookup, bytes), data, initialize, options);
    }

    private static byte[] compiled(MethodHandles.Lookup lookup, byte[] bytes) {
        BiFunction<MethodHandles.Lookup, byte[], byte[]> c = hiddenCompiler;
        byte[] out = c == null ? null : c.apply(lookup, bytes);
        return out != null ? out : bytes;
    }

    public static void reset() {
        polls = 0;
        armed = false;
        armAt = Long.MAX_VALUE;
        depth = 0;
        depthMax = 0;
        hiddenDefinitions = 0;
        hiddenCompiler = null;
    }

    public static final class ProbeCancelled extends Error {
        private static final long serialVersionUID = 1L;

        ProbeCancelled() {
            super("cancelled by probe", null, false, false);
        }
    }
}
