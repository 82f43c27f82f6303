package example.cli.programs;

/**
 * An unmodified program whose worker catches everything and restarts itself by recursion: the pattern that would
 * swallow a cancellation if only its loop were checked.
 */
public final class RestartingProgram {
    static volatile boolean stop;
    static int restarts;

    static long work() {
        try {
            long x = 0;
            while (!stop) {
                x++;
            }
            return x;
        } catch (Throwable t) {
            restarts++;
            System.out.println("restart after " + t.getClass().getSimpleName());
            return work();
        }
    }

    public static void main(String[] args) {
        try {
            System.out.println("started");
            System.out.flush();
            System.out.println("returned " + work());
        } finally {
            System.out.println("finally ran after restarts=" + restarts);
            System.out.flush();
        }
    }
}
