package dev.weft.http.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/** The drain rate behind Retry-After: completions per second over a two-second window that forgets. */
class DrainRateTest {
    private static final long S = 1_000_000_000L;

    @Test
    void countsCompletionsOverTheWindow() {
        DrainRate r = new DrainRate();
        long t0 = 10 * S; // a bucket boundary
        for (int i = 0; i < 20; i++) {
            r.record(t0 + i * (S / 10)); // 10 per second for 2 s
        }
        assertThat(r.perSecond(t0 + 2 * S - 1)).isCloseTo(10.0, within(1.0));
    }

    @Test
    void forgetsWhatIsOlderThanTheWindow() {
        DrainRate r = new DrainRate();
        for (int i = 0; i < 100; i++) {
            r.record(5 * S);
        }
        assertThat(r.perSecond(5 * S)).isPositive();
        assertThat(r.perSecond(5 * S + 3 * S)).as("three seconds later").isZero();
    }

    @Test
    void negativeClockReadingsAreBucketedToo() {
        DrainRate r = new DrainRate();
        r.record(-3 * S);
        r.record(-3 * S + 1);
        assertThat(r.perSecond(-3 * S + 1)).isPositive();
    }
}
