package example.cli.programs;

import java.util.ArrayList;
import java.util.List;

/**
 * An unmodified program whose own platform thread keeps 32 KiB arrays without bound while main waits for it: under
 * {@code weft run --soft-limit} the watchdog blames the thread by its own allocation counter, before the real heap
 * runs out. Prints from the thread's and main's finally blocks.
 */
public final class ThreadHogProgram {
    public static void main(String[] args) throws Exception {
        Thread hog = new Thread(() -> {
            List<long[]> kept = new ArrayList<>();
            try {
                while (true) {
                    kept.add(new long[4096]);
                }
            } finally {
                int n = kept.size();
                kept.clear();
                System.out.println("hog finally ran after " + n + " arrays");
            }
        }, "hog");
        hog.start();
        try {
            System.out.println("started");
            hog.join();
        } finally {
            System.out.println("main finally ran");
        }
    }
}
