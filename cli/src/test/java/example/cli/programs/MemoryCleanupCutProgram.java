package example.cli.programs;

import java.util.ArrayList;
import java.util.List;

/**
 * An unmodified program that fills the heap and whose {@code finally} then loops: the agent's check in that loop
 * throws the memory cancellation again, so its cleanup never completes.
 */
public final class MemoryCleanupCutProgram {
    private MemoryCleanupCutProgram() {}

    /** Chunks at most (a limit on the loop): the heap holds far fewer. */
    private static final int CHUNKS_MAX = 1 << 20;
    /** Rounds of the cleanup's loop at most: far more than a check needs to throw. */
    private static final long CLEANUP_ROUNDS_MAX = 1L << 40;

    static volatile long sink;

    public static void main(String[] args) throws InterruptedException {
        List<byte[]> held = new ArrayList<>();
        try {
            for (int i = 0; i < CHUNKS_MAX; i++) {
                held.add(new byte[64 * 1024]);
                if ((i & 3) == 3) {
                    Thread.sleep(1); // 256 KiB a millisecond at most: the soft limit, not the real heap, stops it
                }
            }
        } finally {
            held = null;
            System.out.println("cleanup started");
            for (long i = 0; i < CLEANUP_ROUNDS_MAX; i++) {
                sink++;
            }
            System.out.println("cleanup completed");
        }
    }
}
