package example.agent;

/**
 * Stands in for {@code dev.weft.Cancellation} in transform tests: counts the checks that run and, once armed,
 * throws {@link ProbeCancelled} from every check, as the runtime throws {@code Cancelled} in a cancelled task.
 */
public final class Probe {
    private Probe() {}

    public static volatile long polls;
    public static volatile boolean armed;
    /** If set, armed once {@link #polls} reaches this count. */
    public static volatile long armAt = Long.MAX_VALUE;

    public static void poll() {
        long p = ++polls;
        if (p >= armAt) {
            armed = true;
        }
        if (armed) {
            throw new ProbeCancelled();
        }
    }

    public static void reset() {
        polls = 0;
        armed = false;
        armAt = Long.MAX_VALUE;
    }

    public static final class ProbeCancelled extends Error {
        private static final long serialVersionUID = 1L;

        ProbeCancelled() {
            super("cancelled by probe", null, false, false);
        }
    }
}
