package example.cli.programs;

import java.io.IOException;

/** An unmodified program whose cleanup fails: its finally block throws after the deadline. */
@SuppressWarnings("finally") // its cleanup throws: what weft run must report
public final class FailingCleanupProgram {
    static volatile boolean stop;

    public static void main(String[] args) throws IOException {
        long x = 0;
        try {
            System.out.println("started");
            while (!stop) {
                x++;
            }
        } finally {
            throw new IOException("cleanup could not flush the journal");
        }
    }
}
