package example.cli.programs;

import java.util.ArrayList;
import java.util.List;

/**
 * An unmodified program whose own platform thread asks for more heap than there is, in one array, while main waits
 * for it: on a plain JVM the thread dies with a raw trace and the program exits 0. (One array, not many: a thread that
 * fills the heap a MiB at a time is blamed by the watchdog before the heap runs out, see {@link ThreadHogProgram}.)
 */
public final class ThreadOomProgram {
    public static void main(String[] args) throws Exception {
        Thread hog = new Thread(() -> {
            List<byte[]> kept = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                kept.add(new byte[1 << 20]);
            }
            kept.add(new byte[1 << 30]); // more than the heap
        }, "hog");
        hog.start();
        try {
            System.out.println("started");
            hog.join();
        } finally {
            System.out.println("main finally ran");
        }
        System.out.println("returned");
    }
}
