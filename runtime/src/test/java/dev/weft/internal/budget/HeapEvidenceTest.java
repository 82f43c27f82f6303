package dev.weft.internal.budget;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The watchdog's estimate of the live heap and its rule for forcing a full collection, fed with sequences. */
class HeapEvidenceTest {
    private static final long MIB = 1 << 20;
    private static final long MS = 1_000_000;
    private static final long LIMIT = 96 * MIB;

    private final HeapEvidence e = new HeapEvidence(LIMIT);

    @Test
    void beforeAnyYoungCollectionAllOfEdenCountsAndALeakForcesAFullCollectionAsSoonAsItCrossesTheLimit() {
        e.sample(0, 10 * MIB, 0, 80 * MIB);
        assertThat(e.wantsFullCollection(0)).isFalse();
        e.sample(MS, 10 * MIB, 0, 87 * MIB);
        assertThat(e.estimateBytes()).isEqualTo(97 * MIB);
        assertThat(e.wantsFullCollection(MS)).isTrue();
    }

    @Test
    void edenThatYoungCollectionsShowedToBeGarbageDoesNotForceAFullCollection() {
        // two young collections each kept 1 MiB of 50 MiB of eden: 2% retention
        e.youngCollection(80 * MIB, 4 * MIB, 50 * MIB, 81 * MIB, 4 * MIB);
        e.youngCollection(81 * MIB, 4 * MIB, 50 * MIB, 82 * MIB, 4 * MIB);
        assertThat(e.survival()).isEqualTo(0.02);
        e.sample(0, 82 * MIB, 4 * MIB, 60 * MIB); // 146 MiB in use, most of it garbage
        assertThat(e.estimateBytes()).isLessThan(LIMIT);
        assertThat(e.wantsFullCollection(0)).isFalse();
    }

    @Test
    void oneYoungCollectionWithLowRetentionIsNotEnoughToDiscountEden() {
        e.youngCollection(10 * MIB, 0, 50 * MIB, 60 * MIB, 0); // a leak: all of eden kept
        e.youngCollection(60 * MIB, 0, 50 * MIB, 61 * MIB, 0); // then one collection that kept little
        assertThat(e.survival()).isEqualTo(1.0);
        e.sample(0, 61 * MIB, 0, 40 * MIB);
        assertThat(e.wantsFullCollection(0)).isTrue();
    }

    @Test
    void humongousObjectsInTheOldGenerationCountAtOnceWhateverEdenRetains() {
        e.youngCollection(10 * MIB, 0, 50 * MIB, 10 * MIB, 0);
        e.youngCollection(10 * MIB, 0, 50 * MIB, 10 * MIB, 0);
        assertThat(e.survival()).isZero();
        e.sample(0, 97 * MIB, 0, 30 * MIB); // G1 allocates humongous arrays straight into the old generation
        assertThat(e.wantsFullCollection(0)).isTrue();
    }

    @Test
    void aMixedCollectionThatShrankTheOldGenerationLeavesTheRetentionAsItWas() {
        e.youngCollection(10 * MIB, 0, 50 * MIB, 11 * MIB, 0);
        e.youngCollection(11 * MIB, 0, 50 * MIB, 12 * MIB, 0);
        double before = e.survival();
        e.youngCollection(90 * MIB, 0, 50 * MIB, 60 * MIB, 2 * MIB); // reclaimed old garbage while copying eden
        assertThat(e.survival()).isEqualTo(before);
    }

    @Test
    void aFullCollectionAboveTheLimitIsTheVerdictAndDoesNotQuietTheWatchdog() {
        e.sample(0, 100 * MIB, 0, 0);
        assertThat(e.fullCollection(10 * MS, 99 * MIB, 10 * MS, true)).isTrue();
        assertThat(e.peakLiveBytes()).isEqualTo(99 * MIB);
        e.sample(11 * MS, 99 * MIB, 0, 0);
        assertThat(e.wantsFullCollection(11 * MS)).isTrue();
        assertThat(e.forced()).isEqualTo(1);
        assertThat(e.falseAlarms()).isZero();
    }

