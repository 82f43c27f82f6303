package example.cli.programs;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * An unmodified program: CPU-bound tasks on its own fixed pool, closed by try-with-resources (whose close() waits for
 * them), each printing from its finally block.
 */
public final class PoolProgram {
    static volatile boolean stop;

    public static void main(String[] args) {
        try (ExecutorService pool = Executors.newFixedThreadPool(2)) {
            for (int i = 0; i < 2; i++) {
                int n = i;
                pool.submit(() -> {
                    long x = 0;
                    try {
                        System.out.println("worker " + n + " started");
                        while (!stop) {
                            x++;
                        }
                    } finally {
                        System.out.println("worker " + n + " finally ran");
                    }
                    return x;
                });
            }
        } finally {
            System.out.println("main finally ran");
        }
        System.out.println("returned");
    }
}
