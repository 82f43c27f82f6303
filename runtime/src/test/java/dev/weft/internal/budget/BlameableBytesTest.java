package dev.weft.internal.budget;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * Whom the heap watchdog may blame: a task must have allocated, in the window, what the heap is above the limit
 * (at most an eighth of the limit, at least the negligible floor). The rule depends on counts and the collection's
 * result only, never on what the task is doing at the moment of the check.
 */
class BlameableBytesTest {
    private static final long MIB = 1 << 20;
    private static final long LIMIT = 96 * MIB;
    private static final long NEGLIGIBLE = HeapMonitor.negligibleBytes(LIMIT);

    @Test
    void justAboveTheLimitTheNegligibleFloorDecides() {
        assertThat(NEGLIGIBLE).isEqualTo(384 << 10);
        assertThat(HeapMonitor.blameableBytes(LIMIT, NEGLIGIBLE, LIMIT + 100)).isEqualTo(NEGLIGIBLE);
    }

    @Test
    void aStartUpAllocationSmallerThanTheExcessIsNotEnough() {
        // the forked case: 111.3 MiB live against 96 MiB; the root allocated 1.3 MiB before it parked
        long needed = HeapMonitor.blameableBytes(LIMIT, NEGLIGIBLE, LIMIT + 15 * MIB);
        assertThat(needed).isEqualTo(12 * MIB).isGreaterThan(13 * MIB / 10);
    }

    @Test
    void theExcessIsCappedAtAnEighthOfTheLimitSoSeveralLeakersAreBlamedOneByOne() {
        assertThat(HeapMonitor.blameableBytes(LIMIT, NEGLIGIBLE, LIMIT + 5 * MIB)).isEqualTo(5 * MIB);
        assertThat(HeapMonitor.blameableBytes(LIMIT, NEGLIGIBLE, 3 * LIMIT)).isEqualTo(LIMIT / 8);
    }

    @Test
    void underG1TheExcessIsHalvedBecauseAHumongousObjectCanTakeTwiceWhatItIsCounted() {
        // 600 KiB arrays take a 1 MiB region each: 13 of them are counted 7.6 MiB and fill 13 MiB of heap
        assertThat(HeapMonitor.footprintFactor(Collector.G1)).isEqualTo(2);
        assertThat(HeapMonitor.footprintFactor(Collector.PARALLEL)).isEqualTo(1);
        long needed = HeapMonitor.blameableBytes(LIMIT, NEGLIGIBLE, LIMIT + 11 * MIB + MIB / 5, 2);
        assertThat(needed).isLessThan(13 * 614400L).isEqualTo((11 * MIB + MIB / 5) / 2);
        // the supervising root's 1.3 MiB against 15 MiB above the limit is still not enough
        assertThat(HeapMonitor.blameableBytes(LIMIT, NEGLIGIBLE, LIMIT + 15 * MIB, 2)).isEqualTo(6 * MIB)
                .isGreaterThan(13 * MIB / 10);
        assertThat(HeapMonitor.blameableBytes(LIMIT, NEGLIGIBLE, LIMIT + 100, 2)).isEqualTo(NEGLIGIBLE);
    }
}
