package example.cli.programs;

/** An unmodified program that catches everything at its top, cancellation included, and returns normally. */
public final class SwallowingProgram {
    static volatile boolean stop;

    public static void main(String[] args) {
        try {
            System.out.println("started");
            System.out.flush();
            long x = 0;
            while (!stop) {
                x++;
            }
            System.out.println("loop ended " + x);
        } catch (Throwable t) {
            System.out.println("caught " + t.getClass().getSimpleName());
        }
        System.out.println("returned normally");
    }
}
