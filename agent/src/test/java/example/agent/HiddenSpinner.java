package example.agent;

/**
 * Defined as a hidden class by {@link HiddenClasses}: spins with no calls until stopped, then records its finally in
 * {@link HiddenClasses#finallyRanIn} (a hidden class has static fields of its own, which no one else can name).
 */
public final class HiddenSpinner implements Runnable {
    static volatile boolean stop;

    @Override
    public void run() {
        long x = 0;
        try {
            while (!stop) {
                x++;
            }
        } finally {
            HiddenClasses.finallyRanIn = getClass().getName() + (x >= 0 ? "" : "?");
        }
    }
}
