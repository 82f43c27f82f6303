package dev.weft.memory.budget;

import dev.weft.Cancellation;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.TaskState;
import dev.weft.Weft;
import dev.weft.memory.HeapWatchdog;
import dev.weft.memory.MemoryLimitError;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Runs in a forked JVM with a small heap ({@link ContainmentStressTest}): one task allocating without bound (with
 * cancellation points, or in a tight loop without any, chosen by the seed) beside three busy workers that allocate
 * moderately and keep a little, under a supervising root, with a {@link HeapWatchdog} installed. Prints one
 * {@code RESULT} line: how the hog ended, how each worker ended, and whether each worker's own check of its
 * arithmetic held.
 */
public final class ContainmentStress {
    private ContainmentStress() {}

    /** Worker rounds at most (a limit on every loop); a worker stops earlier once the hog has ended and it did {@link #ROUNDS_AFTER_HOG}. */
    private static final int ROUNDS_MAX = 2_000_000;
    /** Rounds a worker runs after the hog ended: it must go on working with the memory the hog freed. */
    private static final int ROUNDS_AFTER_HOG = 2_000;

    public static void main(String[] args) throws Exception {
        long seed = Long.parseLong(args[0]);
        Random random = new Random(seed);
        boolean tight = args.length > 1 ? args[1].equals("tight") : random.nextBoolean();
        int hogChunkBytes = 1 << (12 + random.nextInt(6)); // 4 KiB to 128 KiB
        int[] workerInts = {256 + random.nextInt(2048), 256 + random.nextInt(8192), 256 + random.nextInt(16384)};
        if (args.length > 2) {
            java.util.Arrays.fill(workerInts, Integer.parseInt(args[2])); // the workers' array size, in ints
        }
        Map<String, String> ends = new ConcurrentHashMap<>();
        String result;
        try (HeapWatchdog dog = HeapWatchdog.install()) {
            result = Weft.run(Weft.options().loops(4), () -> {
                Task<?>[] hog = new Task<?>[1];
                TaskScope.supervise(scope -> {
                    hog[0] = scope.spawn("hog", () -> tight ? tightHog(hogChunkBytes) : hog(hogChunkBytes));
                    for (int i = 0; i < workerInts.length; i++) {
                        int ints = workerInts[i];
                        scope.spawn("worker-" + (i + 1), () -> worker(ints, hog[0]));
                    }
                    return null;
                }, (task, failure) -> ends.put(task.name(), describe(failure)));
                return "hog=" + ends.getOrDefault("hog", "SUCCEEDED") + " workers=["
                        + ends.getOrDefault("worker-1", "ok") + ", " + ends.getOrDefault("worker-2", "ok") + ", "
                        + ends.getOrDefault("worker-3", "ok") + "] raises=" + dog.statistics().raises()
                        + " ooms=" + dog.statistics().oomsContained();
            });
        }
        System.out.println("RESULT seed=" + seed + " tight=" + tight + " chunk=" + hogChunkBytes + " " + result);
        System.out.flush();
    }

    private static String describe(Throwable failure) {
        return failure instanceof MemoryLimitError e ? e.kind().toString() : String.valueOf(failure);
    }

    /** Keeps every chunk; a cancellation point per chunk (where the agent would compile one). */
    private static Integer hog(int chunkBytes) {
        List<byte[]> held = new ArrayList<>();
        while (true) {
            held.add(new byte[chunkBytes]);
            Cancellation.checkpoint();
        }
    }

    /** Keeps every chunk, with no cancellation point at all: only the real heap stops it. */
    private static Integer tightHog(int chunkBytes) {
        List<byte[]> held = new ArrayList<>();
        while (true) {
            held.add(new byte[chunkBytes]);
        }
    }

    /**
     * Allocates an {@code int[ints]} a round, fills and sums it, keeps the last 32 (a little live data), yields to
     * the loop every 64 rounds, and checks its own sums; ends {@link #ROUNDS_AFTER_HOG} rounds after the hog ended.
     */
    private static Integer worker(int ints, Task<?> hog) {
        int[][] ring = new int[32][];
        int afterHog = 0;
        for (int round = 0; round < ROUNDS_MAX; round++) {
            int[] a = new int[ints];
            for (int k = 0; k < ints; k++) {
                a[k] = round + k;
            }
            ring[round & 31] = a;
            long sum = 0;
            for (int v : ring[(round + 1) & 31] == null ? a : ring[(round + 1) & 31]) {
                sum += v;
            }
            int[] checked = ring[(round + 1) & 31] == null ? a : ring[(round + 1) & 31];
            long expected = (long) checked.length * checked[0] + (long) checked.length * (checked.length - 1) / 2;
            if (sum != expected) {
                throw new AssertionError("worker's arithmetic is wrong at round " + round + ": " + sum + " != "
                        + expected);
            }
            if ((round & 63) == 0) {
                Thread.yield(); // to the loop's other tasks
            }
            if (hog.state() != TaskState.RUNNING && ++afterHog >= ROUNDS_AFTER_HOG) {
                return round;
            }
        }
        return ROUNDS_MAX;
    }
}
