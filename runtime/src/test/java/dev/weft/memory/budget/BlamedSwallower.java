package dev.weft.memory.budget;

import dev.weft.Cancellation;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.memory.HeapWatchdog;
import dev.weft.memory.MemoryLimitError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs in a forked JVM ({@link BlamedSwallowerForkedTest}): a task that fills the heap under the watchdog catches
 * whatever stops it, drops what it holds and returns normally. Prints one {@code RESULT} line: what the scope threw
 * and the task's end.
 */
public final class BlamedSwallower {
    private BlamedSwallower() {}

    /** Chunks at most (a limit on the loop): 64 MiB of heap holds far fewer. */
    private static final int CHUNKS_MAX = 1 << 20;

    /** What the task caught. Written by the task, read by main after the run. */
    private static volatile String swallowed = "nothing";

    public static void main(String[] args) throws Exception {
        Task<?>[] hog = new Task<?>[1];
        String outcome;
        try (HeapWatchdog dog = HeapWatchdog.install()) {
            outcome = Weft.run(() -> {
                try {
                    TaskScope.run(scope -> {
                        hog[0] = scope.spawn("swallower", BlamedSwallower::fillAndSwallow);
                        return null;
                    });
                    return "scope returned";
                } catch (MemoryLimitError e) {
                    return "scope threw " + e.kind();
                }
            });
        }
        System.out.println("RESULT " + outcome + ", task " + hog[0].state() + ", swallowed " + swallowed);
        System.out.flush();
    }

    private static String fillAndSwallow() {
        List<byte[]> held = new ArrayList<>();
        try {
            for (int i = 0; i < CHUNKS_MAX; i++) {
                held.add(new byte[64 * 1024]);
                Cancellation.checkpoint();
                if ((i & 3) == 3) {
                    Weft.sleep(Duration.ofMillis(1)); // 256 KiB a millisecond at most: the watchdog, not the real heap, stops it
                }
            }
            return "never stopped";
        } catch (Throwable t) {
            held = null; // a program that catches everything at its top, drops its data and returns
            swallowed = t.getClass().getSimpleName();
            return "swallowed";
        }
    }
}
