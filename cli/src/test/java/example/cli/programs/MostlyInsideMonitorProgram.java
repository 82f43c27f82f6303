package example.cli.programs;

import java.util.List;
import java.util.Vector;

/**
 * An unmodified program that spends nearly all its compiled checks inside a monitor taken by JDK code it did not
 * write ({@code Vector.forEach} is synchronized): millions of checks in the callback, one outside per round.
 */
public final class MostlyInsideMonitorProgram {
    static volatile boolean stop;
    static int step = 1; // not a constant: the inner loop is not counted, so it has a check at every iteration
    static long sink;

    public static void main(String[] args) {
        Vector<Integer> v = new Vector<>(List.of(1));
        try {
            System.out.println("started");
            while (!stop) { // one check per round, outside the monitor
                v.forEach(i -> {
                    for (int k = 0; k < 2_000_000; k += step) {
                        sink += k;
                    }
                });
            }
        } finally {
            System.out.println("finally ran holding=" + Thread.holdsLock(v));
        }
    }
}
