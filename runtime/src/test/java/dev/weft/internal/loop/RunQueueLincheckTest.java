package dev.weft.internal.loop;

import static dev.weft.internal.LincheckScenarios.actor;
import static dev.weft.internal.LincheckScenarios.parallel;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.jetbrains.lincheck.LincheckAssertionError;
import org.jetbrains.lincheck.datastructures.IntGen;
import org.jetbrains.lincheck.datastructures.ModelCheckingOptions;
import org.jetbrains.lincheck.datastructures.Operation;
import org.jetbrains.lincheck.datastructures.Param;
import org.jetbrains.lincheck.datastructures.ThreadIdGen;
import org.jetbrains.lincheck.datastructures.Validate;
import org.junit.jupiter.api.Test;

/**
 * Model checking of {@link RunQueue}: many producers, one consumer (the loop's carrier).
 *
 * <p>The ring is Vyukov's array queue, which is not linearizable on emptiness: while a producer has claimed a slot
 * (moved {@code tail}) but not yet published it, {@code poll()} reports empty even if later slots hold entries whose
 * {@code offer} already returned. The loop tolerates that because every {@code submit} unparks the carrier after its
 * own publication (the Dekker pair in {@code EventLoop}). So the strict property is checked with a consumer that
 * waits out an in-flight claim (as the loop effectively does: the late producer wakes it), which shows that this
 * window is the only departure from a FIFO, and the relaxation itself is pinned by
 * {@link #runQueuePollMayReportEmptyWhileAnEarlierClaimedSlotIsUnpublished}.
 *
 * <p>Lincheck's model checker explores interleavings under sequential consistency: it finds a wrong order of
 * operations (a slot published before it is written), not a missing fence (release / acquire weakened to plain).
 *
 * <p>The sequential specification models the overflow too: a ring of {@code capacity} entries first, then a
 * linked overflow queue; the consumer takes from the ring first.
 */
public class RunQueueLincheckTest {
    private static final VarHandle TAIL;
    private static final VarHandle HEAD;