    @Test
    void afterAFalseAlarmTheNextForcedCollectionWaitsFourTimesAsLongAsItTook() {
        e.sample(0, 100 * MIB, 0, 0); // old garbage: the estimate is above the limit
        assertThat(e.wantsFullCollection(0)).isTrue();
        long endNs = 30 * MS;
        assertThat(e.fullCollection(endNs, 90 * MIB, 20 * MS, true)).isFalse();
        e.sample(endNs + MS, 100 * MIB, 0, 0); // the heap fills with old garbage again at once
        assertThat(e.wantsFullCollection(endNs + 79 * MS)).isFalse();
        // sleeps until the spacing ends, or half the way to the ceiling (2 MiB) at the growth rate if sooner
        assertThat(e.pollIntervalNs(endNs + 50 * MS)).isBetween(HeapEvidence.POLL_INTERVAL_NS_MIN, 30 * MS);
        assertThat(e.wantsFullCollection(endNs + 80 * MS)).isTrue();
        assertThat(e.falseAlarms()).isEqualTo(1);
        assertThat(e.liveBytes()).isEqualTo(90 * MIB);
    }

    @Test
    void duringTheSpacingAnEstimateASixteenthOfTheLimitAboveTheLastLiveHeapForcesACollectionAnyway() {
        e.sample(0, 100 * MIB, 0, 0);
        assertThat(e.fullCollection(30 * MS, 95 * MIB, 20 * MS, true)).isFalse(); // a false alarm: 95 MiB live
        e.sample(31 * MS, 101 * MIB, 0, 0); // within a sixteenth of the limit (6 MiB) above the limit: spaced
        assertThat(e.wantsFullCollection(31 * MS)).isFalse();
        e.sample(32 * MS, 103 * MIB, 0, 0); // past it: the program kept allocating during the spacing
        assertThat(e.wantsFullCollection(32 * MS)).isTrue();
        assertThat(e.pollIntervalNs(32 * MS)).isEqualTo(HeapEvidence.POLL_INTERVAL_NS_MIN);
    }

    @Test
    void aHeapThatStaysAboveTheLimitWithNobodyToBlameIsCollectedAgainOnlyAfterItGrew() {
        e.sample(0, 150 * MIB, 0, 0);
        assertThat(e.fullCollection(10 * MS, 150 * MIB, 10 * MS, true)).isTrue();
        e.undecided(10 * MS, 10 * MS);
        e.sample(11 * MS, 155 * MIB, 0, 0); // 5 MiB more than the last live heap: spaced
        assertThat(e.wantsFullCollection(11 * MS)).isFalse();
        e.sample(12 * MS, 157 * MIB, 0, 0); // 7 MiB more
        assertThat(e.wantsFullCollection(12 * MS)).isTrue();
    }

    @Test
    void undecidedCollectionAboveTheLimitIsSpacedLikeAFalseAlarm() {
        e.sample(0, 100 * MIB, 0, 0);
        assertThat(e.fullCollection(10 * MS, 100 * MIB, 10 * MS, true)).isTrue();
        e.undecided(10 * MS, 10 * MS); // nobody to blame (no Weft task allocated)
        assertThat(e.wantsFullCollection(20 * MS)).isFalse();
        assertThat(e.wantsFullCollection(50 * MS)).isTrue();
    }

    @Test
    void pollIntervalIsHalfTheDistanceAtTheGrowthRateBetweenOneAnd50Milliseconds() {
        HeapEvidence large = new HeapEvidence(1L << 30);
        large.sample(0, 0, 0, 0);
        assertThat(large.pollIntervalNs(0)).isEqualTo(HeapEvidence.POLL_INTERVAL_NS_MAX); // 500 ms at 1 GiB/s: capped
        e.sample(0, 0, 0, 0);
        assertThat(e.pollIntervalNs(0)).isEqualTo((long) (LIMIT / (2 * ((1L << 30) / 1e9)))); // at least 1 GiB/s
        e.sample(10 * MS, 0, 0, 60 * MIB); // 6 MiB per ms, above the attribution threshold (48 MiB)
        long distance = LIMIT - 60 * MIB;
        assertThat(e.pollIntervalNs(10 * MS)).isEqualTo((long) (distance / (2 * (6.0 * MIB / MS))));
        e.sample(11 * MS, 0, 0, 95 * MIB);
        assertThat(e.pollIntervalNs(11 * MS)).isEqualTo(HeapEvidence.POLL_INTERVAL_NS_MIN);
        e.sample(12 * MS, 0, 0, 97 * MIB);
        assertThat(e.pollIntervalNs(12 * MS)).isEqualTo(HeapEvidence.POLL_INTERVAL_NS_MIN);
    }

