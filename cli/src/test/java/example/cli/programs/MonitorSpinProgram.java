package example.cli.programs;

/** An unmodified program that spins inside a monitor: by design never cancelled there (Weft holds the cancel). */
public final class MonitorSpinProgram {
    static volatile boolean stop;
    private static final Object LOCK = new Object();

    public static void main(String[] args) {
        System.out.println("started");
        System.out.flush();
        long x = 0;
        synchronized (LOCK) {
            while (!stop) {
                x++;
            }
        }
        System.out.println("returned " + x);
    }
}
