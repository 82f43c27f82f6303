package example.agent;

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

    public static void reset() {
        polls = 0;
        armed = false;
        armAt = Long.MAX_VALUE;
        depth = 0;
        depthMax = 0;
    }

    public static final class ProbeCancelled extends Error {
        private static final long serialVersionUID = 1L;

        ProbeCancelled() {
            super("cancelled by probe", null, false, false);
        }
    }
}
