package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.internal.cancel.CheckpointProbe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Every cancellation point, in turn (Zig's {@code checkAllAllocationFailures} applied to cancellation): a scenario
 * runs once counting the cancellation points it reaches, then once per point i with the outer scope cancelled
 * exactly there. Each time: every finally ran exactly once, the cancel was absorbed by the scope that owns it and
 * by no other, nothing failed, no interrupt is left over, and the runtime ends with no task left.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EveryCancellationPointTest {

    @AfterEach
    void uninstall() {
        CheckpointProbe.uninstall();
    }

    /** What one run saw. */
    static final class Trace {
        final Map<String, AtomicInteger> finallies = new ConcurrentHashMap<>();
        final List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
        volatile boolean bodyCompleted;
        /** True from the nursery's start until it returned. */
        volatile boolean insideNursery;
        /** Whether the cancel was requested while {@link #insideNursery}. */
        volatile boolean cancelledInsideNursery;
        /** Whether a child task's body ended by a Cancelled. */
        volatile boolean childRaisedCancelled;
        /** Whether the code right after the nursery ran. */
        volatile boolean afterNursery;
        /** Whether the cancel was requested before the body completed. */
        volatile boolean cancelledBeforeBodyEnd;
        volatile boolean cleanupCompleted;

        void ran(String part) {
            finallies.computeIfAbsent(part, k -> new AtomicInteger()).incrementAndGet();
        }
    }

    /**
     * The scenario: a nursery with a producer and a consumer over a Channel, a JDK queue between two tasks, a
     * Blocking call, a child's own nested cancel scope, and cleanup that waits in a shielded scope.
     */
    static void scenario(CancelScope outer, Trace tr) {
        outer.run(() -> {
            try {
                tr.insideNursery = true;
                TaskScope.run(ts -> {
                    Channel<Integer> ch = Channel.create(1);
                    ArrayBlockingQueue<String> jdk = new ArrayBlockingQueue<>(1);
                    Channel<String> cleanupDone = Channel.create(4);
                    ts.spawn("producer", () -> {
                        try {
                            for (int i = 0; i < 4; i++) {
                                ch.send(i);
                            }
                            ch.close();
                            jdk.put("from producer");
                        } catch (Cancelled c) {
                            tr.childRaisedCancelled = true;
                            throw c;
                        } finally {
                            tr.ran("producer");
                        }
                        return null;
                    });
                    ts.spawn("consumer", () -> {
                        try {
                            int sum = 0;
                            while (true) {
                                try {
                                    sum += ch.receive();
                                } catch (ChannelClosedException closed) {
                                    break;
                                }
                            }
                            String s = jdk.take();
                            if (!s.equals("from producer")) {
                                tr.problems.add("consumer took " + s);
                            }
                            return sum;
                        } catch (Cancelled c) {
                            tr.childRaisedCancelled = true;
                            throw c;
                        } catch (InterruptedException e) {
                            tr.childRaisedCancelled = true; // the JDK's take() woken by the cancel
                            throw e;
                        } finally {
                            tr.ran("consumer");
                            CancelScope.shielded(Duration.ofSeconds(30), () -> cleanupDone.send("consumer"));
                        }
                    });
                    ts.spawn("nested", () -> {
                        CancelScope own = CancelScope.create();
                        try {
                            own.run(() -> {
                                Cancellation.checkpoint();
                                own.cancel();
                                Cancellation.checkpoint(); // raises; `own` absorbs
                                tr.problems.add("nested: checkpoint after own.cancel() returned");
                            });
                            if (!own.cancelledCaught()) {
                                tr.problems.add("nested: own scope did not catch its cancel");
                            }
                            return Blocking.call(() -> 7);
                        } catch (Cancelled c) {
                            tr.childRaisedCancelled = true;
                            throw c;
                        } finally {
                            tr.ran("nested");
                        }
                    });
                    return null;
                });
                tr.insideNursery = false;
                tr.afterNursery = true;
                Cancellation.checkpoint(); // level-triggered: a cancel requested anywhere before raises here at last
                tr.bodyCompleted = true;
            } finally {
                tr.ran("body");
                CancelScope.shielded(Duration.ofSeconds(30), () -> {
                    Cancellation.checkpoint(); // shielded: passes even though outer is cancelled
                    tr.cleanupCompleted = true;
                });
            }
        });
    }

    /** Runs the scenario once; cancels {@code outer} at cancellation point {@code cancelAt} (or never if < 0). */
    static Trace runOnce(int cancelAt, AtomicInteger reached) throws Exception {
        Trace tr = new Trace();
        AtomicReference<CancelScope> outerRef = new AtomicReference<>();
        CheckpointProbe.install(task -> {
            int n = reached.getAndIncrement();
            if (n == cancelAt) {
                tr.cancelledInsideNursery = tr.insideNursery;
                tr.cancelledBeforeBodyEnd = !tr.bodyCompleted;
                outerRef.get().cancel();
            }
        });
        Boolean interruptedAfter;
        try {
            interruptedAfter = Weft.run(Weft.options().loops(1).handleSigint(false), () -> {
                CancelScope outer = CancelScope.create().name("outer");
                outerRef.set(outer);
                scenario(outer, tr);
                if (cancelAt >= 0 && reached.get() > cancelAt) {
                    // the cancel was requested inside: the outer scope owns it and caught it, unless the body had
                    // already completed (then there was nothing left to cancel but the shielded cleanup)
                    if (tr.cancelledBeforeBodyEnd && (tr.bodyCompleted || !outer.cancelledCaught())) {
                        tr.problems.add("cancelled before the body's last checkpoint"
                                + (tr.cancelledInsideNursery ? " (inside the nursery)" : "")
                                + ", yet the body completed or the outer scope did not catch it");
                    }
                    if (tr.childRaisedCancelled && tr.afterNursery) {
                        tr.problems.add("a child ended by Cancelled, yet the code after the nursery ran"
                                + " (the nursery must re-raise its children's cancellation)");
                    }
                    if (!tr.cancelledBeforeBodyEnd && outer.cancelledCaught()) {
                        tr.problems.add("cancelled in the shielded cleanup, yet the outer scope caught a Cancelled");
                    }
                } else if (outer.cancelledCaught()) {
                    tr.problems.add("outer caught a cancel nobody requested");
                }
                if (Cancellation.isCancelled()) {
                    tr.problems.add("the root task still sees a cancel after the outer scope exited");
                }
                return Thread.interrupted();
            });
        } finally {
            CheckpointProbe.uninstall();
        }
        if (interruptedAfter) {
            tr.problems.add("the root task was left interrupted after the outer scope exited");
        }
        return tr;
    }

    @Test
    void aCancelDeliveredAtEachCancellationPointInTurnKeepsEveryInvariant() throws Exception {
        AtomicInteger reached = new AtomicInteger();
        Trace clean = runOnce(-1, reached);
        int points = reached.get();
        assertThat(clean.problems).isEmpty();
        assertThat(clean.bodyCompleted).isTrue();
        assertThat(points).as("cancellation points the scenario reaches").isGreaterThan(15);

        List<String> failures = new ArrayList<>();
        for (int i = 0; i < points; i++) {
            AtomicInteger r = new AtomicInteger();
            Trace tr = runOnce(i, r);
            List<String> p = new ArrayList<>(tr.problems);
            for (String part : List.of("body")) {
                AtomicInteger c = tr.finallies.get(part);
                if (c == null || c.get() != 1) {
                    p.add("finally of " + part + " ran " + (c == null ? 0 : c.get()) + " times");
                }
            }
            tr.finallies.forEach((part, c) -> {
                if (c.get() != 1) {
                    p.add("finally of " + part + " ran " + c.get() + " times");
                }
            });
            if (!tr.cleanupCompleted) {
                p.add("the shielded cleanup did not complete");
            }
            if (!p.isEmpty()) {
                failures.add("cancel at point " + i + " of " + points + ": " + p);
            }
        }
        assertThat(failures).as("scenario with " + points + " cancellation points").isEmpty();
    }
}
