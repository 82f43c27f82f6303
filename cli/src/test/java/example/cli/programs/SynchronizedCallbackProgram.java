package example.cli.programs;

import java.util.List;
import java.util.Vector;

/**
 * An unmodified program that spends most of its time (twelve parts in thirteen) in a callback of
 * {@code Vector.forEach}, a {@code synchronized} JDK method: the callback loops while Vector's monitor is held, so a
 * cancel must wait until forEach returns. Prints if a cancellation is ever thrown inside the callback, that is,
 * inside the monitor. The loop outside the monitor is long enough that the checks there are found, whatever the
 * back-off between two stack walks (at most 1,024 checks).
 */
public final class SynchronizedCallbackProgram {
    static long spin(long n) {
        long x = 0;
        for (long i = 0; i < n; i++) {
            x += i ^ (x >>> 3);
        }
        return x;
    }

    public static void main(String[] args) {
        Vector<Integer> v = new Vector<>(List.of(1, 2, 3));
        long rounds = 0;
        try {
            System.out.println("started");
            System.out.flush();
            while (true) {
                spin(1_000_000L);
                v.forEach(x -> {
                    try {
                        spin(4_000_000L);
                    } catch (RuntimeException | Error t) {
                        System.out.println("thrown inside the monitor holding=" + Thread.holdsLock(v) + ": " + t);
                        throw t;
                    }
                });
                rounds++;
            }
        } finally {
            System.out.println("finally ran holding=" + Thread.holdsLock(v) + " after " + (rounds > 0 ? "some" : "no")
                    + " rounds");
            System.out.flush();
        }
    }
}
