package example.cli.programs;

/** Defined as a hidden class by {@link HiddenClassProgram}: spins with no calls until stopped. */
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
            System.out.println("finally ran in " + getClass().getName() + (x > 0 ? "" : "!"));
            System.out.flush();
        }
    }
}
