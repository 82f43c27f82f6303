package dev.weft.memory.budget;

import dev.weft.Cancellation;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.internal.budget.HeapMonitor;
import dev.weft.memory.HeapWatchdog;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryLimitError;
import dev.weft.memory.Reservation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs in a forked JVM with a small heap (see {@link ForkedHeapTest}): several tasks, one of which hogs
 * memory. Prints one {@code RESULT} line per scenario.
 */
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
public final class HogScenarios {
    private static final int CHUNK = 64 << 10;

    public static void main(String[] args) throws Exception {
        String which = args[0];
        String result = Weft.run(Weft.options().loops(1), () -> switch (which) {
            case "reservations" -> scenario(HogScenarios::reservingHog, false);
            case "leak" -> scenario(HogScenarios::leakingHog, true);
            case "tight" -> scenario(HogScenarios::tightHog, true);
            default -> throw new IllegalArgumentException(which);
        });
        System.out.println("RESULT " + which + " " + result);
        System.out.flush();
    }

    interface Hog {
        Integer run(List<String> cleanup) throws Exception;
    }

    private static String scenario(Hog hog, boolean watchdog) throws Exception {
        HeapWatchdog dog = watchdog ? HeapWatchdog.install() : null;
        try {
            List<String> cleanup = new ArrayList<>();
            AtomicReference<Throwable> hogFailure = new AtomicReference<>();
            List<Long> results = TaskScope.supervise(scope -> {
                List<Task<Long>> others = new ArrayList<>();
                for (int i = 1; i <= 3; i++) {
                    int n = i * 1000;
                    others.add(scope.spawn("worker-" + i, () -> {
                        long sum = 0;
                        for (int k = 1; k <= n; k++) {
                            sum += k;
                            if (k % 100 == 0) {
                                Weft.sleep(Duration.ofNanos(1)); // yield to the loop
                            }
                        }
                        return sum;
                    }));
                }
                scope.spawn("hog", () -> hog.run(cleanup));
                List<Long> out = new ArrayList<>();
                for (Task<Long> t : others) {
                    out.add(t.join());
                }
                return out;
            }, (task, failure) -> hogFailure.set(failure));
            String kind = hogFailure.get() instanceof MemoryLimitError e ? e.kind().toString()
                    : String.valueOf(hogFailure.get());
            String s = "hog=" + kind + " cleanup=" + cleanup + " others=" + results;
            if (dog != null) {
                // The reserve is re-armed after the next GC below the limit (bounded wait).
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (!HeapMonitor.reserveArmed() && System.nanoTime() < deadline) {
                    System.gc();
                    LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
                }
                var st = dog.statistics();
                s += " raises=" + st.raises() + " ooms=" + st.oomsContained() + " rearmed=" + HeapMonitor.reserveArmed();
            }
            return s + " rootUsed=" + MemoryBudget.root().usedBytes();
        } finally {
            if (dog != null) {
                dog.close();
            }
        }
    }

    /** Reserves before every allocation; the budget refuses at the soft limit. */
    private static Integer reservingHog(List<String> cleanup) {
        List<byte[]> held = new ArrayList<>();
        List<Reservation> reservations = new ArrayList<>();
        try {
            while (true) {
                reservations.add(MemoryBudget.root().reserve(CHUNK));
                held.add(new byte[CHUNK]);
            }
        } catch (MemoryLimitError e) {
            // Cleanup above the limit, within the grace: reserve and allocate a report buffer.
            try (Reservation r = MemoryBudget.root().reserve(CHUNK)) {
                byte[] report = new byte[CHUNK];
                report[0] = 1;
                cleanup.add("allocated " + report.length + " after holding " + held.size() + " chunks");
            }
            throw e;
        } finally {
            reservations.forEach(Reservation::close);
        }
    }

    /** No reservations: a steady leak, one chunk per request, each request a cancellation point. */
    private static Integer leakingHog(List<String> cleanup) {
        List<byte[]> held = new ArrayList<>();
        try {
            while (true) {
                held.add(new byte[CHUNK]);
                Cancellation.checkpoint();
                Weft.sleep(Duration.ofMillis(1)); // the next request
            }
        } finally {
            byte[] report = new byte[CHUNK];
            report[0] = 1;
            cleanup.add("allocated " + report.length + " after holding " + held.size() + " chunks");
        }
    }

    /** No reservations and no cancellation point at all: only the real heap stops it. */
    private static Integer tightHog(List<String> cleanup) {
        List<byte[]> held = new ArrayList<>();
        try {
            while (true) {
                held.add(new byte[CHUNK]);
            }
        } finally {
            int chunks = held.size();
            held.clear(); // what a cleanup does first: drop the data
            byte[] report = new byte[CHUNK];
            report[0] = 1;
            cleanup.add("allocated " + report.length + " after holding " + chunks + " chunks");
        }
    }
}
