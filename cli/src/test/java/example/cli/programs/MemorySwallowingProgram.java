package example.cli.programs;

import java.util.ArrayList;
import java.util.List;

/**
 * An unmodified program that fills the heap, catches whatever stops it at its top (the soft limit's cancellation
 * included), drops what it held and returns normally.
 */
public final class MemorySwallowingProgram {
    private MemorySwallowingProgram() {}

    /** Chunks at most (a limit on the loop): the heap holds far fewer. */
    private static final int CHUNKS_MAX = 1 << 20;

    public static void main(String[] args) throws InterruptedException {
        List<byte[]> held = new ArrayList<>();
        try {
            for (int i = 0; i < CHUNKS_MAX; i++) {
                held.add(new byte[64 * 1024]);
                if ((i & 3) == 3) {
                    Thread.sleep(1); // 256 KiB a millisecond at most: the soft limit, not the real heap, stops it
                }
            }
        } catch (Throwable t) {
            held = null;
            System.out.println("caught " + t.getClass().getSimpleName());
        }
        System.out.println("returned normally");
    }
}
