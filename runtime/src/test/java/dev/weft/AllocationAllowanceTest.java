package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.abi.AgentHooks;
import dev.weft.internal.cancel.AllocationAllowance;
import dev.weft.internal.cancel.PendingCancels;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The heap watchdog's allowance as the checks see it ({@link AllocationAllowance}): the test's own thread plays the
 * watchdog, granting a fresh allowance whenever a check waits for one, so nothing depends on timing.
 */
@Timeout(20)
class AllocationAllowanceTest {
    /** What a task allocates per check: 64 KiB. */
    private static final int CHUNK_LONGS = 8192;
    private static final long ALLOWANCE_BYTES = 1 << 20;
    private static final long QUANTUM_BYTES = 64 << 10;

    @AfterEach
    void disarm() {
        AllocationAllowance.disarm(); // whatever a failing test left armed: the leak check counts it as a pending cancel
    }

    /** Allocates {@code checks} arrays of 64 KiB, a compiled check after each; returns the last array's length. */
    private static int allocateWithChecks(int checks) {
        long[] a = null;
        for (int i = 0; i < checks; i++) {
            a = new long[CHUNK_LONGS];
            AgentHooks.poll();
        }
        return a == null ? 0 : a.length;
    }

    /** The same with an explicit checkpoint after each array: a program the agent did not compile. */
    private static int allocateWithCheckpoints(int checks) {
        long[] a = null;
        for (int i = 0; i < checks; i++) {
            a = new long[CHUNK_LONGS];
            Cancellation.checkpoint();
        }
        return a == null ? 0 : a.length;
    }

    /**
     * Plays the watchdog until {@code done}: each time a check waits (the count of waits moves), records the bytes
     * granted so far and grants {@link #ALLOWANCE_BYTES} afresh. Bounded by 10 s.
     */
    private static Thread sampler(AtomicBoolean done, AtomicLong samples) {
        return Thread.ofPlatform().daemon().start(() -> {
            long seen = AllocationAllowance.waits();
            long endNs = System.nanoTime() + 10_000_000_000L;
            while (!done.get() && System.nanoTime() < endNs) {
                long w = AllocationAllowance.waits();
                if (w != seen) {
                    seen = w;
                    samples.incrementAndGet();
                    AllocationAllowance.grant(ALLOWANCE_BYTES, QUANTUM_BYTES);
                }
                LockSupport.parkNanos(100_000L);
            }
        });
    }

    private static void runAgainstSampler(boolean compiledChecks) throws Exception {
        long waits = AllocationAllowance.waits();
        AtomicBoolean done = new AtomicBoolean();
        AtomicLong samples = new AtomicLong();
        Thread s = sampler(done, samples);
        try {
            Runs.oneLoop(() -> {
                AllocationAllowance.grant(ALLOWANCE_BYTES, QUANTUM_BYTES);
                // 64 arrays of 64 KiB: 4 MiB, the first read only notes the counter, so about 63 charged against
                // grants of 1 MiB each: three of them spent
                return compiledChecks ? allocateWithChecks(64) : allocateWithCheckpoints(64);
            });
        } finally {
            done.set(true);
            s.join(10_000);
        }
        long waited = AllocationAllowance.waits() - waits;
        // three grants spent when every wait ends by a grant; fewer if the sampler got no core for the 500 ms a wait
        // lasts at most (the rest of that grant then goes through, as it must with a starved watchdog)
        assertThat(waited).as("checks that waited for a fresh allowance").isBetween(1L, 4L);
        assertThat(samples.get()).as("grants made for the waits").isLessThanOrEqualTo(waited);
    }

    @Test
    void fastAllocatorWaitsForTheNextSampleEachTimeItSpendsItsAllowance() throws Exception {
        runAgainstSampler(true);
    }

    @Test
    void explicitCheckpointsChargeTheAllowanceAsCompiledChecksDo() throws Exception {
        runAgainstSampler(false);
    }

    @Test
    void taskThatAllocatesLessThanItsAllowanceNeverWaits() {
        long waits = AllocationAllowance.waits();
        Runs.oneLoop(() -> {
            AllocationAllowance.grant(64L << 20, QUANTUM_BYTES);
            allocateWithChecks(64); // 4 MiB of 64
            return null;
        });
        assertThat(AllocationAllowance.waits() - waits).isZero();
    }

    @Test
    void disarmingReleasesAWaiterAndTakesBackItsPendingCancel() throws Exception {
        int pending = PendingCancels.count;
        long waits = AllocationAllowance.waits();
        Thread disarmer = Thread.ofPlatform().daemon().start(() -> {
            long endNs = System.nanoTime() + 10_000_000_000L;
            while (AllocationAllowance.waits() == waits && System.nanoTime() < endNs) {
                LockSupport.parkNanos(100_000L);
            }
            AllocationAllowance.disarm();
        });
        Runs.oneLoop(() -> {
            AllocationAllowance.grant(ALLOWANCE_BYTES, QUANTUM_BYTES);
            assertThat(PendingCancels.count).as("armed: one pending cancel").isEqualTo(pending + 1);
            return allocateWithChecks(64);
        });
        disarmer.join(10_000);
        assertThat(AllocationAllowance.waits() - waits).as("checks that waited").isEqualTo(1);
        assertThat(AllocationAllowance.isArmed()).isFalse();
        assertThat(PendingCancels.count).isEqualTo(pending);
    }

    @Test
    void monitorHeldInCompiledCodeIsNeverAPlaceToWait() {
        long waits = AllocationAllowance.waits();
        Object lock = new Object();
        Runs.oneLoop(() -> {
            AllocationAllowance.grant(ALLOWANCE_BYTES, QUANTUM_BYTES);
            synchronized (lock) {
                AgentHooks.monitorEntered();
                try {
                    allocateWithChecks(64);
                } finally {
                    AgentHooks.monitorExited();
                }
            }
            return null;
        });
        assertThat(AllocationAllowance.waits() - waits).as("checks that waited inside the monitor").isZero();
    }
}