    @Test
    void theGrowthAcrossACollectionIsNotTakenAsTheRate() {
        e.sample(0, 10 * MIB, 0, 0);
        e.youngCollection(10 * MIB, 0, 60 * MIB, 70 * MIB, 0); // a 60 MiB eden filled, then a long pause
        e.sample(100 * MS, 70 * MIB, 0, 0);                    // 0.6 GiB/s if the pause were counted
        e.sample(101 * MS, 70 * MIB, 0, 8 * MIB);              // 8 MiB in a millisecond: the rate that matters
        long distance = LIMIT - 78 * MIB;
        assertThat(e.pollIntervalNs(101 * MS)).isEqualTo(Math.max(HeapEvidence.POLL_INTERVAL_NS_MIN,
                (long) (distance / (2 * (8.0 * MIB / MS)))));
    }

    @Test
    void anEdenFilledFasterThanThePollIntervalSetsTheRateFromTheTimeItTookToFill() {
        e.youngCollection(10 * MIB, 0, 64 * MIB, 74 * MIB, 0, 8 * MS); // 64 MiB kept, filled in 8 ms: 8 MiB/ms
        e.sample(0, 74 * MIB, 0, 0);
        long distance = LIMIT - 74 * MIB;
        assertThat(e.pollIntervalNs(0)).isEqualTo((long) (distance / (2 * (8.0 * MIB / MS))));
    }

    @Test
    void aQuietProgramNearItsLimitIsStillPolledAsIfItAllocatedOneGibibyteASecond() {
        e.sample(0, 90 * MIB, 0, 0);
        e.sample(50 * MS, 90 * MIB, 0, 0);
        long expected = (long) (6 * MIB / (2 * ((1L << 30) / 1e9)));
        assertThat(e.pollIntervalNs(50 * MS)).isEqualTo(expected).isLessThan(4 * MS);
    }

    @Test
    void belowTheAttributionThresholdAFastGrowingHeapIsPolledAgainBeforeItPassesItByMuch() {
        // 36 MiB in 9 ms (4 MiB/ms): half the way to 48 MiB (half the limit) is 1.5 ms, not half the way to the limit
        e.sample(0, 0, 0, 0);
        e.sample(9 * MS, 36 * MIB, 0, 0);
        assertThat(e.pollIntervalNs(9 * MS)).isEqualTo((long) (12 * MIB / (2 * (4.0 * MIB / MS))))
                .isLessThan((long) ((LIMIT - 36 * MIB) / (2 * (4.0 * MIB / MS))));
    }

    @Test
    void belowTheAttributionThresholdAHeapThatDoesNotGrowIsPolledAsBefore() {
        e.sample(0, 47 * MIB, 0, 0);
        e.sample(20 * MS, 47 * MIB, 0, 0); // just under half the limit, steady: no 1 ms polls
        assertThat(e.pollIntervalNs(20 * MS)).isEqualTo((long) ((LIMIT - 47 * MIB) / (2 * ((1L << 30) / 1e9))));
    }

    @Test
    void theCollectionAtInstallIsNoFalseAlarmAndHoldsNothingBack() {
        e.initialCollection(3 * MIB); // it may take 100 ms on a loaded machine: no 400 ms spacing after it
        assertThat(e.liveBytes()).isEqualTo(3 * MIB);
        e.sample(MS, 97 * MIB, 0, 0);
        assertThat(e.isQuiet(MS)).isFalse();
        assertThat(e.wantsFullCollection(MS)).isTrue();
        assertThat(e.falseAlarms()).isZero();
        assertThat(e.forced()).isZero();
    }
}
