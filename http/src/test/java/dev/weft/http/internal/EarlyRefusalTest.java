package dev.weft.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The early-refusal rule of {@link Admission} on a virtual clock: a waiter whose expected wait (its place in line
 * over the measured drain rate) exceeds the queue timeout is refused at once, but only once the rate rests on
 * enough completions.
 */
class EarlyRefusalTest {
    private static final long S = 1_000_000_000L;
    private static final long MS = 1_000_000L;
    private static final long QUEUE_TIMEOUT_NS = 100 * MS;
    private static final int HANDLERS = 64;

    /** {@code perSecond} completions a second for two seconds, ending at {@code endNs}. */
    private static DrainRate drained(long endNs, int perSecond) {
        DrainRate r = new DrainRate();
        long gapNs = S / perSecond;
        for (long t = endNs - 2 * S; t < endNs; t += gapNs) {
            r.record(t);
        }
        return r;
    }

    @Test
    void aWaiterWhoseExpectedWaitExceedsTheTimeoutIsRefusedAtOnce() {
        long now = 100 * S;
        DrainRate r = drained(now, 1000); // 1,000 completions a second: the 100th waiter is served in 100 ms
        assertThat(Admission.refusesEarly(r, now, 1, HANDLERS, QUEUE_TIMEOUT_NS)).as("first in line").isFalse();
        assertThat(Admission.refusesEarly(r, now, 90, HANDLERS, QUEUE_TIMEOUT_NS)).as("90 ms away").isFalse();
        assertThat(Admission.refusesEarly(r, now, 120, HANDLERS, QUEUE_TIMEOUT_NS)).as("120 ms away").isTrue();
    }

    @Test
    void aSlowDrainRefusesEvenTheFirstWaiters() {
        long now = 100 * S;
        DrainRate r = drained(now, 40); // 80 completions in the window: evidence enough for 64 handlers
        assertThat(Admission.refusesEarly(r, now, 3, HANDLERS, QUEUE_TIMEOUT_NS)).as("3 / 40 per s = 75 ms").isFalse();
        assertThat(Admission.refusesEarly(r, now, 5, HANDLERS, QUEUE_TIMEOUT_NS)).as("5 / 40 per s = 125 ms").isTrue();
    }

    @Test
    void withTooFewCompletionsBehindTheRateEveryWaiterWaits() {
        long now = 100 * S;
        DrainRate r = drained(now, 20); // 40 completions in the window: fewer than the 64 handlers
        assertThat(Admission.refusesEarly(r, now, 60, HANDLERS, QUEUE_TIMEOUT_NS)).isFalse();
        // with 8 handlers the evidence needed is 16 completions: now the rule applies
        assertThat(Admission.refusesEarly(r, now, 60, 8, QUEUE_TIMEOUT_NS)).isTrue();
    }

    @Test
    void afterAQuietSpellTheRuleForgetsTheOldRate() {
        long end = 100 * S;
        DrainRate r = drained(end, 1000);
        assertThat(Admission.refusesEarly(r, end, 500, HANDLERS, QUEUE_TIMEOUT_NS)).isTrue();
        long later = end + 3 * S; // the window (2 s) holds nothing now
        assertThat(Admission.refusesEarly(r, later, 500, HANDLERS, QUEUE_TIMEOUT_NS)).isFalse();
    }
}
