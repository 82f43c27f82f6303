package dev.weft.cli;

import dev.weft.CancelScope;
import dev.weft.Cancelled;
import dev.weft.ContextVar;
import dev.weft.Loop;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.Weft;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;

/**
 * {@code weft tour}: a short, self-checking tour of the core runtime on embedded defaults.
 *
 * <p>Each step prints what happens and the tour fails ({@link ExitStatus#FAILED}) if the runtime did not behave
 * as described, so the tour doubles as an end-to-end check of the launcher and the JVM flags. Its status is
 * {@link Weft#exitStatus}'s, whose constants the {@link ExitStatus} table refers to.
 */
final class Tour {
    private Tour() {}

    private static final ContextVar<String> REQUEST = ContextVar.withDefault("request", "-");

    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length > 0) {
            err.println("weft tour takes no arguments; got " + String.join(" ", args));
            return ExitStatus.USAGE.code();
        }
        return Weft.exitStatus(() -> Weft.run(Weft.options().name("tour"), () -> {
            tour(out);
            return null;
        }));
    }

    @SuppressWarnings("try") // a context binding is held for its effect while its block runs
    private static void tour(PrintStream out) throws Exception {
        List<Loop> loops = Weft.loops();
        out.println("Weft tour: the root task '" + Weft.currentTaskName() + "' runs on " + Weft.currentLoop().name()
                + " (" + loops.size() + " loop(s), one carrier thread each)");

        out.println();
        out.println("1. A task scope: three children run concurrently; the scope waits for all of them.");
        long t0 = System.nanoTime();
        int sum = TaskScope.run(scope -> {
            Task<Integer> a = scope.spawn("a", () -> work(out, "a", 300, 1));
            Task<Integer> b = scope.spawn("b", () -> work(out, "b", 200, 2));
            Task<Integer> c = scope.spawn("c", () -> work(out, "c", 100, 3));
            return a.join() + b.join() + c.join();
        });
        out.printf("   sum = %d after %d ms (300 + 200 + 100 ms of sleep, overlapped)%n", sum, ms(t0));
        check(sum == 6, "sum of children");

        out.println();
        out.println("2. A deadline cancels a task stuck in a wait; its finally block runs; we continue after the scope.");
        CancelScope deadline = CancelScope.withTimeout(Duration.ofMillis(100)).name("100ms-deadline");
        t0 = System.nanoTime();
        deadline.run(() -> {
            try {
                out.println("   waiting for something that never comes (Weft.sleep 1 h)...");
                Weft.sleep(Duration.ofHours(1));
            } catch (Cancelled c) {
                out.println("   " + c.getMessage());
                throw c; // never swallow: the scope that was cancelled catches it
            } finally {
                out.println("   finally: releasing resources");
            }
        });
        out.printf("   continued after the scope at %d ms; cancelledCaught = %s%n", ms(t0), deadline.cancelledCaught());
        check(deadline.cancelledCaught(), "deadline caught");

        out.println();
        out.println("3. Cleanup that must block runs in a shield with its own deadline, even while cancelled.");
        CancelScope cancelled = CancelScope.create().name("cancelled-work");
        cancelled.run(() -> {
            cancelled.cancel();
            try {
                Thread.sleep(Duration.ofSeconds(10)); // a JDK blocking call: woken by the cancellation
            } finally {
                CancelScope.shielded(Duration.ofSeconds(1), () -> {
                    Weft.sleep(Duration.ofMillis(20));
                    out.println("   shielded cleanup blocked 20 ms and finished");
                });
            }
        });
        check(cancelled.cancelledCaught(), "shielded cleanup then absorbed");

        out.println();
        out.println("4. Context travels: children get a snapshot at spawn, also on another loop.");
        try (var binding = REQUEST.bind("req-42")) {
            Loop other = loops.get(loops.size() - 1);
            String seen = TaskScope.run(scope -> {
                Task<String> local = scope.spawn("same-loop", () -> REQUEST.get() + " on " + Weft.currentLoop().name());
                Task<String> remote = scope.spawnOn(other, "other-loop", () -> {
                    String before = REQUEST.get();
                    REQUEST.set("changed-in-child");
                    return before + " on " + Weft.currentLoop().name();
                });
                return local.join() + " | " + remote.join();
            });
            out.println("   children saw: " + seen);
            out.println("   parent still sees: " + REQUEST.get());
            check(seen.startsWith("req-42") && seen.contains("| req-42") && REQUEST.get().equals("req-42"),
                    "context snapshot");
            Weft.moveTo(other);
            out.println("   the root task moved itself to " + Weft.currentLoop().name() + " and still sees "
                    + REQUEST.get());
        }

        out.println();
        out.println("5. The first failure cancels the siblings; every failure is reported.");
        try {
            TaskScope.run(scope -> {
                scope.spawn("slow-sibling", () -> {
                    try {
                        Weft.sleep(Duration.ofHours(1));
                        return null;
                    } finally {
                        out.println("   slow-sibling: cancelled, cleaned up");
                    }
                });
                scope.spawn("crasher", () -> {
                    Weft.sleep(Duration.ofMillis(10));
                    throw new IllegalStateException("crasher failed");
                });
                return null;
            });
            check(false, "failure should propagate");
        } catch (IllegalStateException e) {
            out.println("   the scope rethrew: " + e.getMessage());
        }

        out.println();
        out.println("6. A dump of the live task tree (what ./weft prints for a program that seems stuck):");
        TaskScope.run(scope -> {
            scope.spawn("waiting-worker", () -> {
                CancelScope.withTimeout(Duration.ofMinutes(5)).name("fetch-timeout").run(() -> Weft.sleep(Duration.ofHours(1)));
                return null;
            });
            Weft.sleep(Duration.ofMillis(10));
            for (String line : Weft.dump().split("\n")) {
                out.println("   " + line);
            }
            scope.cancel();
            return null;
        });
        out.println();
        out.println("Tour finished: every step behaved as described.");
    }

    private static int work(PrintStream out, String name, int sleepMs, int value) {
        Weft.sleep(Duration.ofMillis(sleepMs));
        out.printf("   child %s finished after %d ms on %s%n", name, sleepMs, Weft.currentLoop().name());
        return value;
    }

    private static long ms(long t0) {
        return (System.nanoTime() - t0) / 1_000_000;
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new IllegalStateException("tour check failed: " + what);
        }
    }
}
