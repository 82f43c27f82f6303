package dev.weft.memory.budget;

import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.Weft;
import dev.weft.memory.MemoryBudget;
import dev.weft.memory.MemoryLimitError;
import dev.weft.memory.Reservation;
import java.util.Arrays;

/**
 * Runs in a forked JVM ({@link ContainmentStressTest}): a grace overrun fails hard, whatever the task does with
 * the error; a refusal outside any Weft task; a budget with no limit. Prints one {@code RESULT} line per case.
 */
@SuppressWarnings("try") // try-with-resources held for their effect while the body runs (a scope, a reservation, a binding)
public final class GraceOverrun {
    private GraceOverrun() {}

    public static void main(String[] args) throws Exception {
        MemoryBudget b = MemoryBudget.root().child("strict", 100, 10);
        // 1. The task catches the overrun and returns normally.
        Task<?>[] swallower = new Task<?>[1];
        String caught = Weft.run(() -> {
            try {
                TaskScope.run(scope -> {
                    swallower[0] = scope.spawn("swallower", () -> {
                        try (Reservation r = b.reserve(100)) {
                            try {
                                b.reserve(1);
                            } catch (MemoryLimitError soft) {
                                try {
                                    b.reserve(50).close(); // beyond the grace
                                } catch (MemoryLimitError overrun) {
                                    return "swallowed " + overrun.kind(); // and returns normally
                                }
                            }
                        }
                        return "no refusal";
                    });
                    return null;
                });
                return "run returned";
            } catch (MemoryLimitError e) {
                return "run threw " + e.kind();
            }
        });
        System.out.println("RESULT swallowed: " + caught + ", task " + swallower[0].state());
        // 2. The task cleans up after the soft-limit error, swallows the overrun, and rethrows the first error.
        String rethrown = Weft.run(() -> {
            try {
                TaskScope.run(scope -> scope.spawn("rethrower", () -> {
                    try (Reservation r = b.reserve(100)) {
                        try {
                            b.reserve(1);
                        } catch (MemoryLimitError soft) {
                            try {
                                b.reserve(50).close(); // beyond the grace
                            } catch (MemoryLimitError overrun) {
                                // a logging framework that swallows what it cannot log
                            }
                            throw soft;
                        }
                    }
                    return null;
                }));
                return "run returned";
            } catch (MemoryLimitError e) {
                return "run threw " + e.kind() + " carrying " + Arrays.stream(e.getSuppressed())
                        .map(s -> s instanceof MemoryLimitError m ? m.kind().toString() : s.toString()).toList();
            }
        });
        System.out.println("RESULT rethrown: " + rethrown);
        // 3. Outside any Weft task: no grace, said once.
        try {
            b.reserve(200);
        } catch (MemoryLimitError e) {
            System.out.println("RESULT outside: " + e.getMessage());
        }
        // 4. A budget with no limit and no grace asked for is not refused for a grace.
        MemoryBudget unlimited = MemoryBudget.root().child("unlimited", Long.MAX_VALUE);
        try (Reservation r = unlimited.reserve(1 << 20)) {
            System.out.println("RESULT unlimited: grace " + unlimited.graceBytes() + ", reserved " + r.bytes());
        }
        System.out.flush();
    }
}
