package example.cli.programs;

import java.util.ArrayList;
import java.util.List;

/**
 * An unmodified program whose own platform thread allocates until the heap is gone, while main waits for it: on a
 * plain JVM the thread dies with a raw trace and the program exits 0.
 */
public final class ThreadOomProgram {
    public static void main(String[] args) throws Exception {
        Thread hog = new Thread(() -> {
            List<byte[]> kept = new ArrayList<>();
            while (true) {
                kept.add(new byte[1 << 20]);
            }
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
