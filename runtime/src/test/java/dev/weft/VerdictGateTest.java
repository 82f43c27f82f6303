package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.abi.AgentHooks;
import dev.weft.internal.cancel.VerdictGate;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The heap watchdog's gate as the compiled checks see it ({@link VerdictGate}). */
@Timeout(20)
class VerdictGateTest {
    /** What a task allocates per check: the 32 KiB arrays of the soft-limit benchmark, twice. */
    private static final int CHUNK_LONGS = 8192;
    private static final long CANDIDATE_BYTES = 1 << 20;
    /** The longest an unrelated task holds its cancelled scope open: past it a failing test still ends. */
    private static final Duration HOLD_MAX = Duration.ofSeconds(20);

    @AfterEach
    void closeTheGate() {
        VerdictGate.close(); // whatever a failing test left open: the leak check counts it as a pending cancel
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
     * Cancels {@code scope} from another thread once a check has entered the gate's wait (the count of waits passed
     * {@code waitsBefore}), or after 10 s if none does (the test's assertions then fail).
     */
    private static void cancelOnceWaiting(CancelScope scope, long waitsBefore) {
        Thread.ofPlatform().daemon().start(() -> {
            long endNs = System.nanoTime() + 10_000_000_000L;
            while (VerdictGate.waits() == waitsBefore && System.nanoTime() < endNs) {
                java.util.concurrent.locks.LockSupport.parkNanos(100_000L);
            }
            scope.cancel();
        });
    }

    private static void closeAfter(long delayMs) {
        Thread.ofPlatform().daemon().start(() -> {
            try {
                Thread.sleep(delayMs);
            } catch (InterruptedException e) {
                return;
            }
            VerdictGate.close();
        });
    }

    @Test
    void fastAllocatorWaitsAtItsNextCheckUntilTheVerdictIsDone() {
        long waits = VerdictGate.waits();
        long waitedNs = Runs.oneLoop(() -> {
            assertThat(VerdictGate.open(CANDIDATE_BYTES)).isTrue();
            closeAfter(150);
            long t0 = System.nanoTime();
            allocateWithChecks(64); // 4 MiB: past the candidate bytes after 16 checks
            return System.nanoTime() - t0;
        });
        assertThat(VerdictGate.waits() - waits).as("checks that waited").isEqualTo(1);
        assertThat(waitedNs).as("until the close, 150 ms after the opening").isGreaterThan(100_000_000L);
        assertThat(VerdictGate.isOpen()).isFalse();
    }

    @Test
    void fastAllocatorWaitsEvenWhenItsChecksWentCleanBeforeTheOpening() {
        // an unrelated cancelled scope makes the count non-zero and the task's first check clears its own flag: the
        // gate must reach it all the same (it asks for every task's checks, whatever their flags say)
        long waits = VerdictGate.waits();
        Channel<Object> release = Channel.create(1);
        long waitedNs = Runs.oneLoop(() -> TaskScope.run(n -> {
            n.spawn("unrelated", () -> {
                CancelScope c = CancelScope.create();
                c.run(() -> {
                    c.cancel();
                    CancelScope.shielded(HOLD_MAX, () -> { // bounded: a failing test must not wait forever
                        try {
                            release.receive();
                        } catch (ChannelClosedException closed) {
                            // released
                        }
                    });
                });
            });
            Task<Long> allocator = n.spawn("allocator", () -> {
                AgentHooks.poll();
                assertThat(TaskImpl.current().mayHaveCancel()).as("clean before the opening").isFalse();
                assertThat(VerdictGate.open(CANDIDATE_BYTES)).isTrue();
                closeAfter(150);
                long t0 = System.nanoTime();
                allocateWithChecks(64);
                return System.nanoTime() - t0;
            });
            long ns = allocator.join();
            release.close();
            return ns;
        }));
        assertThat(VerdictGate.waits() - waits).as("checks that waited").isEqualTo(1);
        assertThat(waitedNs).as("until the close, 150 ms after the opening").isGreaterThan(100_000_000L);
    }

    @Test
    void taskThatAllocatesLittleNeverWaits() {
        long waits = VerdictGate.waits();
        Runs.oneLoop(() -> {
            assertThat(VerdictGate.open(CANDIDATE_BYTES)).isTrue();
            for (int i = 0; i < 10_000; i++) {
                AgentHooks.poll();
            }
            VerdictGate.close();
            return null;
        });
        assertThat(VerdictGate.waits() - waits).isZero();
    }

    @Test
    void waitEndsAtTheVerdictDeadlineWhenNobodyCloses() {
        long waitedNs = Runs.oneLoop(() -> {
            VerdictGate.open(CANDIDATE_BYTES);
            long t0 = System.nanoTime();
            allocateWithChecks(64);
            return System.nanoTime() - t0;
        });
        assertThat(waitedNs).isBetween(VerdictGate.WAIT_NS_MAX / 2, 10 * VerdictGate.WAIT_NS_MAX);
        assertThat(VerdictGate.isOpen()).as("still open: only the watchdog closes it").isTrue();
    }

    @Test
    void blamedTaskLeavesTheWaitAtOnceAndThrowsAtThatCheck() {
        long waits = VerdictGate.waits();
        AtomicReference<Long> waitedNs = new AtomicReference<>();
        AtomicReference<Boolean> completed = new AtomicReference<>(false);
        Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create();
            VerdictGate.open(CANDIDATE_BYTES);
            cancelOnceWaiting(scope, waits); // what the blame does (its cause is the memory error), before the close
            long t0 = System.nanoTime();
            scope.run(() -> {
                allocateWithChecks(10_000);
                completed.set(true);
            }); // the scope's own cancel ends here
            waitedNs.set(System.nanoTime() - t0);
            VerdictGate.close();
            return null;
        });
        assertThat(VerdictGate.waits() - waits).as("checks that waited").isEqualTo(1);
        assertThat(completed.get()).as("the check threw").isFalse();
        assertThat(waitedNs.get()).as("left the wait at the cancel, not at the deadline")
                .isLessThan(VerdictGate.WAIT_NS_MAX);
    }

    @Test
    void fastAllocatorWaitsAtAnExplicitCheckpointAsAtACompiledCheck() {
        long waits = VerdictGate.waits();
        long waitedNs = Runs.oneLoop(() -> {
            assertThat(VerdictGate.open(CANDIDATE_BYTES)).isTrue();
            closeAfter(150);
            long t0 = System.nanoTime();
            allocateWithCheckpoints(64);
            return System.nanoTime() - t0;
        });
        assertThat(VerdictGate.waits() - waits).as("checkpoints that waited").isEqualTo(1);
        assertThat(waitedNs).as("until the close, 150 ms after the opening").isGreaterThan(100_000_000L);
    }

    @Test
    void blamedTaskLeavesTheWaitAtItsExplicitCheckpointAndThrowsThere() {
        long waits = VerdictGate.waits();
        AtomicReference<Long> waitedNs = new AtomicReference<>();
        AtomicReference<Boolean> completed = new AtomicReference<>(false);
        Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create();
            VerdictGate.open(CANDIDATE_BYTES);
            cancelOnceWaiting(scope, waits); // what the blame does (its cause is the memory error), before the close
            long t0 = System.nanoTime();
            scope.run(() -> {
                allocateWithCheckpoints(10_000);
                completed.set(true);
            });
            waitedNs.set(System.nanoTime() - t0);
            VerdictGate.close();
            return null;
        });
        assertThat(VerdictGate.waits() - waits).as("checkpoints that waited").isEqualTo(1);
        assertThat(completed.get()).as("the checkpoint threw").isFalse();
        assertThat(waitedNs.get()).as("left the wait at the cancel, not at the deadline")
                .isLessThan(VerdictGate.WAIT_NS_MAX);
    }
}
