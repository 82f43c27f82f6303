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
}
