package dev.weft.http.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/**
 * The adaptive concurrency limit on a virtual clock, against small models of a server: a CPU-bound handler on a
 * few cores (the start delay grows with every handler beyond the cores), a blocking one (it does not), a very short
 * one (it grows, but stays under the slack).
 */
class ConcurrencyLimitTest {
    private static final long MS = 1_000_000L;
    private static final int MAX = 64;
    private static final int FLOOR = 2;

    /** A load that keeps every allowed slot busy: one window's samples with the delay and service the model gives. */
    private interface Model {
        /** The start delay when {@code running} handlers run at once. */
        long delayNs(int running);

        long serviceNs();
    }

    /** A CPU-bound handler of {@code serviceMs} on {@code cores} cores: handlers beyond the cores wait their turn. */
    private static Model cpu(int cores, long serviceMs) {
        return new Model() {
            @Override
            public long delayNs(int running) {
                return Math.max(0, running - cores) * serviceMs * MS / cores;
            }

            @Override
            public long serviceNs() {
                return serviceMs * MS;
            }
        };
    }

    private static Model fixed(long delayNs, long serviceNs) {
        return new Model() {
            @Override
            public long delayNs(int running) {
                return delayNs;
            }

            @Override
            public long serviceNs() {
                return serviceNs;
            }
        };
    }

    /** Drives {@code l} for {@code seconds} from {@code startNs}, saturated; returns the clock at the end. */
    private static long drive(ConcurrencyLimit l, Model m, long startNs, double seconds) {
        long now = startNs;
        long end = startNs + (long) (seconds * 1e9);
        while (now < end) {
            int running = l.limit();
            for (int i = 0; i < 16; i++) { // 16 completions per 10 ms step, all slots busy
                l.record(now, m.delayNs(running), m.serviceNs(), running);
            }
            now += 10 * MS;
        }
        return now;
    }

    @Test
    void aCpuBoundHandlerSettlesNearTwiceTheCoresWithinASecond() {
        ConcurrencyLimit l = new ConcurrencyLimit(FLOOR, MAX);
        assertThat(l.limit()).as("nothing known yet: every slot may run").isEqualTo(MAX);
        long now = drive(l, cpu(2, 1), 0, 1.0);
        assertThat(l.limit()).as("after 1 s of 64 handlers on 2 cores").isBetween(FLOOR, 5);
        for (int i = 0; i < 50; i++) { // and it stays there, oscillating by at most a handler or two
            now = drive(l, cpu(2, 1), now, 0.1);
            assertThat(l.limit()).isBetween(FLOOR, 5);
        }
        assertThat(l.minServiceNs()).isEqualTo(MS);
    }

    @Test
    void aBlockingHandlerReachesEverySlot() {
        ConcurrencyLimit l = new ConcurrencyLimit(FLOOR, MAX);
        long now = drive(l, cpu(2, 1), 0, 2.0); // first a CPU-bound spell drives the limit down
        assertThat(l.limit()).isLessThanOrEqualTo(5);
        // then handlers that sleep 100 ms: the carriers stay free, the start delay stays at a hop's 50 us
        drive(l, fixed(50_000, 100 * MS), now, 3.0);
        assertThat(l.limit()).as("the start delay does not grow with concurrency").isEqualTo(MAX);
    }

    @Test
    void aMixOfFastAndSlowRoutesIsNotMistakenForQueueing() {
        ConcurrencyLimit l = new ConcurrencyLimit(FLOOR, MAX);
        long now = 0;
        for (int step = 0; step < 300; step++) { // 3 s of a 20 us route beside a 100 ms one, carriers free
            int running = l.limit();
            for (int i = 0; i < 16; i++) {
                l.record(now, 30_000, i % 2 == 0 ? 20_000 : 100 * MS, running);
            }
            now += 10 * MS;
        }
        assertThat(l.minServiceNs()).isEqualTo(20_000);
        assertThat(l.limit()).isEqualTo(MAX);
    }

    @Test
    void queueingUnderTheSlackIsNeverRefused() {
        ConcurrencyLimit l = new ConcurrencyLimit(FLOOR, MAX);
        // a 20 us handler whose task waits 0.6 ms for a carrier at a peak: ten times its time, under a millisecond
        drive(l, fixed(600_000, 20_000), 0, 3.0);
        assertThat(l.limit()).isEqualTo(MAX);
    }

    @Test
    void oneWindowCutsTheLimitByHalfAtMost() {
        assertThat(ConcurrencyLimit.next(64, 1000 * MS, MS, 64, FLOOR, MAX)).isEqualTo(32);
        assertThat(ConcurrencyLimit.next(8, 2 * MS, MS, 8, FLOOR, MAX)).as("twice the target").isEqualTo(4);
        assertThat(ConcurrencyLimit.next(3, 100 * MS, MS, 3, FLOOR, MAX)).as("never under the floor").isEqualTo(FLOOR);
    }

    @Test
    void theLimitGrowsByItsSquareRootOnlyWhenTheLoadUsedIt() {
        assertThat(ConcurrencyLimit.next(16, 0, MS, 16, FLOOR, MAX)).isEqualTo(20);
        assertThat(ConcurrencyLimit.next(16, 0.8 * MS, MS, 16, FLOOR, MAX)).as("some queueing: by one").isEqualTo(17);
        assertThat(ConcurrencyLimit.next(16, 0, MS, 7, FLOOR, MAX)).as("under half of it in use").isEqualTo(16);
        assertThat(ConcurrencyLimit.next(63, 0, MS, 63, FLOOR, MAX)).as("never over the cap").isEqualTo(MAX);
    }

    @Test
    void anOldMinimumIsForgotten() {
        ConcurrencyLimit l = new ConcurrencyLimit(FLOOR, MAX);
        long now = drive(l, fixed(0, MS), 0, 1.0);
        assertThat(l.minServiceNs()).isEqualTo(MS);
        // the handler became 10 times slower for good: within two minimum periods, 1 ms is forgotten
        drive(l, fixed(0, 10 * MS), now, 2.0 * ConcurrencyLimit.MIN_WINDOW_NS / 1e9 + 0.5);
        assertThat(l.minServiceNs()).isEqualTo(10 * MS);
    }

    @Test
    void aFloorOutsideItsBoundsIsRefusedWithTheBounds() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ConcurrencyLimit(0, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 1 and the maximum 4");
    }
}
