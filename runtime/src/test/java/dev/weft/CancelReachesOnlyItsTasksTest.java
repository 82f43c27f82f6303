package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.abi.AgentHooks;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A cancel reaches the checks of the tasks inside the cancelled scope, and only theirs: every other task's checks
 * pass after one read of its own flag ({@code WaitingTask.mayHaveCancel}), however many scopes elsewhere in the
 * process are cancelled. Each test keeps an unrelated scope cancelled (so the process-wide count is non-zero) and
 * checks that the cancellation semantics are those of the walk: level-triggered, shields, scopes entered after the
 * cancel, deadlines on the timer thread, nested nurseries, tasks moved between loops, compiled monitors.
 */
@Timeout(30)
class CancelReachesOnlyItsTasksTest {
    /** Bound on the spins that wait for a cancel to arrive from another thread; a test fails past it. */
    private static final long SPIN_LIMIT_NS = TimeUnit.SECONDS.toNanos(10);
    /** The longest an unrelated task holds its cancelled scope open: past it a failing test still ends. */
    private static final Duration HOLD_MAX = Duration.ofSeconds(20);

    /**
     * Spawns a task that enters a scope, cancels it and waits inside a shield until {@code release} is closed: the
     * process has a cancelled scope that none of the test's other tasks is inside. Returns once it is so.
     */
    private static void holdUnrelatedCancel(TaskScope nursery, Channel<Object> release) throws InterruptedException {
        CountDownLatch held = new CountDownLatch(1);
        nursery.spawn("unrelated", () -> {
            CancelScope c = CancelScope.create().name("unrelated");
            c.run(() -> {
                c.cancel();
                CancelScope.shielded(HOLD_MAX, () -> { // bounded: a failing test must not wait forever
                    held.countDown();
                    try {
                        release.receive();
                    } catch (ChannelClosedException closed) {
                        // released
                    }
                });
            });
        });
        assertThat(held.await(10, TimeUnit.SECONDS)).as("the unrelated scope was cancelled").isTrue();
    }

    /** Whether the current task's checks would go on to the slow path (the per-task flag, or a probe). */
    private static boolean mayHaveCancel() {
        return TaskImpl.current().mayHaveCancel();
    }

