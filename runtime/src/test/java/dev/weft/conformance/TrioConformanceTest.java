package dev.weft.conformance;

import static dev.weft.conformance.Harness.cancelledBy;
import static dev.weft.conformance.Harness.run;
import static dev.weft.conformance.Harness.sleepForever;
import static dev.weft.conformance.Harness.thrown;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.CancelReason;
import dev.weft.CancelScope;
import dev.weft.Cancellation;
import dev.weft.Cancelled;
import dev.weft.Channel;
import dev.weft.DeadlineExceededException;
import dev.weft.TaskScope;
import dev.weft.ThrowingRunnable;
import dev.weft.VirtualClock;
import dev.weft.Weft;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Trio's cancel scope semantics (docs: "Cancellation and timeouts"; tests: src/trio/_core/_tests/test_run.py,
 * test_cancel.py, src/trio/_tests/test_timeouts.py), translated to Weft's public API. Nurseries are in
 * {@link TrioNurseryConformanceTest}, JVM-specific interplay in {@link TrioJvmConformanceTest}.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TrioConformanceTest {
    private static final Duration SECOND = Duration.ofSeconds(1);

    private final List<String> events = Collections.synchronizedList(new ArrayList<>());

    // test_run.py::test_cancel_points (main2, main4): checkpoints pass until the scope is cancelled; a shielded one still passes
    @Test
    void checkpointRaisesOnlyOnceItsScopeIsCancelled() {
        CancelScope scope = CancelScope.create();
        run(() -> {
            scope.run(() -> {
                Cancellation.checkpoint();
                events.add("first checkpoint passed");
                scope.cancel();
                CancelScope.create().shield(true).run(Cancellation::checkpoint);
                CancelScope.create().shield(true).run(Cancellation::checkpoint);
                events.add("shielded checkpoints passed");
                assertThatThrownBy(Cancellation::checkpoint).isInstanceOf(Cancelled.class);
                events.add("checkpoint raised");
            });
            return null;
        });
        assertThat(events).containsExactly("first checkpoint passed", "shielded checkpoints passed", "checkpoint raised");
    }

    // test_run.py::test_cancel_points (main3): a blocking wait in a cancelled scope raises Cancelled instead of waiting
    @Test
    void sleepInsideACancelledScopeRaisesAtOnce() {
        run(() -> {
            CancelScope scope = CancelScope.create();
            scope.run(() -> {
                scope.cancel();
                assertThatThrownBy(Harness::sleepForever).isInstanceOf(Cancelled.class);
            });
            return null;
        });
    }

    // test_run.py::test_cancel_edge_cases (part 1): cancel() twice is idempotent; the scope catches its own Cancelled
    @Test
    void cancelIsIdempotentAndTheScopeCatchesItsOwnCancelled() {
        CancelScope scope = CancelScope.create();
        run(() -> {
            scope.run(() -> {
                scope.cancel();
                scope.cancel();
                Cancellation.checkpoint();
                events.add("after checkpoint (must not run)");
            });
            events.add("after scope");
            return null;
        });
        assertThat(events).containsExactly("after scope");
        assertThat(scope.isCancelRequested()).isTrue();
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // test_run.py::test_cancel_edge_cases (part 2, "Check level-triggering"): every cancellation point raises again
    @Test
    void everyCancellationPointKeepsRaisingWhileTheScopeIsCancelled() {
        run(() -> {
            CancelScope scope = CancelScope.create();
            scope.run(() -> {
                scope.cancel();
                try { sleepForever(); } catch (Cancelled c) { events.add("sleep"); }
                try { sleepForever(); } catch (Cancelled c) { events.add("sleep again"); }
                try { Cancellation.checkpoint(); } catch (Cancelled c) { events.add("checkpoint"); }
                try { Weft.sleep(Duration.ZERO); } catch (Cancelled c) { events.add("sleep(0)"); }
                assertThat(Cancellation.isCancelled()).isTrue();
            });
            return null;
        });
        assertThat(events).containsExactly("sleep", "sleep again", "checkpoint", "sleep(0)");
    }

    // docs "Cancellation semantics" (blocking-cleanup-example): a blocking call in finally of a timed-out block is cancelled too
    @Test
    void blockingCleanupInFinallyOfATimedOutBlockIsCancelledToo() {
        VirtualClock clock = VirtualClock.create();
        CancelScope timeout = CancelScope.withTimeout(Duration.ofSeconds(30));
        run(clock, () -> TaskScope.run(ts -> {
            Harness.Jump jump = new Harness.Jump(ts, clock, Duration.ofSeconds(31));
            timeout.run(() -> {
                try {
                    jump.aboutToBlock();
                    sleepForever();                          // send_hello_msg() hangs
                    events.add("hello sent (must not run)");
                } finally {
                    try {
                        sleepForever();                      // send_goodbye_msg() would hang too
                        events.add("goodbye sent (must not run)");
                    } catch (Cancelled c) {
                        events.add("goodbye cancelled");
                        throw c;
                    }
                }
            });
            events.add("after the block");
            return null;
        }));
        assertThat(events).containsExactly("goodbye cancelled", "after the block");
        assertThat(timeout.cancelledCaught()).isTrue();
    }

    // docs "Handling cancellation": Cancelled is a BaseException analogue, so catch-all "except Exception" does not swallow it
    @Test
    void catchExceptionDoesNotSwallowCancelled() {
        CancelScope scope = CancelScope.create();
        run(() -> {
            scope.run(() -> {
                scope.cancel();
                try {
                    Cancellation.checkpoint();
                } catch (Exception e) {
                    events.add("swallowed by catch (Exception) (wrong)");
                }
                events.add("after try (must not run)");
            });
            return null;
        });
        assertThat(Exception.class.isAssignableFrom(Cancelled.class)).isFalse();
        assertThat(events).isEmpty();
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // test_run.py::test_cancel_scope_nesting (part 1): of two cancelled nested scopes, the outer one catches
    @Test
    void ofTwoCancelledNestedScopesTheOuterOneCatches() {
        CancelScope scope1 = CancelScope.create();
        CancelScope scope2 = CancelScope.create();
        CancelScope scope3 = CancelScope.create();
        run(() -> {
            scope1.run(() -> {
                scope2.run(() -> {
                    scope3.run(() -> {
                        scope3.cancel();
                        scope2.cancel();
                        sleepForever();
                    });
                    events.add("after scope3 (must not run)");
                });
                events.add("after scope2");
            });
            return null;
        });
        assertThat(events).containsExactly("after scope2");
        assertThat(scope3.isCancelRequested()).isTrue();
        assertThat(scope3.cancelledCaught()).isFalse();
        assertThat(scope2.isCancelRequested()).isTrue();
        assertThat(scope2.cancelledCaught()).isTrue();
        assertThat(scope1.isCancelRequested()).isFalse();
        assertThat(scope1.cancelledCaught()).isFalse();
    }

    // _run.py CancelScope._close: a scope catches only if no enclosing cancellation is visible, so the outermost wins
    @Test
    void outerScopeCancelledWhileTheInnerCancelledPropagatesCatchesIt() {
        CancelScope outer = CancelScope.create();
        CancelScope inner = CancelScope.create();
        run(() -> {
            outer.run(() -> {
                inner.run(() -> {
                    inner.cancel();
                    try {
                        Cancellation.checkpoint();
                    } finally {
                        outer.cancel();
                    }
                });
                events.add("after inner (must not run)");
            });
            return null;
        });
        assertThat(events).isEmpty();
        assertThat(outer.cancelledCaught()).isTrue();
        assertThat(inner.cancelledCaught()).isFalse();
    }

    // docs "Cancellation semantics" example: move_on_after(5) around move_on_after(10) around sleep(20)
    @Test
    void nestedTimeoutsTheEarlierOuterDeadlineCatches() {
        VirtualClock clock = VirtualClock.create();
        CancelScope five = CancelScope.withTimeout(Duration.ofSeconds(5));
        CancelScope ten = CancelScope.withTimeout(Duration.ofSeconds(10));
        run(clock, () -> TaskScope.run(ts -> {
            Harness.Jump jump = new Harness.Jump(ts, clock, Duration.ofSeconds(6));
            events.add("starting...");
            five.run(() -> {
                ten.run(() -> {
                    jump.aboutToBlock();
                    Weft.sleep(Duration.ofSeconds(20));
                    events.add("sleep finished without error");
                });
                events.add("move_on_after(10) finished without error");
            });
            events.add("move_on_after(5) finished without error");
            return null;
        }));
        assertThat(events).containsExactly("starting...", "move_on_after(5) finished without error");
        assertThat(five.cancelledCaught()).isTrue();
        assertThat(ten.isCancelRequested()).isFalse();
        assertThat(ten.cancelledCaught()).isFalse();
    }

    // test_run.py::test_cancel_scope_nesting (part 3): a cancel never delivered before the scope exits is not caught, nor delivered later
    @Test
    void cancelNeverRaisedInsideTheScopeIsNotCaughtNorDeliveredAfterIt() {
        CancelScope scope = CancelScope.create();
        run(() -> {
            scope.run(() -> {
                scope.cancel();
                CancelScope.create().shield(true).run(Cancellation::checkpoint);
            });
            Cancellation.checkpoint();
            events.add("checkpoint after the scope passed");
            return null;
        });
        assertThat(events).containsExactly("checkpoint after the scope passed");
        assertThat(scope.isCancelRequested()).isTrue();
        assertThat(scope.cancelledCaught()).isFalse();
    }

    // test_run.py::test_cancel_scope_no_cancellederror: a cancelled scope lets another exception through and catches nothing
    @Test
    void cancelledScopeLetsAnotherExceptionThroughAndCatchesNothing() {
        CancelScope scope = CancelScope.create();
        IllegalStateException boom = new IllegalStateException("test");
        Throwable t = thrown(() -> run(() -> {
            scope.run(() -> {
                scope.cancel();
                throw boom;
            });
            return null;
        }));
        assertThat(t).isSameAs(boom);
        assertThat(scope.cancelledCaught()).isFalse();
    }

    // test_run.py::test_cancel_shielding: shields hide outer cancels (not inner ones, nor their own), and can be toggled
    @Test
    void shieldHidesOuterCancellationAndCanBeToggledWhileRunning() {
        CancelScope outer = CancelScope.create();
        CancelScope inner = CancelScope.create();
        CancelScope innerest = CancelScope.create();
        run(() -> {
            outer.run(() -> inner.run(() -> {
                Cancellation.checkpoint();
                outer.cancel();
                assertThatThrownBy(Cancellation::checkpoint).isInstanceOf(Cancelled.class);
                assertThat(inner.isShield()).isFalse();
                inner.shield(true);
                assertThat(inner.isShield()).isTrue();
                Cancellation.checkpoint();                           // the shield protects us from outer
                innerest.run(() -> {
                    innerest.cancel();                               // but not from a scope inside it
                    assertThatThrownBy(Cancellation::checkpoint).isInstanceOf(Cancelled.class);
                });
                Cancellation.checkpoint();
                inner.shield(false);                                 // the shield can be dropped again
                assertThatThrownBy(Cancellation::checkpoint).isInstanceOf(Cancelled.class);
                inner.shield(true);                                  // and re-raised
                Cancellation.checkpoint();
                inner.cancel();                                      // it does not protect from itself
                Cancellation.checkpoint();
                events.add("after inner's own cancel (must not run)");
            }));
            return null;
        });
        assertThat(events).isEmpty();
        assertThat(inner.cancelledCaught()).isTrue();
        assertThat(outer.cancelledCaught()).isFalse();
    }

    // test_run.py::test_unshield_while_cancel_propagating shielding in finally does not redirect an outer Cancelled
    @Test
    void shieldRaisedWhileAnOuterCancelledPropagatesLeavesItToTheOuterScope() {
        CancelScope outer = CancelScope.create();
        CancelScope inner = CancelScope.create();
        run(() -> {
            outer.run(() -> inner.run(() -> {
                outer.cancel();
                try {
                    Cancellation.checkpoint();
                } finally {
                    inner.shield(true);
                }
            }));
            return null;
        });
        assertThat(outer.cancelledCaught()).isTrue();
        assertThat(inner.cancelledCaught()).isFalse();
    }

    // test_run.py::test_cancel_unbound ("Shield before entry"): a shield set before entry applies on entry and can be dropped
    @Test
    void shieldSetBeforeEntryProtectsAndCanBeDropped() {
        CancelScope scope = CancelScope.create().shield(true);
        CancelScope outer = CancelScope.create();
        run(() -> {
            outer.run(() -> scope.run(() -> {
                outer.cancel();
                Cancellation.checkpoint();
                events.add("shielded checkpoint passed");
                scope.shield(false);
                assertThatThrownBy(Cancellation::checkpoint).isInstanceOf(Cancelled.class);
                events.add("unshielded checkpoint raised");
            }));
            return null;
        });
        assertThat(events).containsExactly("shielded checkpoint passed", "unshielded checkpoint raised");
    }

    // test_run.py::test_cancel_unbound ("Cancel before entry"): a scope cancelled before it is entered is cancelled on entry
    @Test
    void scopeCancelledBeforeEntryIsCancelledOnEntry() {
        CancelScope scope = CancelScope.create();
        scope.cancel();
        assertThat(scope.isCancelRequested()).isTrue();
        run(() -> TaskScope.run(ts -> {
            ts.spawn("sleep_until_cancelled", () -> {
                scope.run(() -> CancelScope.failAfter(SECOND, () -> {
                    sleepForever();
                    return null;
                }));
                return null;
            });
            return null;
        }));
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // test_run.py::test_cancel_unbound ("Cancel after entry"): another task cancels a scope a sleeping task entered
    @Test
    void scopeCancelledByAnotherTaskAfterEntryWakesTheSleeper() {
        CancelScope scope = CancelScope.create();
        run(() -> TaskScope.run(ts -> {
            Channel<String> asleep = Channel.create(1);
            ts.spawn("sleep_until_cancelled", () -> {
                scope.run(() -> {
                    asleep.trySend("asleep");
                    sleepForever();
                });
                return null;
            });
            asleep.receive(); // one loop: the child is parked in its sleep now
            scope.cancel();
            return null;
        }));
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // test_run.py::test_cancel_unbound ("Can't reuse", "Can't reenter"): cancel after exit is a no-op for the task; a scope
    // is entered once: neither again after it exited nor from inside itself
    @Test
    void cancelAfterExitIsANoOpAndTheScopeCannotBeEnteredAgain() {
        CancelScope scope = CancelScope.create();
        run(() -> {
            scope.run(() -> assertThatThrownBy(() -> scope.run(() -> {})).isInstanceOf(IllegalStateException.class));
            scope.cancel();
            Cancellation.checkpoint();
            assertThat(Cancellation.isCancelled()).isFalse();
            Weft.sleep(Duration.ZERO);
            events.add("checkpoints after the exited scope passed");
            assertThatThrownBy(() -> scope.run(() -> {})).isInstanceOf(IllegalStateException.class);
            return null;
        });
        assertThat(events).containsExactly("checkpoints after the exited scope passed");
        assertThat(scope.isCancelRequested()).isTrue();
        assertThat(scope.cancelledCaught()).isFalse();
    }

    // test_run.py::test_cancel_unbound ("Can't enter from multiple tasks simultaneously")
    @Test
    void scopeCannotBeEnteredByASecondTaskWhileTheFirstIsInside() {
        CancelScope scope = CancelScope.create();
        run(() -> TaskScope.run(ts -> {
            Channel<String> inside = Channel.create(1);
            ts.spawn("this one", () -> {
                scope.run(() -> {
                    inside.trySend("inside");
                    sleepForever();
                });
                return null;
            });
            inside.receive();
            assertThatThrownBy(() -> scope.run(() -> {})).isInstanceOf(IllegalStateException.class);
            scope.cancel();
            return null;
        }));
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // test_run.py::test_cancel_unbound (last part): a deadline moved into the past before entry cancels at once, for good
    @Test
    void deadlineMovedIntoThePastBeforeEntryCancelsTheScopeAtOnceAndForGood() {
        VirtualClock clock = VirtualClock.create();
        run(clock, () -> {
            long now = Weft.nanoTime();
            CancelScope scope = CancelScope.withDeadlineNs(now + SECOND.toNanos());
            assertThat(scope.isCancelRequested()).isFalse();
            scope.setDeadlineNs(now - SECOND.toNanos());
            assertThat(scope.isCancelRequested()).as("cancel_called after the deadline moved into the past").isTrue();
            scope.setDeadlineNs(now + SECOND.toNanos());
            assertThat(scope.isCancelRequested()).as("never un-cancelled when the deadline moves back").isTrue();
            scope.run(() -> {
                assertThat(scope.isCancelRequested()).isTrue();
                assertThat(Cancellation.isCancelled()).isTrue();
                Cancellation.checkpoint();
                events.add("checkpoint passed (must not run)");
            });
            assertThat(scope.cancelledCaught()).isTrue();
            return null;
        });
        assertThat(events).isEmpty();
    }

    // test_cancel.py::test_cancel_reason (CancelScope(deadline=-inf)): a deadline long past (here: before the clock's
    // origin, a negative nanoTime) cancels the scope on entry
    @Test
    void deadlineLongInThePastCancelsOnEntry() {
        VirtualClock clock = VirtualClock.create();
        CancelScope[] scope = new CancelScope[1];
        run(clock, () -> {
            scope[0] = CancelScope.withDeadlineNs(Weft.nanoTime() - Duration.ofHours(1).toNanos());
            scope[0].run(() -> {
                Cancellation.checkpoint();
                events.add("checkpoint passed (must not run)");
            });
            return null;
        });
        assertThat(events).isEmpty();
        assertThat(scope[0].cancelledCaught()).isTrue();
    }

    // test_timeouts.py::test_sleep ("trivial move_on_at"): a deadline equal to now has already expired
    @Test
    void deadlineEqualToNowHasAlreadyExpired() {
        VirtualClock clock = VirtualClock.create();
        run(clock, () -> {
            CancelScope scope = CancelScope.withDeadlineNs(Weft.nanoTime());
            scope.run(() -> assertThatThrownBy(() -> Weft.sleep(Duration.ZERO)).isInstanceOf(Cancelled.class));
            return null;
        });
    }

    // test_run.py::test_basic_timeout (part 1): a deadline that passes only after the scope exited cancels nothing
    @Test
    void deadlinePassingAfterTheScopeExitedCancelsNothing() {
        VirtualClock clock = VirtualClock.create();
        CancelScope scope = CancelScope.create();
        run(clock, () -> {
            long start = Weft.nanoTime();
            scope.run(() -> {
                assertThat(scope.deadlineNs()).isEqualTo(Long.MAX_VALUE);
                scope.setDeadlineNs(start + SECOND.toNanos());
                assertThat(scope.deadlineNs()).isEqualTo(start + SECOND.toNanos());
            });
            assertThat(scope.isCancelRequested()).isFalse();
            clock.advance(Duration.ofSeconds(2));
            Cancellation.checkpoint();
            Cancellation.checkpoint();
            Cancellation.checkpoint();
            return null;
        });
        assertThat(scope.isCancelRequested()).isFalse();
        assertThat(scope.cancelledCaught()).isFalse();
    }

    // test_run.py::test_basic_timeout (part 2): the clock jumps past the deadline, then the sleep raises and the scope catches
    @Test
    void deadlinePassedBeforeASleepCancelsItAndTheScopeCatches() {
        VirtualClock clock = VirtualClock.create();
        CancelScope[] scope = new CancelScope[1];
        run(clock, () -> {
            scope[0] = CancelScope.withDeadlineNs(Weft.nanoTime() + SECOND.toNanos());
            scope[0].run(() -> {
                clock.advance(Duration.ofSeconds(2));
                sleepForever();
            });
            return null;
        });
        assertThat(scope[0].isCancelRequested()).isTrue();
        assertThat(scope[0].cancelledCaught()).isTrue();
    }

    // test_run.py::test_basic_timeout (part 3, "changing deadline"): moving the deadline before now while running cancels
    @Test
    void deadlineChangedWhileRunningCancelsOnceTheClockIsPastIt() {
        VirtualClock clock = VirtualClock.create();
        run(clock, () -> {
            long start = Weft.nanoTime();
            CancelScope scope = CancelScope.create();
            scope.run(() -> {
                Cancellation.checkpoint();
                scope.setDeadlineNs(start + Duration.ofSeconds(10).toNanos());
                Cancellation.checkpoint();
                clock.advance(Duration.ofSeconds(5));
                Cancellation.checkpoint();
                events.add("not yet cancelled at +5 s");
                scope.setDeadlineNs(start + SECOND.toNanos());
                assertThatThrownBy(Cancellation::checkpoint).isInstanceOf(Cancelled.class);
                assertThatThrownBy(Cancellation::checkpoint).isInstanceOf(Cancelled.class);
                events.add("raised twice");
            });
            return null;
        });
        assertThat(events).containsExactly("not yet cancelled at +5 s", "raised twice");
    }

    // test_run.py::test_yield_briefly_checks_for_timeout: a plain checkpoint notices a deadline that passed since the last one
    @Test
    void checkpointNoticesADeadlinePassedSinceTheLastOne() {
        VirtualClock clock = VirtualClock.create();
        run(clock, () -> {
            CancelScope.withDeadlineNs(Weft.nanoTime() + Duration.ofSeconds(5).toNanos()).run(() -> {
                Cancellation.checkpoint();
                clock.advance(Duration.ofSeconds(10));
                assertThatThrownBy(Cancellation::checkpoint).isInstanceOf(Cancelled.class);
            });
            return null;
        });
    }

    // docs CancelScope.deadline ("can be changed at any time"): pushing the deadline later while a task sleeps lets it finish
    @Test
    void deadlineMovedLaterWhileSleepingLetsTheSleepFinish() {
        VirtualClock clock = VirtualClock.create();
        CancelScope scope = CancelScope.withTimeout(SECOND);
        run(clock, () -> TaskScope.run(ts -> {
            Channel<String> asleep = Channel.create(1);
            ts.spawn("mover", () -> {
                asleep.receive();
                scope.setDeadlineNs(Weft.nanoTime() + Duration.ofSeconds(10).toNanos());
                clock.advance(Duration.ofSeconds(3));
                return null;
            });
            scope.run(() -> {
                asleep.trySend("asleep");
                Weft.sleep(Duration.ofSeconds(2));
                events.add("sleep finished");
            });
            return null;
        }));
        assertThat(events).containsExactly("sleep finished");
        assertThat(scope.isCancelRequested()).isFalse();
        assertThat(scope.cancelledCaught()).isFalse();
    }

    // docs CancelScope.deadline: giving a running scope (without a deadline) an earlier one cancels its sleeping task
    @Test
    void deadlineSetEarlierFromAnotherTaskCancelsTheSleeper() {
        VirtualClock clock = VirtualClock.create();
        CancelScope scope = CancelScope.create();
        run(clock, () -> TaskScope.run(ts -> {
            Channel<String> asleep = Channel.create(1);
            ts.spawn("mover", () -> {
                asleep.receive();
                scope.setDeadlineNs(Weft.nanoTime() + SECOND.toNanos());
                clock.advance(Duration.ofSeconds(2));
                return null;
            });
            scope.run(() -> {
                asleep.trySend("asleep");
                try {
                    sleepForever();
                } catch (Cancelled c) {
                    events.add("cancelled: " + c.reason());
                    throw c;
                }
            });
            return null;
        }));
        assertThat(events).containsExactly("cancelled: DEADLINE");
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // test_timeouts.py::test_timeout_deadline_on_entry: a relative timeout counts from entry, not from creation
    @Test
    void relativeTimeoutCountsFromEntry() {
        VirtualClock clock = VirtualClock.create();
        CancelScope scope = CancelScope.withTimeout(Duration.ofSeconds(5));
        run(clock, () -> {
            assertThat(scope.deadlineNs()).isEqualTo(Long.MAX_VALUE);
            clock.advance(Duration.ofSeconds(3));
            long start = Weft.nanoTime();
            scope.run(() -> assertThat(scope.deadlineNs()).isEqualTo(start + Duration.ofSeconds(5).toNanos()));
            return null;
        });
    }

    // docs "A simple timeout example" + cheat sheet: move_on_after skips the rest of the block and reports cancelled_caught
    @Test
    void moveOnAfterSkipsTheRestOfTheBlockAndReportsCancelledCaught() {
        VirtualClock clock = VirtualClock.create();
        CancelScope scope = run(clock, () -> TaskScope.run(ts -> {
            Harness.Jump jump = new Harness.Jump(ts, clock, Duration.ofSeconds(31));
            CancelScope s = CancelScope.moveOnAfter(Duration.ofSeconds(30), () -> {
                jump.aboutToBlock();
                sleepForever();                           // do_http_get hangs
                events.add("result is ... (must not run)");
            });
            events.add("with block finished");
            return s;
        }));
        assertThat(events).containsExactly("with block finished");
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // test_timeouts.py::test_fail: fail_after raises (TooSlowError; Weft: DeadlineExceededException) when its deadline cancels; not in time
    @Test
    void failAfterRaisesWhenItsDeadlineCancelsAndReturnsWhenInTime() {
        VirtualClock clock = VirtualClock.create();
        Throwable t = thrown(() -> run(clock, () -> TaskScope.run(ts -> {
            Harness.Jump jump = new Harness.Jump(ts, clock, Duration.ofSeconds(2));
            assertThat(CancelScope.failAfter(Duration.ofSeconds(100), () -> {
                Weft.sleep(Duration.ZERO);
                return "in time";
            })).isEqualTo("in time");
            return CancelScope.failAfter(SECOND, () -> {
                jump.aboutToBlock();
                Weft.sleep(Duration.ofSeconds(100));
                return "finished (wrong)";
            });
        })));
        assertThat(t).isInstanceOf(DeadlineExceededException.class);
    }

    // test_timeouts.py::test_timeouts_raise_value_error: negative durations are rejected (deadlines may be in the past)
    @Test
    void negativeDurationsAreRejected() {
        Duration minusOne = Duration.ofSeconds(-1);
        assertThatThrownBy(() -> CancelScope.withTimeout(minusOne)).isInstanceOf(IllegalArgumentException.class);
        run(() -> {
            assertThatThrownBy(() -> Weft.sleep(minusOne)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> CancelScope.moveOnAfter(minusOne, () -> {})).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> CancelScope.failAfter(minusOne, () -> null)).isInstanceOf(IllegalArgumentException.class);
            CancelScope past = CancelScope.withDeadlineNs(Weft.nanoTime() - SECOND.toNanos()); // allowed
            past.run(Cancellation::checkpoint);
            assertThat(past.cancelledCaught()).isTrue();
            return null;
        });
    }

    // docs "Cancellation semantics" (shield example with CLEANUP_TIMEOUT): shielded cleanup blocks despite the outer cancel, under its own deadline
    @Test
    void shieldedCleanupBlocksDespiteTheOuterCancelUntilItsOwnDeadline() {
        VirtualClock clock = VirtualClock.create();
        CancelScope outer = CancelScope.withTimeout(Duration.ofSeconds(10));
        CancelScope[] cleanup = new CancelScope[1];
        long[] cleanupTook = new long[1];
        run(clock, () -> TaskScope.run(ts -> {
            Harness.Jump jump = new Harness.Jump(ts, clock, Duration.ofSeconds(11), Duration.ofSeconds(6));
            outer.run(() -> {
                try {
                    jump.aboutToBlock();
                    sleepForever();                        // send_hello_msg() hangs; the outer timeout fires
                } finally {
                    long t0 = Weft.nanoTime();
                    cleanup[0] = CancelScope.shielded(Duration.ofSeconds(5), () -> {
                        jump.aboutToBlock();
                        try {
                            sleepForever();                // send_goodbye_msg() hangs; its own timeout fires
                        } catch (Cancelled c) {
                            events.add("cleanup cancelled: " + c.reason());
                            throw c;
                        }
                    });
                    cleanupTook[0] = Weft.nanoTime() - t0;
                }
            });
            return null;
        }));
        assertThat(events).containsExactly("cleanup cancelled: DEADLINE");
        assertThat(cleanupTook[0]).as("virtual ns the shielded cleanup waited").isGreaterThanOrEqualTo(Duration.ofSeconds(5).toNanos());
        assertThat(cleanup[0].cancelledCaught()).isTrue();
        assertThat(outer.cancelledCaught()).isTrue();
    }

    // test_cancel.py::test_cancel_reason: Cancelled says whether it came from cancel() or from the deadline, and which scope
    @Test
    void cancelledCarriesTheReasonAndTheScope() {
        VirtualClock clock = VirtualClock.create();
        run(clock, () -> {
            CancelScope explicit = CancelScope.create().name("explicit-scope");
            explicit.run(() -> {
                explicit.cancel();
                Cancelled c = cancelledBy(Cancellation::checkpoint);
                assertThat(c.reason()).isEqualTo(CancelReason.EXPLICIT);
                assertThat(c.scopeName()).isEqualTo("explicit-scope");
            });
            CancelScope deadline = CancelScope.withDeadlineNs(Weft.nanoTime()).name("deadline-scope"); // Trio: -inf
            deadline.run(() -> {
                Cancelled c = cancelledBy(Cancellation::checkpoint);
                assertThat(c.reason()).isEqualTo(CancelReason.DEADLINE);
                assertThat(c.scopeName()).isEqualTo("deadline-scope");
            });
            return null;
        });
    }

    // test_cancel.py::test_cancel_reason_not_overwritten: a deadline passing after an explicit cancel keeps the first reason
    @Test
    void explicitCancelReasonIsNotOverwrittenByALaterDeadline() {
        VirtualClock clock = VirtualClock.create();
        run(clock, () -> {
            CancelScope scope = CancelScope.create();
            scope.run(() -> {
                scope.cancel();
                assertThat(cancelledBy(Cancellation::checkpoint).reason()).isEqualTo(CancelReason.EXPLICIT);
                scope.setDeadlineNs(Weft.nanoTime() - SECOND.toNanos());
                assertThat(cancelledBy(Cancellation::checkpoint).reason()).isEqualTo(CancelReason.EXPLICIT);
            });
            return null;
        });
    }

    // test_run.py::test_very_deep_cancel_scope_nesting: cancelling the outermost of deeply nested scopes works (no recursion blow-up)
    @Test
    void cancellingTheOutermostOfDeeplyNestedScopesReachesTheBottom() {
        CancelScope outermost = CancelScope.create();
        run(() -> {
            outermost.run(() -> nest(1000, () -> {
                outermost.cancel();
                Cancellation.checkpoint();
                events.add("bottom checkpoint passed (must not run)");
            }));
            return null;
        });
        assertThat(events).isEmpty();
        assertThat(outermost.cancelledCaught()).isTrue();
    }

    private static void nest(int depth, ThrowingRunnable<RuntimeException> bottom) {
        if (depth == 0) {
            bottom.run();
        } else {
            CancelScope.create().run(() -> nest(depth - 1, bottom));
        }
    }

    // test_run.py::test_timekeeping: on the real clock a deadline never fires early (and, in one of 4 tries, within 2x)
    @Test
    void realClockDeadlineNeverFiresEarly() {
        long target = Duration.ofMillis(200).toNanos();
        List<Long> took = run(() -> {
            List<Long> durations = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                long realStart = System.nanoTime();
                CancelScope scope = CancelScope.create();
                scope.run(() -> {
                    scope.setDeadlineNs(Weft.nanoTime() + target);
                    sleepForever();
                });
                durations.add(System.nanoTime() - realStart);
                assertThat(scope.cancelledCaught()).isTrue();
                if (durations.getLast() < 2 * target) {
                    break;
                }
            }
            return durations;
        });
        assertThat(took).allSatisfy(d -> assertThat(d).isGreaterThanOrEqualTo(target));
        assertThat(took.getLast()).isLessThan(2 * target);
    }
}
