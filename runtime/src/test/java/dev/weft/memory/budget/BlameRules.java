package dev.weft.memory.budget;

import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.memory.HeapWatchdog;
import dev.weft.memory.MemoryLimitError;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs in a forked JVM ({@link ContainmentStressTest}): the live heap is above the soft limit before any task
 * runs (the launcher's thread filled it), and the tasks that run allocate next to nothing: a supervising root
 * parked waiting for its children and two quiet workers. Nobody is to blame, so nobody may be blamed. The heap then goes
 * back below the limit (a last child drops what the launcher's thread held) before the root returns. Prints one
 * {@code RESULT} line.
 */
public final class BlameRules {
    private BlameRules() {}

    /** Held by the launcher's thread, not by any task. */
    static final List<byte[]> HELD = new ArrayList<>();

    private static void fill(long bytes) {
        for (long b = 0; b < bytes; b += 64 << 10) {
            HELD.add(new byte[64 << 10]);
        }
    }

    /**
     * {@code before BYTES}: the launcher's thread fills the heap before the watchdog is installed (the root's own
     * start-up allocation is then the largest in the window, before and after the root parks: it is less than what
     * the heap is above the limit, which keeps it from blame whenever the check lands).
     * {@code during BYTES}: a platform thread of the program's fills it while the tasks run (the windows before are
     * closed; the quiet workers' few bytes are the largest then: only their being negligible keeps them from blame).
     */
    public static void main(String[] args) throws Exception {
        boolean before = args[0].equals("before");
        long fillBytes = Long.parseLong(args[1]);
        if (before) {
            fill(fillBytes);
        }
        Map<String, String> failures = new ConcurrentHashMap<>();
        try (HeapWatchdog dog = HeapWatchdog.install()) {
            String r = Weft.run(() -> {
                Thread filler = before ? null : Thread.ofPlatform().name("filler").start(() -> fill(fillBytes));
                byte[] startUp = new byte[1 << 20]; // the root's own allocation: well above negligible
                TaskScope.supervise(scope -> {
                    List<dev.weft.Task<Long>> quiet = new ArrayList<>();
                    for (int i = 1; i <= 2; i++) {
                        quiet.add(scope.spawn("quiet-" + i, () -> {
                            long sum = 0;
                            for (int k = 0; k < 100; k++) { // 1 s: many forced collections above the limit
                                sum += new byte[16].length;
                                Weft.sleep(Duration.ofMillis(10));
                            }
                            return sum;
                        }));
                    }
                    // Then the heap goes back below the limit, before the root (not waiting any more) returns.
                    scope.spawn("releaser", () -> {
                        for (var t : quiet) {
                            t.join();
                        }
                        if (filler != null) {
                            filler.join();
                        }
                        HELD.clear();
                        for (int k = 0; k < 1000 && dog.statistics().lastLiveBytes() > dog.statistics().limitBytesSoft(); k++) {
                            Weft.sleep(Duration.ofMillis(10)); // bounded: 10 s
                        }
                        return null;
                    });
                    return null;
                }, (task, failure) -> failures.put(task.name(),
                        failure instanceof MemoryLimitError e ? e.kind().toString() : failure.toString()));
                return "failures=" + failures + " raises=" + dog.statistics().raises() + " peakLive="
                        + (dog.statistics().peakLiveBytes() > dog.statistics().limitBytesSoft() ? "above" : "below")
                        + " startUp=" + startUp.length;
            });
            System.out.println("RESULT " + r);
        }
    }
}