    /** Compiled checks until one throws; fails after {@link #SPIN_LIMIT_NS}. */
    private static void pollUntilCancelled(String what) {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < SPIN_LIMIT_NS) {
            AgentHooks.poll();
        }
        throw new AssertionError(what + ": no compiled check threw within 10 s");
    }

    @Test
    void taskOutsideTheCancelledScopeRunsItsChecksWithoutTheWalk() throws Exception {
        Channel<Object> release = Channel.create(1);
        boolean[] seen = new boolean[3];
        Runs.oneLoop(() -> TaskScope.run(n -> {
            holdUnrelatedCancel(n, release);
            n.spawn("bystander", () -> {
                AgentHooks.poll(); // the first check walks (a new task's flag is set) and finds nothing
                seen[0] = mayHaveCancel();
                for (int i = 0; i < 10_000; i++) {
                    AgentHooks.poll();
                    Cancellation.checkpoint();
                }
                seen[1] = mayHaveCancel();
                seen[2] = Cancellation.isCancelled();
            }).join();
            release.close();
        }));
        assertThat(seen[0]).as("flag after the first walk found nothing").isFalse();
        assertThat(seen[1]).as("flag after 10 000 checks").isFalse();
        assertThat(seen[2]).as("isCancelled").isFalse();
    }

    @Test
    void cancelFromAnotherTaskReachesATaskWhoseChecksWereClean() throws Exception {
        Channel<Object> release = Channel.create(1);
        AtomicBoolean cleanBefore = new AtomicBoolean();
        Runs.loops(2, () -> TaskScope.run(n -> {
            holdUnrelatedCancel(n, release);
            CountDownLatch clean = new CountDownLatch(1);
            CancelScope target = CancelScope.create();
            Task<Void> victim = n.spawnOn(Weft.loops().get(1), "victim", () -> target.run(() -> {
                AgentHooks.poll();
                cleanBefore.set(!mayHaveCancel());
                clean.countDown();
                pollUntilCancelled("victim");
            }));
            assertThat(clean.await(10, TimeUnit.SECONDS)).isTrue();
            target.cancel(); // from loop 0, while the victim spins on loop 1
            victim.join();
            release.close();
            assertThat(target.cancelledCaught()).as("the victim's check threw and its scope caught it").isTrue();
        }));
        assertThat(cleanBefore.get()).as("the victim's flag was clear before the cancel").isTrue();
    }

    @Test
    void levelTriggeredACaughtCancelledIsRaisedAgainByTheNextCheck() throws Exception {
        Channel<Object> release = Channel.create(1);
        AtomicInteger raised = new AtomicInteger();
        Runs.oneLoop(() -> TaskScope.run(n -> {
            holdUnrelatedCancel(n, release);
            CancelScope s = CancelScope.create();
            s.run(() -> {
                s.cancel();
                for (int i = 0; i < 3; i++) {
                    try {
                        AgentHooks.poll();
                    } catch (Cancelled c) {
                        raised.incrementAndGet();
                    }
                    try {
                        Cancellation.checkpoint();
                    } catch (Cancelled c) {
                        raised.incrementAndGet();
                    }
                }
            });
            release.close();
        }));
        assertThat(raised.get()).as("every one of the six checks raised").isEqualTo(6);
    }

    @Test
    void shieldHidesTheOuterCancelAndLeavingItExposesItAgain() throws Exception {
        Channel<Object> release = Channel.create(1);
        AtomicBoolean cleanInsideShield = new AtomicBoolean();
        AtomicBoolean raisedAfterShield = new AtomicBoolean();
        Runs.oneLoop(() -> TaskScope.run(n -> {
            holdUnrelatedCancel(n, release);
            CancelScope outer = CancelScope.create();
            outer.run(() -> {
                CancelScope.create().shield(true).run(() -> {
                    outer.cancel();
                    AgentHooks.poll(); // hidden: passes, and the walk clears the flag
                    Cancellation.checkpoint();
                    cleanInsideShield.set(!mayHaveCancel());
                });
                try {
                    AgentHooks.poll();
                } catch (Cancelled c) {
                    raisedAfterShield.set(true);
                    throw c;
                }
            });
            release.close();
        }));
        assertThat(cleanInsideShield.get()).as("inside the shield, the checks went clean").isTrue();
        assertThat(raisedAfterShield.get()).as("the first check after the shield raised").isTrue();
    }

    @Test
    void shieldRemovedByAnotherThreadExposesTheOuterCancelToAClean() throws Exception {
        Channel<Object> release = Channel.create(1);
        Runs.loops(2, () -> TaskScope.run(n -> {
            holdUnrelatedCancel(n, release);
            CancelScope outer = CancelScope.create();
            CancelScope shield = CancelScope.create().shield(true);
            CountDownLatch clean = new CountDownLatch(1);
            AtomicBoolean raised = new AtomicBoolean();
            Task<Void> inner = n.spawnOn(Weft.loops().get(1), "inner", () -> outer.run(() -> shield.run(() -> {
                outer.cancel();
                AgentHooks.poll();
                assertThat(mayHaveCancel()).isFalse();
                clean.countDown();
                try {
                    pollUntilCancelled("inside the unshielded scope");
                } catch (Cancelled c) {
                    raised.set(true);
                    throw c;
                }
            })));
            assertThat(clean.await(10, TimeUnit.SECONDS)).isTrue();
            shield.shield(false); // from loop 0
            inner.join();
            release.close();
            assertThat(raised.get()).isTrue();
        }));
    }

    @Test
    void scopeEnteredAfterItWasCancelledRaisesAtTheFirstCheck() throws Exception {
        Channel<Object> release = Channel.create(1);
        AtomicInteger raised = new AtomicInteger();
        Runs.oneLoop(() -> TaskScope.run(n -> {
            holdUnrelatedCancel(n, release);
            AgentHooks.poll();
            assertThat(mayHaveCancel()).as("clean before the scopes").isFalse();
            CancelScope early = CancelScope.create();
            early.cancel(); // before its entry
            early.run(() -> {
                try {
                    AgentHooks.poll();
                } catch (Cancelled c) {
                    raised.incrementAndGet();
                    throw c;
                }
            });
            CancelScope.withTimeout(Duration.ZERO).run(() -> { // a deadline passed at the entry
                try {
                    Cancellation.checkpoint();
                } catch (Cancelled c) {
                    raised.incrementAndGet();
                    throw c;
                }
            });
            CancelScope outer = CancelScope.create();
            outer.run(() -> {
                outer.cancel();
                CancelScope.create().run(() -> { // a scope entered inside the cancelled one, after the cancel
                    try {
                        Cancellation.checkpoint();
                    } catch (Cancelled c) {
                        raised.incrementAndGet();
                        throw c;
                    }
                });
            });
            release.close();
        }));
        assertThat(raised.get()).isEqualTo(3);
    }

    @Test
    void deadlineFiringOnTheTimerThreadReachesACleanTask() throws Exception {
        Channel<Object> release = Channel.create(1);
        AtomicBoolean raised = new AtomicBoolean();
        Runs.loops(2, () -> TaskScope.run(n -> {
            holdUnrelatedCancel(n, release);
            n.spawnOn(Weft.loops().get(1), "timed", () -> {
                CancelScope.withTimeout(Duration.ofMillis(20)).run(() -> {
                    AgentHooks.poll();
                    assertThat(mayHaveCancel()).as("clean until the deadline").isFalse();
                    try {
                        pollUntilCancelled("the deadline");
                    } catch (Cancelled c) {
                        assertThat(c.reason()).isEqualTo(CancelReason.DEADLINE);
                        raised.set(true);
                        throw c;
                    }
                });
            }).join();
            release.close();
        }));
        assertThat(raised.get()).isTrue();
    }

    @Test
    void cancelOfAnOuterNurseryReachesAGrandchildWhoseChecksWereClean() throws Exception {
        Channel<Object> release = Channel.create(1);
        AtomicBoolean raised = new AtomicBoolean();
        Runs.loops(2, () -> TaskScope.run(n -> {
            holdUnrelatedCancel(n, release);
            CountDownLatch clean = new CountDownLatch(1);
            ThrowingRunnable<Exception> grandchild = () -> {
                AgentHooks.poll();
                assertThat(mayHaveCancel()).isFalse();
                clean.countDown();
                try {
                    pollUntilCancelled("grandchild");
                } catch (Cancelled c) {
                    raised.set(true);
                    throw c;
                }
            };
            ThrowingRunnable<Exception> middle = () -> TaskScope.run(grand -> {
                grand.spawn("grandchild", grandchild);
            });
            Task<Void> outer = n.spawnOn(Weft.loops().get(1), "outer", () -> TaskScope.run(child -> {
                child.spawn("middle", middle);
            }));
            assertThat(clean.await(10, TimeUnit.SECONDS)).isTrue();
            outer.cancel(); // the outer task's own scope: two nurseries above the grandchild
            assertThatThrownBy(outer::join).isInstanceOf(java.util.concurrent.CancellationException.class);
            release.close();
        }));
        assertThat(raised.get()).isTrue();
    }

    @Test
    void taskMovedToAnotherLoopIsReachedThere() throws Exception {
        Channel<Object> release = Channel.create(1);
        AtomicBoolean raised = new AtomicBoolean();
        Runs.loops(2, () -> TaskScope.run(n -> {
            holdUnrelatedCancel(n, release);
            CountDownLatch clean = new CountDownLatch(1);
            CancelScope target = CancelScope.create();
            Task<Void> mover = n.spawnOn(Weft.loops().get(0), "mover", () -> target.run(() -> {
                AgentHooks.poll();
                assertThat(mayHaveCancel()).isFalse();
                Weft.moveTo(Weft.loops().get(1)); // a cancellation point: nothing to raise yet
                assertThat(Weft.currentLoop().index()).isEqualTo(1);
                clean.countDown();
                try {
                    pollUntilCancelled("moved task");
                } catch (Cancelled c) {
                    raised.set(true);
                    throw c;
                }
            }));
            assertThat(clean.await(10, TimeUnit.SECONDS)).isTrue();
            target.cancel();
            mover.join();
            release.close();
        }));
        assertThat(raised.get()).isTrue();
    }

    @Test
    void threadsThatAreNotTasksAreNeverThrownAtWhileTheirStarterIsCancelled() throws Exception {
        // a platform thread, and a virtual thread started by a cancelled task (it inherits the task as its scheduler,
        // but is not the task): their checks take the slow path (no task, so no flag) and find nothing to throw
        AtomicInteger passed = new AtomicInteger();
        AtomicBoolean taskRaised = new AtomicBoolean();
        Runs.oneLoop(() -> {
            CancelScope s = CancelScope.create();
            s.run(() -> {
                s.cancel();
                Runnable checks = () -> {
                    for (int i = 0; i < 1_000; i++) {
                        AgentHooks.poll();
                        Cancellation.checkpoint();
                    }
                    passed.incrementAndGet();
                };
                Thread platform = Thread.ofPlatform().start(checks);
                Thread virtual = Thread.ofVirtual().start(checks);
                CancelScope.create().shield(true).run(() -> {
                    assertThat(platform.join(Duration.ofSeconds(10))).isTrue();
                    assertThat(virtual.join(Duration.ofSeconds(10))).isTrue();
                });
                try {
                    AgentHooks.poll();
                } catch (Cancelled c) {
                    taskRaised.set(true);
                    throw c;
                }
            });
        });
        assertThat(passed.get()).as("threads whose checks all passed").isEqualTo(2);
        assertThat(taskRaised.get()).as("the task itself").isTrue();
    }

    @Test
    void compiledMonitorHoldsTheCancelBackAndTheFirstCheckOutsideRaises() throws Exception {
        Channel<Object> release = Channel.create(1);
        AtomicInteger passedInside = new AtomicInteger();
        AtomicBoolean raisedOutside = new AtomicBoolean();
        Runs.oneLoop(() -> TaskScope.run(n -> {
            holdUnrelatedCancel(n, release);
            CancelScope s = CancelScope.create();
            s.run(() -> {
                AgentHooks.poll();
                AgentHooks.monitorEntered(); // what the agent compiles after a monitorenter
                s.cancel();
                for (int i = 0; i < 3; i++) {
                    AgentHooks.poll();
                    passedInside.incrementAndGet();
                }
                AgentHooks.monitorExited();
                try {
                    AgentHooks.poll();
                } catch (Cancelled c) {
                    raisedOutside.set(true);
                    throw c;
                }
            });
            release.close();
        }));
        assertThat(passedInside.get()).as("checks inside the monitor").isEqualTo(3);
        assertThat(raisedOutside.get()).as("the first check after the monitor").isTrue();
    }
}
