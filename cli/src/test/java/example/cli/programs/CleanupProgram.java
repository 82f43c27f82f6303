package example.cli.programs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * An unmodified program whose cleanup loops and does I/O: after a blocking wait is cancelled, its finally block closes
 * five resources in a loop and reads a file. Mode "spin" waits in a CPU loop instead of a sleep.
 */
public final class CleanupProgram {
    static volatile boolean stop;

    public static void main(String[] args) throws Exception {
        Path file = Files.createTempFile("weft-cleanup", ".txt");
        Files.write(file, List.of("a", "b", "c"));
        List<AutoCloseable> resources = new ArrayList<>();
        int[] closed = new int[1];
        for (int i = 0; i < 5; i++) {
            resources.add(() -> closed[0]++);
        }
        try {
            System.out.println("started");
            if (args.length > 0 && args[0].equals("spin")) {
                long x = 0;
                while (!stop) {
                    x++;
                }
            } else {
                Thread.sleep(60_000);
            }
        } finally {
            for (AutoCloseable r : resources) {
                r.close();
            }
            System.out.println("closed " + closed[0]);
            try (Stream<String> lines = Files.lines(file)) {
                System.out.println("read " + lines.count() + " lines");
            } catch (IOException e) {
                System.out.println("read failed: " + e);
            }
            Files.delete(file);
        }
    }
}
