package example.cli.programs;

/** An unmodified program: spins with no calls until stopped, prints from its finally block. */
public final class SpinProgram {
    static volatile boolean stop;

    public static void main(String[] args) {
        long x = 0;
        try {
            System.out.println("started");
            System.out.flush();
            while (!stop) {
                x++;
            }
        } finally {
            System.out.println("finally ran");
            System.out.flush();
        }
        System.out.println("returned " + x);
    }
}
