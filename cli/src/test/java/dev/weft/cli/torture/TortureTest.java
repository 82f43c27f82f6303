package dev.weft.cli.torture;

import static org.junit.jupiter.api.Assertions.fail;

import dev.weft.cli.torture.TortureModel.Invariant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Runs {@link #TREES} random trees from {@link #BASE_SEED} (seeds {@code BASE_SEED + i}) once, then checks
 * each invariant in its own test, so a failure names the invariant and the seeds that break it
 * (replay one with {@code weft torture --seed S}; see {@link TortureMain}).
 *
 * <p>Disabled: the four invariants today's core breaks (a task scope swallows an outer cancel; a JDK call
 * no longer wakes after an earlier one consumed the interrupt; a cancel() racing a scope's exit leaves a
 * stray interrupt, in a few trees and not on every run; the program's own interrupt is cleared by the
 * cancellation that follows). The trees still run and their violations are printed in the summary.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TortureTest {
    static final long BASE_SEED = 20_250_000L;
    static final int TREES = 2_000;
    /** Stop generating trees after this long (a slow machine still gets a verdict on what ran). */
    static final long BUDGET_NS = TimeUnit.SECONDS.toNanos(40);

    private static Summary summary;

    private record Summary(int trees, long elapsedNs, Map<Invariant, List<TortureEngine.Result>> failures) {}

    private static synchronized Summary summary() {
        if (summary == null) {
            long start = System.nanoTime();
            Map<Invariant, List<TortureEngine.Result>> failures = new EnumMap<>(Invariant.class);
            int trees = 0;
            int abandoned = 0;
            while (trees < TREES && System.nanoTime() - start < BUDGET_NS && abandoned < TortureMain.ABANDONED_MAX) {
                TortureEngine.Result r = TortureEngine.run(BASE_SEED + trees);
                trees++;
                for (Invariant inv : r.broken()) {
                    failures.computeIfAbsent(inv, k -> new ArrayList<>()).add(r);
                }
                if (r.abandoned()) {
                    abandoned++;
                }
            }
            summary = new Summary(trees, System.nanoTime() - start, failures);
            System.out.println("torture: " + trees + " trees from seed " + BASE_SEED + " in "
                    + TimeUnit.NANOSECONDS.toMillis(summary.elapsedNs) + " ms; failing seeds per invariant: "
                    + failures.entrySet().stream()
                            .map(e -> e.getKey() + "=" + e.getValue().size() + " e.g. "
                                    + e.getValue().stream().map(TortureEngine.Result::seed).limit(5).toList())
                            .toList());
        }
        return summary;
    }

    private static void check(Invariant inv) {
        List<TortureEngine.Result> failed = summary().failures.getOrDefault(inv, List.of());
        if (!failed.isEmpty()) {
            TortureEngine.Result first = failed.getFirst();
            fail(inv + " (" + inv.rule + ") broken by " + failed.size() + " of " + summary().trees + " trees, seeds "
                    + failed.stream().map(TortureEngine.Result::seed).limit(20).toList() + "\nfirst failing seed "
                    + first.seed() + ":\n" + first.report());
        }
    }

    @Test
    void everyFinallyRunsExactlyOnce() {
        check(Invariant.FINALLY_ONCE);
    }

    @Test
    void noTaskOutlivesItsScope() {
        check(Invariant.NO_TASK_OUTLIVES_SCOPE);
    }

    @Test
    void everyFailureIsReportedExactlyOnce() {
        check(Invariant.FAILURES_REPORTED_ONCE);
    }

    @Test
    void cancelledNeverEscapesTheScopeThatOwnsIt() {
        check(Invariant.CANCELLED_STAYS_IN_OWNER);
    }

    @Test
    void onlyTheOwnerAbsorbsACancelled() {
        check(Invariant.CANCELLED_REACHES_OWNER);
    }

    @Test
    void cancellationPointsRaiseExactlyInCancelledScopes() {
        check(Invariant.CANCELLATION_POINTS);
    }

    @Test
    void taskScopePropagatesAnOuterCancel() {
        check(Invariant.TASK_SCOPE_PROPAGATES);
    }

    @Test
    void weftWaitsInCancelledScopesWake() {
        check(Invariant.WEFT_WAITS_WAKE);
    }

    @Test
    void jdkCallsInCancelledScopesWake() {
        check(Invariant.JDK_CALLS_WAKE);
    }

    @Test
    void noStrayInterrupt() {
        check(Invariant.NO_STRAY_INTERRUPT);
    }

    @Test
    void programInterruptSurvivesCancellation() {
        check(Invariant.PROGRAM_INTERRUPT_KEPT);
    }

    @Test
    void noUnexpectedException() {
        check(Invariant.NO_UNEXPECTED_EXCEPTION);
    }

    @Test
    void everyRunTerminates() {
        check(Invariant.TERMINATES);
    }
}
