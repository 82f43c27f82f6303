package dev.weft.conformance;

import static dev.weft.conformance.Harness.HOUR;
import static dev.weft.conformance.Harness.flatten;
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
import dev.weft.ContextVar;
import dev.weft.DeadlineExceededException;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.TaskState;
import dev.weft.VirtualClock;
import dev.weft.Weft;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Trio's nursery semantics (docs: "Tasks let you do multiple things at once"; tests:
 * src/trio/_core/_tests/test_run.py test_nursery_*, test_child_crash_*, test_cancel_*), translated to
 * {@link TaskScope}.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TrioNurseryConformanceTest {
    private static final Duration FIFTY_MS = Duration.ofMillis(50);

    private final List<String> events = Collections.synchronizedList(new ArrayList<>());

    // ---- failures ----------------------------------------------------------------------------------

    // test_run.py::test_child_crash_basic: a child's exception comes out of the nursery (the same object)
    @Test
    void childCrashPropagatesOutOfTheNursery() {
        IllegalStateException myExc = new IllegalStateException("uh oh");
        Throwable t = thrown(() -> run(() -> TaskScope.run(ts -> {
            ts.spawn("erroring", () -> {
                throw myExc;
            });
            return null;
        })));
        assertThat(t).isSameAs(myExc);
    }

    // test_run.py::test_nursery_main_block_error_basic / test_nursery_explicit_exception: the body's exception comes out as it is
    @Test
    void bodyExceptionPropagatesOutOfTheNursery() {
        IllegalStateException exc = new IllegalStateException("whoops");
        Throwable t = thrown(() -> run(() -> TaskScope.run(ts -> {
            throw exc;
        })));
        assertThat(t).isSameAs(exc);
    }

    // test_run.py::test_task_crash_propagation: a crash cancels a looping sibling, whose cleanup runs; only the crash is reported
    @Test
    void childCrashCancelsALoopingSibling() {
        Throwable t = thrown(() -> run(() -> TaskScope.run(ts -> {
            ts.spawn("looper", () -> {
                try {
                    while (true) {
                        Cancellation.checkpoint();
                        Thread.yield();                       // Trio's checkpoint is also a schedule point
                    }
                } catch (Cancelled c) {
                    events.add("looper cancelled");
                    throw c;
                }
            });
            ts.spawn("crasher", () -> {
                throw new IllegalArgumentException("argh");
            });
            return null;
        })));
        assertThat(t).isInstanceOf(IllegalArgumentException.class).hasMessage("argh");
        assertThat(flatten(t)).hasSize(1);
        assertThat(events).containsExactly("looper cancelled");
    }

    // test_run.py::test_main_and_task_both_crash: a body crash and a child crash are both reported
    @Test
    void bodyAndChildCrashesAreBothReported() {
        IllegalStateException valueError = new IllegalStateException("ValueError");
        IllegalArgumentException keyError = new IllegalArgumentException("KeyError");
        Throwable t = thrown(() -> run(() -> TaskScope.run(ts -> {
            ts.spawn("crasher", () -> {
                throw valueError;
            });
            throw keyError;
        })));
        assertThat(flatten(t)).containsExactlyInAnyOrder(valueError, keyError);
    }

    // test_run.py::test_two_child_crashes: two child crashes are both reported
    @Test
    void twoChildCrashesAreBothReported() {
        IllegalArgumentException keyError = new IllegalArgumentException("KeyError");
        IllegalStateException valueError = new IllegalStateException("ValueError");
        Throwable t = thrown(() -> run(() -> TaskScope.run(ts -> {
            ts.spawn("crasher-1", () -> {
                throw keyError;
            });
            ts.spawn("crasher-2", () -> {
                throw valueError;
            });
            return null;
        })));
        assertThat(flatten(t)).containsExactlyInAnyOrder(keyError, valueError);
    }

    // test_run.py::test_child_crash_wakes_parent: a child crash wakes the body from a sleep forever
    @Test
    void childCrashWakesTheSleepingBody() {
        Throwable t = thrown(() -> run(() -> TaskScope.run(ts -> {
            ts.spawn("crasher", () -> {
                throw new IllegalStateException("this is a crash");
            });
            sleepForever();
            events.add("body woke normally (wrong)");
            return null;
        })));
        assertThat(t).isInstanceOf(IllegalStateException.class).hasMessage("this is a crash");
        assertThat(events).isEmpty();
    }

    // test_cancel.py::test_cancel_reason_nursery: a failure cancels the siblings (reason: nursery); an error in their cleanup is reported too
    @Test
    void firstFailureCancelsSiblingsAndTheirCleanupErrorsAreReportedToo() {
        IllegalStateException valueError = new IllegalStateException("ValueError");
        Throwable t = thrown(() -> run(() -> TaskScope.run(ts -> {
            Channel<String> started = Channel.create(1);
            ts.spawn("cancelled_task", () -> {
                started.trySend("started");
                try {
                    sleepForever();
                } catch (Cancelled c) {
                    events.add("cancelled: " + c.reason());
                    throw new UnsupportedOperationException("TypeError");
                }
                return null;
            });
            started.receive();
            ts.spawn("failing_task", () -> {
                throw valueError;
            });
            return null;
        })));
        assertThat(events).containsExactly("cancelled: " + CancelReason.FAILED_SIBLING);
        assertThat(flatten(t)).hasSize(2).contains(valueError).anyMatch(UnsupportedOperationException.class::isInstance);
    }

    // test_run.py::test_nursery_collapse: errors from a nested nursery and its parent are all reported, without Cancelled
    @Test
    void errorsFromNestedNurseriesAreAllReportedWithoutCancelled() {
        Throwable t = thrown(() -> run(() -> TaskScope.run(nursery -> {
            nursery.spawn("sleep_forever", () -> {
                sleepForever();
                return null;
            });
            nursery.spawn("raise_error", () -> {
                throw new IllegalStateException("test error");
            });
            TaskScope.run(nursery2 -> {
                nursery2.spawn("sleep_forever-2", () -> {
                    sleepForever();
                    return null;
                });
                nursery2.spawn("raise_error-2", () -> {
                    throw new IllegalStateException("test error");
                });
                nursery.cancel();
                return null;
            });
            return null;
        })));
        List<Throwable> all = flatten(t);
        assertThat(all).noneMatch(Cancelled.class::isInstance);
        assertThat(all).filteredOn(e -> "test error".equals(e.getMessage())).hasSize(2);
    }

    // test_run.py::test_cancel_scope_exceptiongroup_filtering: every Cancelled is absorbed; only the real error leaves the outer scope
    @Test
    void cancelledChildrenAreAbsorbedAndOnlyTheRealErrorEscapes() {
        IllegalStateException keyError = new IllegalStateException("KeyError");
        CancelScope outer = CancelScope.create();
        Throwable t = thrown(() -> run(() -> {
            outer.run(() -> TaskScope.run(nursery -> {
                Task<Object> t1 = nursery.spawn("t1", () -> {
                    sleepForever();
                    return null;
                });
                Task<Object> t2 = nursery.spawn("t2", () -> {
                    sleepForever();
                    return null;
                });
                nursery.cancelScope().cancel();
                CancelScope.create().shield(true).run(() -> {
                    assertThat(thrown(t1::join)).isInstanceOf(CancellationException.class);
                    assertThat(thrown(t2::join)).isInstanceOf(CancellationException.class);
                });
                nursery.spawn("t3", () -> {                  // cancelled by the outer scope
                    sleepForever();
                    return null;
                });
                outer.cancel();
                nursery.spawn("t4", () -> {
                    throw keyError;
                });
                return null;
            }));
            return null;
        }));
        assertThat(t).isSameAs(keyError);
        assertThat(flatten(t)).noneMatch(Cancelled.class::isInstance);
    }

    // docs "Errors in multiple child tasks" + Task.cancel: a child ended by cancellation is not a failure of the nursery
    @Test
    void childEndedByCancellationIsNotAFailure() {
        AtomicReference<Task<Object>> victim = new AtomicReference<>();
        String r = run(() -> TaskScope.run(ts -> {
            Channel<String> asleep = Channel.create(1);
            victim.set(ts.spawn("victim", () -> {
                asleep.trySend("asleep");
                sleepForever();
                return null;
            }));
            Task<String> other = ts.spawn("other", () -> "other");
            asleep.receive();
            victim.get().cancel();
            return other.join() + " + body";
        }));
        assertThat(r).isEqualTo("other + body");
        assertThat(victim.get().state()).isEqualTo(TaskState.CANCELLED);
    }

    // ---- lifetime ----------------------------------------------------------------------------------

    // docs "Nurseries and spawning" note: a return from the body does not cancel the nursery; it waits for the children
    @Test
    void nurseryWaitsForItsChildrenAfterTheBodyReturns() {
        VirtualClock clock = VirtualClock.create();
        long[] took = new long[1];
        String r = run(clock, () -> {
            long t0 = Weft.nanoTime();
            String result = TaskScope.run(ts -> {
                Harness.Jump jump = new Harness.Jump(ts, clock, Duration.ofSeconds(5));
                ts.spawn("sleep 5", () -> {
                    jump.aboutToBlock();
                    Weft.sleep(Duration.ofSeconds(5));
                    events.add("child finished");
                    return null;
                });
                return "returned";
            });
            took[0] = Weft.nanoTime() - t0;
            events.add("nursery exited");
            return result;
        });
        assertThat(r).isEqualTo("returned");
        assertThat(events).containsExactly("child finished", "nursery exited");
        assertThat(took[0]).isEqualTo(Duration.ofSeconds(5).toNanos());
    }

    // docs "Nurseries and spawning": the block does not exit until all tasks have completed, also when the body raises
    @Test
    void nurseryWaitsForItsChildrensCleanupWhenTheBodyRaises() {
        VirtualClock clock = VirtualClock.create();
        IllegalStateException boom = new IllegalStateException("body failed");
        Throwable t = thrown(() -> run(clock, () -> TaskScope.run(outer -> {
            Harness.Jump jump = new Harness.Jump(outer, clock, Duration.ofSeconds(5));
            try {
                return TaskScope.run(ts -> {
                    Channel<String> started = Channel.create(1);
                    ts.spawn("slow-cleanup", () -> {
                        try {
                            started.trySend("started");
                            sleepForever();
                        } finally {
                            CancelScope.shielded(Duration.ofSeconds(10), () -> {
                                jump.aboutToBlock();
                                Weft.sleep(Duration.ofSeconds(5));
                            });
                            events.add("child cleanup finished");
                        }
                        return null;
                    });
                    started.receive();
                    throw boom;
                });
            } finally {
                events.add("nursery exited");
            }
        })));
        assertThat(t).isSameAs(boom);
        assertThat(events).containsExactly("child cleanup finished", "nursery exited");
    }

    // test_run.py::test_nursery_closure: children may spawn into the nursery while it waits; once it exited, spawning fails
    @Test
    void childrenMaySpawnSiblingsWhileTheNurseryWaitsButNotAfterItClosed() {
        AtomicReference<TaskScope> saved = new AtomicReference<>();
        run(() -> {
            TaskScope.run(ts -> {
                saved.set(ts);
                ts.spawn("child1", () -> ts.spawn("child2", () -> {
                    events.add("child2 ran");
                    return null;
                }));
                return null;
            });
            assertThatThrownBy(() -> saved.get().spawn(() -> null)).isInstanceOf(IllegalStateException.class);
            return null;
        });
        assertThat(events).containsExactly("child2 ran");
    }

    // ---- cancellation ------------------------------------------------------------------------------

    // test_run.py::test_cancel_inheritance: cancelling a nursery reaches every descendant at once
    @Test
    void nurseryCancelReachesEveryDescendant() {
        Set<String> record = ConcurrentHashMap.newKeySet();
        run(() -> TaskScope.run(nursery -> {
            for (String w : List.of("w1", "w2")) {
                nursery.spawn(w, () -> TaskScope.run(n -> {
                    for (String l : List.of("-l1", "-l2")) {
                        n.spawn(w + l, () -> {
                            try {
                                sleepForever();
                            } catch (Cancelled c) {
                                record.add(w + l);
                                throw c;
                            }
                            return null;
                        });
                    }
                    return null;
                }));
            }
            nursery.cancelScope().cancel();
            return null;
        }));
        assertThat(record).containsExactlyInAnyOrder("w1-l1", "w1-l2", "w2-l1", "w2-l2");
    }

    // test_run.py::test_precancelled_task: a task spawned into a cancelled nursery starts, and is cancelled at its first wait
    @Test
    void taskSpawnedIntoACancelledNurseryStartsAndIsCancelledAtItsFirstWait() {
        run(() -> TaskScope.run(nursery -> {
            nursery.cancelScope().cancel();
            nursery.spawn("blocker", () -> {
                events.add("started");
                sleepForever();
                events.add("slept (wrong)");
                return null;
            });
            return null;
        }));
        assertThat(events).containsExactly("started");
    }

    // test_run.py::test_cancel_shield_abort: unshielding a nursery's cancel scope aborts its child's sleep (outer scope cancelled)
    @Test
    void unshieldingTheNurseryDeliversThePendingOuterCancelToItsSleepingChild() {
        CancelScope outer = CancelScope.create();
        run(() -> {
            outer.run(() -> TaskScope.run(nursery -> {
                outer.cancel();
                nursery.cancelScope().shield(true);
                Channel<String> sleeping = Channel.create(1);
                Task<Object> sleeper = nursery.spawn("sleeper", () -> {
                    events.add("sleeping");
                    sleeping.trySend("sleeping");
                    try {
                        sleepForever();
                    } catch (Cancelled c) {
                        events.add("cancelled");
                        throw c;
                    }
                    return null;
                });
                sleeping.receive();                          // shielded: the child got to sleep
                assertThat(events).containsExactly("sleeping");
                nursery.cancelScope().shield(false);
                // wait for the child, shielded; the 3 s real-time limit only turns a hang into a readable failure
                CancelScope.shielded(Duration.ofSeconds(3), () -> thrown(sleeper::join));
                assertThat(events).as("the child's sleep was aborted when the shield dropped").containsExactly("sleeping", "cancelled");
                return null;
            }));
            return null;
        });
        assertThat(events).containsExactly("sleeping", "cancelled");
    }

    // docs "Child tasks and cancellation": a timeout around a nursery cancels both children; the block after the nursery is skipped
    @Test
    void timeoutAroundANurseryCancelsEveryChild() {
        VirtualClock clock = VirtualClock.create();
        CancelScope timeout = CancelScope.withTimeout(Duration.ofSeconds(30));
        run(clock, () -> TaskScope.run(outer -> {
            Harness.Jump jump = new Harness.Jump(outer, clock, Duration.ofSeconds(31));
            timeout.run(() -> {
                TaskScope.run(nursery -> {
                    for (String name : List.of("child1", "child2")) {
                        nursery.spawn(name, () -> {
                            if (name.equals("child2")) {
                                jump.aboutToBlock();
                            }
                            try {
                                sleepForever();
                            } catch (Cancelled c) {
                                events.add(name + " cancelled: " + c.reason());
                                throw c;
                            }
                            return null;
                        });
                    }
                    return null;
                });
                events.add("after the nursery (must not run)");
            });
            return null;
        }));
        assertThat(events).containsExactlyInAnyOrder("child1 cancelled: DEADLINE", "child2 cancelled: DEADLINE");
        assertThat(timeout.cancelledCaught()).isTrue();
    }

    // test_run.py::test_cancel_scope_exceptiongroup_filtering + docs "Child tasks and cancellation": fail_after around a nursery whose body returned
    @Test
    void failAfterAroundANurseryRaisesWhenItsDeadlineCancelsTheChildren() {
        VirtualClock clock = VirtualClock.create();
        AtomicReference<Object> returned = new AtomicReference<>("<nothing>");
        Throwable t = thrown(() -> run(clock, () -> TaskScope.run(outer -> {
            Harness.Jump jump = new Harness.Jump(outer, clock, FIFTY_MS);
            returned.set(CancelScope.failAfter(FIFTY_MS, () -> TaskScope.run(ts -> {
                ts.spawn("sleeper", () -> {
                    jump.aboutToBlock();
                    Weft.sleep(HOUR);
                    return null;
                });
                return "done";
            })));
            return null;
        })));
        assertThat(t).as("failAfter returned %s instead of raising", returned.get())
                .isInstanceOf(DeadlineExceededException.class);
    }

    // docs "Child tasks and cancellation" + test_run.py::test_cancel_scope_exceptiongroup_filtering: the children's Cancelled leaves the nursery
    @Test
    void moveOnAfterAroundANurseryWhoseBodyReturnedCatchesAndSkipsTheRestOfTheBlock() {
        VirtualClock clock = VirtualClock.create();
        CancelScope scope = run(clock, () -> TaskScope.run(outer -> {
            Harness.Jump jump = new Harness.Jump(outer, clock, FIFTY_MS);
            return CancelScope.moveOnAfter(FIFTY_MS, () -> {
                String r = TaskScope.run(ts -> {
                    ts.spawn("sleeper", () -> {
                        jump.aboutToBlock();
                        Weft.sleep(HOUR);
                        return null;
                    });
                    return "done";
                });
                events.add("after the nursery: " + r + " (must not run)");
            });
        }));
        assertThat(events).isEmpty();
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // docs "Child tasks and cancellation": the children inherit the outer scope; a shield inside the body protects only the body
    @Test
    void outerCancelReachesTheChildrenWhileTheBodyIsShieldedAndLeavesTheNursery() {
        CancelScope outer = CancelScope.create();
        run(() -> {
            outer.run(() -> {
                String r = TaskScope.run(nursery -> {
                    Channel<String> asleep = Channel.create(1);
                    Task<Object> child = nursery.spawn("child", () -> {
                        asleep.trySend("asleep");
                        try {
                            sleepForever();
                        } catch (Cancelled c) {
                            events.add("child cancelled");
                            throw c;
                        }
                        return null;
                    });
                    CancelScope.create().shield(true).run(() -> {
                        asleep.receive();
                        outer.cancel();
                        assertThat(thrown(child::join)).isInstanceOf(CancellationException.class);
                        events.add("shielded body saw the child cancelled");
                    });
                    return "done";
                });
                events.add("after the nursery: " + r + " (must not run)");
            });
            return null;
        });
        assertThat(events).containsExactly("child cancelled", "shielded body saw the child cancelled");
        assertThat(outer.cancelledCaught()).isTrue();
    }

    // docs CancelScope.cancelled_caught on nursery.cancel_scope (test_cancel_inheritance setup): it caught the children's Cancelled after the body returned
    @Test
    void nurseryCancelScopeCatchesTheChildrensCancelledAfterTheBodyReturned() {
        AtomicReference<TaskScope> saved = new AtomicReference<>();
        String r = run(() -> TaskScope.run(nursery -> {
            saved.set(nursery);
            Channel<String> asleep = Channel.create(1);
            nursery.spawn("child", () -> {
                asleep.trySend("asleep");
                sleepForever();
                return null;
            });
            asleep.receive();
            nursery.cancel();
            return "done";
        }));
        assertThat(saved.get().cancelScope().cancelledCaught()).isTrue();
        assertThat(r).isEqualTo("done");
    }

    // docs "Child tasks and cancellation": a scope inside the body around start_soon does nothing for the child
    @Test
    void scopeAroundSpawnInsideTheBodyDoesNotApplyToTheChild() {
        CancelScope around = CancelScope.create();
        String r = run(() -> TaskScope.run(nursery -> {
            AtomicReference<Task<String>> child = new AtomicReference<>();
            around.run(() -> {
                child.set(nursery.spawn("child", () -> {
                    Cancellation.checkpoint();
                    Weft.sleep(Duration.ofMillis(1));
                    return "child finished";
                }));
                around.cancel();
            });
            return child.get().join();
        }));
        assertThat(r).isEqualTo("child finished");
        assertThat(around.cancelledCaught()).isFalse();
    }

    // docs "Spawning tasks without becoming a parent": cancel scopes come from the nursery, not from the task that spawns
    @Test
    void scopeOfASpawningSiblingDoesNotApplyToTheTaskItSpawns() {
        String r = run(() -> TaskScope.run(nursery -> {
            Task<Task<String>> doSpawn = nursery.spawn("do_spawn", () -> {
                AtomicReference<Task<String>> spawned = new AtomicReference<>();
                CancelScope timeout = CancelScope.create();
                timeout.run(() -> {
                    spawned.set(nursery.spawn("child", () -> {
                        Cancellation.checkpoint();
                        Weft.sleep(Duration.ofMillis(1));
                        return "child finished";
                    }));
                    timeout.cancel();
                });
                return spawned.get();
            });
            return doSpawn.join().join();
        }));
        assertThat(r).isEqualTo("child finished");
    }

    // test_run.py::test_trivial_yields: opening and closing an empty nursery is not a cancellation point
    @Test
    void emptyNurseryInACancelledScopeIsNotACancellationPoint() {
        CancelScope cs = CancelScope.create();
        run(() -> {
            cs.run(() -> {
                cs.cancel();
                TaskScope.run(nursery -> null);
                events.add("after the empty nursery");
            });
            return null;
        });
        assertThat(events).containsExactly("after the empty nursery");
        assertThat(cs.cancelledCaught()).isFalse();
    }

    // test_run.py::test_trivial_yields a nursery whose child never checkpoints raises no Cancelled in a cancelled scope
    @Test
    void nurseryWhoseChildNeverCheckpointsRaisesNoCancelled() {
        CancelScope cs = CancelScope.create();
        run(() -> {
            cs.run(() -> {
                cs.cancel();
                TaskScope.run(nursery -> {
                    nursery.spawn("noop_with_no_checkpoint", () -> {
                        events.add("child ran");
                        return null;
                    });
                    return null;
                });
                events.add("after the nursery");
            });
            return null;
        });
        assertThat(events).containsExactly("child ran", "after the nursery");
        assertThat(cs.cancelledCaught()).isFalse();
    }

    // test_run.py::test_trivial_yields (last part): in a cancelled scope, a body error leaves the nursery as it is
    @Test
    void bodyErrorInACancelledScopeLeavesTheNurseryAsItIs() {
        IllegalStateException keyError = new IllegalStateException("KeyError");
        CancelScope cs = CancelScope.create();
        Throwable t = thrown(() -> run(() -> {
            cs.run(() -> {
                cs.cancel();
                TaskScope.run(nursery -> {
                    throw keyError;
                });
            });
            return null;
        }));
        assertThat(t).isSameAs(keyError);
        assertThat(cs.cancelledCaught()).isFalse();
    }

    // ---- context -----------------------------------------------------------------------------------

    // test_run.py::test_contextvar_multitask: a child's set is its own; a child sees the parent's value at spawn
    @Test
    void contextVarSetInAChildStaysThereAndChildrenSeeTheParentsValueAtSpawn() {
        ContextVar<String> var = ContextVar.withDefault("test", "hmmm");
        String t2Saw = run(() -> TaskScope.run(n -> {
            n.spawn("t1", () -> {
                assertThat(var.get()).isEqualTo("hmmm");
                var.set("hmmmm");
                assertThat(var.get()).isEqualTo("hmmmm");
                return null;
            }).join();
            assertThat(var.get()).isEqualTo("hmmm");
            var.set("hmmmm");
            return n.spawn("t2", var::get).join();
        }));
        assertThat(t2Saw).isEqualTo("hmmmm");
    }
}
