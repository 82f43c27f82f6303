package dev.weft.internal.budget;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.cancel.AllocationAllowance;
import org.junit.jupiter.api.Test;

/**
 * What the heap watchdog lets the program allocate between two samples ({@link AllocationAllowance}): the distance to
 * the limit plus half its grace, over the footprint factor, at least the negligible floor; and how often a thread
 * reads its counter.
 */
class AllowanceBytesTest {
    private static final long MIB = 1 << 20;
    private static final long LIMIT = 96 * MIB;
    private static final long GRACE = LIMIT / 8;
    private static final long NEGLIGIBLE = HeapMonitor.negligibleBytes(LIMIT);

    @Test
    void theAllowanceIsTheDistanceToTheLimitPlusHalfTheGraceOverTheFootprintFactor() {
        // 90 MiB estimated under G1: 12 MiB to 102 MiB, and a humongous byte may take two
        assertThat(HeapMonitor.allowanceBytes(LIMIT, GRACE, NEGLIGIBLE, 2, 90 * MIB)).isEqualTo(6 * MIB);
        assertThat(HeapMonitor.allowanceBytes(LIMIT, GRACE, NEGLIGIBLE, 1, 90 * MIB)).isEqualTo(12 * MIB);
    }

    @Test
    void pastTheLimitWhatItIsAtTheLimitIsGrantedSoAHealthyProgramDoesNotWaitAtEverySample() {
        // at the limit: 6 MiB to the target, halved under G1; the gate holds the fast allocators from there
        assertThat(HeapMonitor.allowanceBytes(LIMIT, GRACE, NEGLIGIBLE, 2, LIMIT)).isEqualTo(3 * MIB);
        assertThat(HeapMonitor.allowanceBytes(LIMIT, GRACE, NEGLIGIBLE, 2, LIMIT + GRACE / 2)).isEqualTo(3 * MIB);
        assertThat(HeapMonitor.allowanceBytes(LIMIT, GRACE, NEGLIGIBLE, 2, 3 * LIMIT)).isEqualTo(3 * MIB);
        // no grace: the negligible floor
        assertThat(HeapMonitor.allowanceBytes(LIMIT, 0, NEGLIGIBLE, 2, 3 * LIMIT)).isEqualTo(NEGLIGIBLE);
    }

    @Test
    void theBoundForOneFastAllocatorStaysWithinTheLimitPlusItsGrace() {
        // the first sample above the limit is at most the target plus what one thread allocates between two reads,
        // and the gate lets it add the floor: under G1, twice that
        long quantum = HeapMonitor.allowanceQuantumBytes(NEGLIGIBLE);
        assertThat(quantum).isEqualTo(96 << 10);
        long bound = LIMIT + GRACE / 2 + 2 * (NEGLIGIBLE + quantum + (32 << 10));
        assertThat(bound).isLessThanOrEqualTo(LIMIT + GRACE);
    }
}
