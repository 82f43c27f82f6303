package example.cli.programs;

/**
 * An unmodified program whose cleanup never ends on its own: its finally block spins, and catches and reports what
 * stops it (then the loop's own check, outside the try, ends it).
 */
@SuppressWarnings("finally") // its cleanup never completes: what weft run must stop
public final class EndlessCleanupProgram {
    static volatile boolean stop;

    public static void main(String[] args) {
        long x = 0;
        try {
            System.out.println("started");
            while (!stop) {
                x++;
            }
        } finally {
            System.out.println("cleanup started");
            while (true) {
                try {
                    while (!stop) {
                        x++;
                    }
                } catch (Throwable t) {
                    System.out.println("cleanup got " + t.getClass().getSimpleName());
                }
            }
        }
    }
}
