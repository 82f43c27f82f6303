package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class CancelScopeTest {

    @Test
    void cancelIsIdempotentAndAbsorbedByTheScope() {
        List<String> events = new ArrayList<>();
        CancelScope scope = CancelScope.create();
        Runs.oneLoop(() -> {
            scope.run(() -> {
                scope.cancel();
                scope.cancel();
                events.add("before checkpoint");
                Cancellation.checkpoint();
                events.add("after checkpoint (must not run)");
            });
            events.add("after scope");
            return null;
        });
        assertThat(events).containsExactly("before checkpoint", "after scope");
        assertThat(scope.cancelledCaught()).isTrue();
        assertThat(scope.isCancelRequested()).isTrue();
    }

    @Test
    void uncancelledScopeCatchesNothing() {
        CancelScope scope = CancelScope.create();
        int r = Runs.oneLoop(() -> scope.call(() -> 7));
        assertThat(r).isEqualTo(7);
        assertThat(scope.cancelledCaught()).isFalse();
    }

    @Test
    void levelTriggeredCancellationRaisesAgainInFinally() {
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create();
            scope.run(() -> {
                scope.cancel();
                try {
                    Cancellation.checkpoint();
                } finally {
                    events.add("finally runs");
                    try {
                        Cancellation.checkpoint();
                        events.add("second checkpoint passed (wrong)");
                    } catch (Cancelled again) {
                        events.add("raised again in finally");
                    }
                }
            });
            Cancellation.checkpoint(); // outside the scope: nothing pending for us
            events.add("continued after scope");
            return null;
        });
        assertThat(events).containsExactly("finally runs", "raised again in finally", "continued after scope");
    }

    @Test
    void cancelledIsAnErrorThatCatchExceptionCannotSwallow() {
        List<String> events = new ArrayList<>();
        CancelScope scope = CancelScope.create();
        Runs.oneLoop(() -> {
            scope.run(() -> {
                scope.cancel();
                try {
                    Cancellation.checkpoint();
                } catch (Exception e) {
                    events.add("swallowed (wrong)");
                }
                events.add("kept going (wrong)");
            });
            return null;
        });
        assertThat(Error.class).isAssignableFrom(Cancelled.class);
        assertThat(events).isEmpty();
        assertThat(scope.cancelledCaught()).isTrue();
    }

    @Test
    void outermostCancelledScopeAbsorbs() {
        List<String> events = new ArrayList<>();
        CancelScope outer = CancelScope.create().name("outer");
        CancelScope inner = CancelScope.create().name("inner");
        Runs.oneLoop(() -> {
            outer.run(() -> {
                inner.run(() -> {
                    inner.cancel();
                    outer.cancel();
                    Cancellation.checkpoint();
                });
                events.add("after inner (must not run: outer is cancelled too)");
            });
            events.add("after outer");
            return null;
        });
        assertThat(events).containsExactly("after outer");
        assertThat(outer.cancelledCaught()).isTrue();
        assertThat(inner.cancelledCaught()).isFalse();
    }

    @Test
    void cancelledCarriesReasonAndScopeName() {
        Cancelled[] seen = new Cancelled[1];
        Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create().name("fetch");
            scope.run(() -> {
                scope.cancel();
                try {
                    Cancellation.checkpoint();
                } catch (Cancelled c) {
                    seen[0] = c;
                    throw c;
                }
            });
            return null;
        });
        assertThat(seen[0].reason()).isEqualTo(CancelReason.EXPLICIT);
        assertThat(seen[0].scopeName()).isEqualTo("fetch");
        assertThat(seen[0].getCause()).hasMessageContaining("cancel requested by thread");
    }

    @Test
    void shieldBlocksOuterButNotInnerCancellation() {
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> {
            CancelScope outer = CancelScope.create();
            outer.run(() -> {
                outer.cancel();
                CancelScope shield = CancelScope.create().shield(true);
                shield.run(() -> {
                    Cancellation.checkpoint();
                    events.add("shield hides outer cancel");
                    CancelScope inner = CancelScope.create();
                    inner.run(() -> {
                        inner.cancel();
                        Cancellation.checkpoint();
                        events.add("inner not cancelled (wrong)");
                    });
                    events.add("inner absorbed its own cancel: " + inner.cancelledCaught());
                    shield.cancel();
                    Cancellation.checkpoint();
                    events.add("shield's own cancel ignored (wrong)");
                });
                events.add("shield absorbed its own cancel: " + shield.cancelledCaught());
                Cancellation.checkpoint();
                events.add("outer ignored (wrong)");
            });
            events.add("outer absorbed: " + outer.cancelledCaught());
            return null;
        });
        assertThat(events).containsExactly("shield hides outer cancel", "inner absorbed its own cancel: true",
                "shield absorbed its own cancel: true", "outer absorbed: true");
    }

    @Test
    void removingAShieldDeliversThePendingCancellation() {
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> {
            CancelScope outer = CancelScope.create();
            outer.run(() -> {
                CancelScope shield = CancelScope.create().shield(true);
                shield.run(() -> {
                    outer.cancel();
                    Cancellation.checkpoint();
                    events.add("shielded");
                    shield.shield(false);
                    Cancellation.checkpoint();
                    events.add("unshielded and not cancelled (wrong)");
                });
                events.add("after shield (wrong: outer is cancelled)");
            });
            events.add("outer caught: " + outer.cancelledCaught());
            return null;
        });
        assertThat(events).containsExactly("shielded", "outer caught: true");
    }

    @Test
    void deadlineInThePastCancelsAtEntry() {
        VirtualClock clock = VirtualClock.create();
        List<String> events = new ArrayList<>();
        Runs.oneLoop(clock, () -> {
            CancelScope scope = CancelScope.withDeadlineNs(Weft.nanoTime() - 1);
            scope.run(() -> {
                events.add("body starts");
                Cancellation.checkpoint();
                events.add("not cancelled (wrong)");
            });
            events.add("caught: " + scope.cancelledCaught());
            CancelScope zero = CancelScope.withTimeout(Duration.ZERO);
            zero.run(() -> Cancellation.checkpoint());
            events.add("zero timeout caught: " + zero.cancelledCaught());
            return null;
        });
        assertThat(events).containsExactly("body starts", "caught: true", "zero timeout caught: true");
    }

    @Test
    void relativeDeadlineCountsFromEntryOnTheVirtualClock() {
        VirtualClock clock = VirtualClock.create();
        boolean caught = Runs.oneLoop(clock, () -> {
            CancelScope scope = CancelScope.withTimeout(Duration.ofSeconds(30));
            clock.advance(Duration.ofSeconds(100)); // before entry: does not count
            return TaskScope.run(s -> {
                s.spawn("advancer", () -> {
                    clock.advance(Duration.ofSeconds(29));
                    Cancellation.checkpoint();
                    assertThat(scope.isCancelRequested()).isFalse();
                    clock.advance(Duration.ofSeconds(2));
                    return null;
                });
                scope.run(() -> Weft.sleep(Duration.ofHours(1)));
                return scope.cancelledCaught();
            });
        });
        assertThat(caught).isTrue();
    }

    @Test
    void deadlineLoweredMidBlockCancelsAtTheNewDeadline() {
        VirtualClock clock = VirtualClock.create();
        boolean caught = Runs.oneLoop(clock, () -> {
            CancelScope scope = CancelScope.withTimeout(Duration.ofHours(1));
            return TaskScope.run(s -> {
                s.spawn("lowerer", () -> {
                    scope.setDeadlineNs(clock.nanoTime() + Duration.ofSeconds(5).toNanos());
                    clock.advance(Duration.ofSeconds(4));
                    assertThat(scope.isCancelRequested()).isFalse();
                    clock.advance(Duration.ofSeconds(1));
                    return null;
                });
                scope.run(() -> Weft.sleep(Duration.ofHours(2)));
                return scope.cancelledCaught();
            });
        });
        assertThat(caught).isTrue();
    }

    @Test
    void effectiveDeadlineIsTheMinimumOverNesting() {
        VirtualClock clock = VirtualClock.create();
        List<String> events = new ArrayList<>();
        Runs.oneLoop(clock, () -> {
            CancelScope outer = CancelScope.withTimeout(Duration.ofSeconds(10)).name("outer");
            CancelScope inner = CancelScope.withTimeout(Duration.ofSeconds(60)).name("inner");
            TaskScope.run(s -> {
                s.spawn(() -> {
                    clock.advance(Duration.ofSeconds(11));
                    return null;
                });
                outer.run(() -> inner.run(() -> Weft.sleep(Duration.ofHours(1))));
                return null;
            });
            events.add("outer caught=" + outer.cancelledCaught() + " inner caught=" + inner.cancelledCaught());
            return null;
        });
        assertThat(events).containsExactly("outer caught=true inner caught=false");
    }

    @Test
    void failAfterRaisesDeadlineExceeded() {
        VirtualClock clock = VirtualClock.create();
        assertThatThrownBy(() -> Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            s.spawn(() -> {
                clock.advance(Duration.ofSeconds(3));
                return null;
            });
            return CancelScope.failAfter(Duration.ofSeconds(2), () -> {
                Weft.sleep(Duration.ofMinutes(1));
                return "finished (wrong)";
            });
        }))).isInstanceOf(DeadlineExceededException.class).hasMessageContaining("PT2S");
    }

    @Test
    void moveOnAfterContinuesSilently() {
        VirtualClock clock = VirtualClock.create();
        boolean caught = Runs.oneLoop(clock, () -> TaskScope.run(s -> {
            s.spawn(() -> {
                clock.advance(Duration.ofSeconds(3));
                return null;
            });
            return CancelScope.moveOnAfter(Duration.ofSeconds(2), () -> Weft.sleep(Duration.ofMinutes(1)))
                    .cancelledCaught();
        }));
        assertThat(caught).isTrue();
    }

    @Test
    void jdkSleepWakesOnCancellationAndCountsAsCancelled() throws Exception {
        CancelScope scope = CancelScope.withTimeout(Duration.ofMillis(20));
        Runs.oneLoop(() -> {
            scope.run(() -> Thread.sleep(Duration.ofMinutes(5))); // the class @Timeout bounds a missed wake-up
            return null;
        });
        assertThat(scope.cancelledCaught()).isTrue();
    }

    @Test
    void jdkLockWaitInFinallyAlsoWakesWhileCancelled() throws Exception {
        ReentrantLock held = new ReentrantLock();
        CountDownLatch locked = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Thread holder = Thread.ofPlatform().start(() -> {
            held.lock();
            locked.countDown();
            try {
                release.await();
            } catch (InterruptedException ignored) {
                // test ends
            } finally {
                held.unlock();
            }
        });
        locked.await();
        List<String> events = new ArrayList<>();
        try {
            Runs.oneLoop(() -> {
                CancelScope scope = CancelScope.create();
                scope.run(() -> {
                    scope.cancel();
                    try {
                        Cancellation.checkpoint();
                    } finally {
                        try {
                            held.lockInterruptibly();
                            events.add("acquired (wrong)");
                        } catch (InterruptedException e) {
                            events.add("finally's blocking call woke");
                        }
                    }
                });
                events.add("interrupt cleared after scope: " + !Thread.currentThread().isInterrupted());
                return null;
            });
        } finally {
            release.countDown();
            holder.join();
        }
        assertThat(events).containsExactly("finally's blocking call woke", "interrupt cleared after scope: true");
    }

    @Test
    void codeThatDropsInterruptedExceptionIsCancelledAtItsNextCheckpoint() {
        List<String> events = new ArrayList<>();
        CancelScope scope = CancelScope.withTimeout(Duration.ofMillis(10));
        Runs.oneLoop(() -> {
            scope.run(() -> {
                try {
                    Thread.sleep(Duration.ofMinutes(5));
                } catch (InterruptedException dropped) {
                    events.add("dropped the interrupt");
                }
                Cancellation.checkpoint();
                events.add("kept running (wrong)");
            });
            return null;
        });
        assertThat(events).containsExactly("dropped the interrupt");
        assertThat(scope.cancelledCaught()).isTrue();
    }

    @Test
    void foreignInterruptStatusIsPreservedAcrossWeftWaits() {
        boolean[] stillInterrupted = new boolean[1];
        Runs.oneLoop(() -> {
            Thread.currentThread().interrupt(); // not Weft's
            Weft.sleep(Duration.ofMillis(1));
            stillInterrupted[0] = Thread.interrupted();
            return null;
        });
        assertThat(stillInterrupted[0]).isTrue();
    }

    @Test
    void shieldedCleanupCanBlockUnderItsOwnDeadline() throws Exception {
        List<String> events = new ArrayList<>();
        CancelScope scope = CancelScope.create();
        Runs.oneLoop(() -> {
            scope.run(() -> {
                scope.cancel();
                try {
                    Cancellation.checkpoint();
                } finally {
                    CancelScope.shielded(Duration.ofSeconds(10), () -> {
                        Weft.sleep(Duration.ofMillis(5));
                        Thread.sleep(5);
                        events.add("blocking cleanup finished");
                    });
                }
            });
            return null;
        });
        assertThat(events).containsExactly("blocking cleanup finished");
    }

    @Test
    void scopeRunsOneBlockOnly() {
        assertThatThrownBy(() -> Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create();
            scope.run(() -> {});
            scope.run(() -> {});
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("create a new one");
    }

    @Test
    void scopesAndWaitsOutsideATaskFailWithAdvice() {
        assertThatThrownBy(() -> CancelScope.create().run(() -> {}))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("Weft.run");
        assertThatThrownBy(() -> Weft.sleep(Duration.ofMillis(1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("outside a Weft task");
        Cancellation.checkpoint(); // never throws outside tasks
        dev.weft.abi.AgentHooks.poll();
        assertThat(Cancellation.isCancelled()).isFalse();
    }

    @Test
    void negativeTimeoutIsRejectedWithAdvice() {
        assertThatThrownBy(() -> CancelScope.withTimeout(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Duration.ZERO");
    }

    @Test
    void agentPollThrowsOnlyInsideCancelledTasks() {
        List<String> events = new ArrayList<>();
        Runs.oneLoop(() -> {
            CancelScope scope = CancelScope.create();
            scope.run(() -> {
                dev.weft.abi.AgentHooks.poll();
                events.add("poll quiet while nothing is cancelled");
                scope.cancel();
                dev.weft.abi.AgentHooks.poll();
                events.add("poll ignored the cancel (wrong)");
            });
            return null;
        });
        assertThat(events).containsExactly("poll quiet while nothing is cancelled");
    }
}