    static {
        try {
            var lookup = MethodHandles.privateLookupIn(RunQueue.class, MethodHandles.lookup());
            TAIL = lookup.findVarHandle(RunQueue.class, "tail", long.class);
            HEAD = lookup.findVarHandle(RunQueue.class, "head", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** An entry: compared by value in the results. */
    record Entry(int v) implements Runnable {
        @Override
        public void run() {}
    }

    /** Sequential specification: a bounded FIFO ring plus an unbounded FIFO overflow. */
    public static class Spec {
        private final int capacity;
        private final ArrayDeque<Integer> ring = new ArrayDeque<>();
        private final ArrayDeque<Integer> overflow = new ArrayDeque<>();

        Spec(int capacity) {
            this.capacity = capacity;
        }

        public void offer(int v) {
            (ring.size() < capacity ? ring : overflow).add(v);
        }

        public Integer poll() {
            Integer v = ring.poll();
            return v != null ? v : overflow.poll();
        }

        public Integer pollRaw() {
            return poll();
        }
    }

    /** Operations on a ring of 16: never fills in these scenarios (at most 11 operations). */
    @Param(name = "v", gen = IntGen.class, conf = "1:9")
    public static class Roomy {
        private final RunQueue q = new RunQueue(16);

        @Operation
        public void offer(@Param(name = "v") int v) {
            q.offer(new Entry(v));
        }

        /** The consumer: polls, waiting out a producer that claimed the head slot but has not published it. */
        @Operation(nonParallelGroup = "consumer")
        public Integer poll() {
            return pollPastInFlightClaims(q);
        }

        /** The specification's constructor takes no arguments. */
        public static class RoomySpec extends Spec {
            public RoomySpec() {
                super(16);
            }
        }
    }

    /**
     * Operations on a ring of 2, which the scenarios overflow. Order is not checked here: while the head slot is
     * claimed but unpublished, {@code poll()} falls through to the overflow and may return a producer's later entry
     * before its earlier one (overflow is never legitimate: see {@link RunQueue}). What holds is that no entry is
     * lost or duplicated, and the overflow count is bounded.
     */
    @Param(name = "tid", gen = ThreadIdGen.class)
    public static class Tight {
        private static final int THREADS = 3; // the initial and post parts run on the first thread
        private final RunQueue q = new RunQueue(2);
        /** offered[t]: entries thread t offered, valued t * 100 + i; written by thread t only. */
        private final int[] offered = new int[THREADS];
        /** Consumer-only. */
        private final List<Integer> consumed = new ArrayList<>();

        @Operation
        public void offer(@Param(name = "tid") int tid) {
            q.offer(new Entry(tid * 100 + offered[tid]++));
        }

        @Operation(nonParallelGroup = "consumer")
        public void poll() {
            Integer v = pollPastInFlightClaims(q);
            if (v != null) {
                consumed.add(v);
            }
        }

        @Validate
        public void everyEntryIsPolledExactlyOnce() {
            long overflowed = q.overflowCount();
            Integer v;
            while ((v = pollPastInFlightClaims(q)) != null) {
                consumed.add(v);
            }
            List<Integer> expected = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                for (int i = 0; i < offered[t]; i++) {
                    expected.add(t * 100 + i);
                }
            }
            List<Integer> sorted = new ArrayList<>(consumed);
            sorted.sort(null);
            if (!sorted.equals(expected)) {
                throw new AssertionError("offered " + expected + ", polled " + consumed);
            }
            // an entry overflows only past two in the ring
            if (overflowed > Math.max(0, expected.size() - 2)) {
                throw new AssertionError("overflow count " + overflowed + " for " + expected.size() + " entries");
            }
        }
    }

    /** The plain {@code poll()}, which may report a false empty. */
    public static class Raw {
        private final RunQueue q = new RunQueue(8);

        @Operation
        public void offer(int v) {
            q.offer(new Entry(v));
        }

        @Operation(nonParallelGroup = "consumer")
        public Integer pollRaw() {
            Runnable r = q.poll();
            return r == null ? null : ((Entry) r).v();
        }

        public static class RawSpec extends Spec {
            public RawSpec() {
                super(8);
            }
        }
    }

    private static Integer pollPastInFlightClaims(RunQueue q) {
        while (true) {
            Runnable r = q.poll();
            if (r != null) {
                return ((Entry) r).v();
            }
            // poll() looked at the head slot only: tail past head means a producer claimed it and is publishing
            if ((long) TAIL.getVolatile(q) == (long) HEAD.getVolatile(q)) {
                return null;
            }
            Thread.onSpinWait();
        }
    }

    private static ModelCheckingOptions bounded() {
        return new ModelCheckingOptions()
                .iterations(6)
                .invocationsPerIteration(120)
                .threads(3)
                .actorsPerThread(2)
                .actorsBefore(1)
                .actorsAfter(2);
    }

    @Test
    void runQueueIsLinearizableForManyProducersAndOneConsumer() {
        bounded().sequentialSpecification(Roomy.RoomySpec.class).check(Roomy.class);
    }

    @Test
    void runQueueOverflowLosesAndDuplicatesNoEntryForManyProducersAndOneConsumer() {
        // two threads: a producer, and a producer that is the consumer; the initial part fills the ring
        bounded().iterations(3).invocationsPerIteration(80)
                .threads(2).actorsPerThread(3).actorsBefore(2).actorsAfter(0)
                .check(Tight.class);
    }

    @Test
    void runQueuePollMayReportEmptyWhileAnEarlierClaimedSlotIsUnpublished() {
        // Producer 1 claims slot 0 and stalls before publishing; producer 2 fills slot 1 and returns; the consumer,
        // after producer 2's offer returned, still finds the head slot unpublished and reports empty.
        var options = new ModelCheckingOptions()
                .iterations(0)
                .invocationsPerIteration(500)
                .sequentialSpecification(Raw.RawSpec.class)
                .addCustomScenario(parallel(List.of(
                        List.of(actor(Raw.class, "offer", 1)),
                        List.of(actor(Raw.class, "offer", 2), actor(Raw.class, "pollRaw")))));
        assertThatThrownBy(() -> options.check(Raw.class))
                .isInstanceOf(LincheckAssertionError.class)
                .hasMessageContaining("pollRaw(): null");
    }
}
