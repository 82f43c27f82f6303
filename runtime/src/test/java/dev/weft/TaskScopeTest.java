package dev.weft;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS)
class TaskScopeTest {
    /** Sleeps until cancelled; then its cleanup fails, a second failure. */
    @SuppressWarnings("finally") // the finally block throws on purpose: what the scope reports when cleanup fails
    private static void sleepThenFailInCleanup() {
        try {
            Weft.sleep(Duration.ofMinutes(5));
        } finally {
            throw new IllegalArgumentException("second");
        }
    }

    @Test
    void scopeReturnsTheBodyResultAfterEveryChild() {
        AtomicInteger finished = new AtomicInteger();
        int r = Runs.loops(2, () -> TaskScope.run(scope -> {
            for (int i = 0; i < 100; i++) {
                scope.spawn(() -> {
                    Weft.sleep(Duration.ofMillis(1));
                    return finished.incrementAndGet();
                });
            }
            return 42;
        }));
        assertThat(r).isEqualTo(42);
        assertThat(finished).hasValue(100);
    }

    @Test
    void childCrashCancelsSiblingsWhoseCleanupRunsAndBothErrorsAreReported() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Throwable thrown = null;
        try {
            Runs.oneLoop(() -> TaskScope.run(scope -> {
                scope.spawn("sleeper", () -> {
                    try {
                        Weft.sleep(Duration.ofMinutes(5));
                        return null;
                    } catch (Cancelled c) {
                        events.add("sleeper cancelled: " + c.reason());
                        throw c;
                    } finally {
                        events.add("sleeper cleanup");
                    }
                });
                scope.spawn("crasher-1", () -> {
                    throw new IllegalStateException("first");
                });
                scope.spawn("crasher-2", TaskScopeTest::sleepThenFailInCleanup);
                return null;
            }));
        } catch (Throwable t) {
            thrown = t;
        }
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessage("first");
        assertThat(thrown.getSuppressed()).hasSize(1);
        assertThat(thrown.getSuppressed()[0]).isInstanceOf(IllegalArgumentException.class).hasMessage("second");
        assertThat(events).containsExactly("sleeper cancelled: FAILED_SIBLING", "sleeper cleanup");
    }

    @Test
    void bodyFailureCancelsChildren() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        assertThatThrownBy(() -> Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.spawn(() -> {
                try {
                    Weft.sleep(Duration.ofMinutes(5));
                } finally {
                    events.add("child cleanup");
                }
                return null;
            });
            throw new IOException("body failed");
        }))).isInstanceOf(IOException.class).hasMessage("body failed");
        assertThat(events).containsExactly("child cleanup");
    }

    @Test
    void checkedChildFailureIsWrappedWithTheTaskName() {
        assertThatThrownBy(() -> Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.spawn("reader", () -> {
                throw new IOException("disk");
            });
            return null;
        }))).isInstanceOf(TaskFailedException.class).hasMessageContaining("reader").hasCauseInstanceOf(IOException.class);
    }

    @Test
    void joiningAFailedChildDoesNotReportTheFailureTwice() {
        Throwable thrown = catchIt(() -> Runs.oneLoop(() -> TaskScope.run(scope -> {
            Task<Integer> t = scope.spawn("bad", () -> {
                throw new IllegalStateException("bad");
            });
            return t.join();
        })));
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessage("bad");
        assertThat(thrown.getSuppressed()).isEmpty();
    }

    @Test
    void cancellingAScopeReachesGrandchildren() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Runs.loops(2, () -> {
            Channel<String> started = Channel.create(1);
            return TaskScope.run(outer -> {
                outer.spawn("child", () -> TaskScope.run(inner -> {
                    inner.spawnOn(Weft.loops().get(1), "grandchild", () -> {
                        try {
                            started.send("grandchild");
                            Weft.sleep(Duration.ofMinutes(5));
                        } catch (Cancelled c) {
                            events.add("grandchild cancelled: " + c.reason() + " by " + c.scopeName());
                            throw c;
                        } finally {
                            events.add("grandchild cleanup");
                        }
                        return null;
                    });
                    return null;
                }));
                started.receive(); // the grandchild runs (on another loop): now cancel from the top
                outer.cancelScope().name("outer");
                outer.cancel();
                return null;
            });
        });
        assertThat(events).containsExactly("grandchild cancelled: EXPLICIT by outer", "grandchild cleanup");
    }

    @Test
    void taskSpawnedIntoACancelledScopeIsCancelledAtItsFirstCancellationPoint() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.cancel();
            Task<Object> t = scope.spawn("late", () -> {
                events.add("late child starts");
                Cancellation.checkpoint();
                events.add("late child passed its checkpoint (wrong)");
                return null;
            });
            return t;
        }));
        assertThat(events).containsExactly("late child starts");
    }

    @Test
    void scopeCancelIsAbsorbedAndRunReturnsNull() {
        CancelScope[] cs = new CancelScope[1];
        Object r = Runs.oneLoop(() -> TaskScope.run(scope -> {
            cs[0] = scope.cancelScope();
            scope.spawn(() -> {
                Weft.sleep(Duration.ofMinutes(5));
                return null;
            });
            scope.cancel();
            Cancellation.checkpoint();
            return "not reached";
        }));
        assertThat(r).isNull();
        assertThat(cs[0].cancelledCaught()).isTrue();
    }

    @Test
    void joinReportsFailureAndCancellation() {
        Runs.oneLoop(() -> TaskScope.supervise(scope -> {
            Task<Integer> ok = scope.spawn(() -> 1);
            Task<Integer> bad = scope.spawn("bad", () -> {
                throw new IOException("x");
            });
            Task<Integer> cancelled = scope.spawn("slow", () -> {
                Weft.sleep(Duration.ofMinutes(5));
                return 3;
            });
            assertThat(ok.join()).isEqualTo(1);
            assertThatThrownBy(bad::join).isInstanceOf(TaskFailedException.class).hasCauseInstanceOf(IOException.class);
            cancelled.cancel();
            assertThatThrownBy(cancelled::join).isInstanceOf(CancellationException.class).hasMessageContaining("slow");
            assertThat(cancelled.state()).isEqualTo(TaskState.CANCELLED);
            assertThat(bad.state()).isEqualTo(TaskState.FAILED);
            assertThat(bad.exception()).isInstanceOf(IOException.class);
            assertThat(ok.result()).isEqualTo(1);
            return null;
        }, (task, e) -> {}));
    }

    @Test
    void supervisingScopeKeepsSiblingsRunning() {
        List<String> failures = Collections.synchronizedList(new ArrayList<>());
        int r = Runs.oneLoop(() -> TaskScope.supervise(scope -> {
            scope.spawn("bad", () -> {
                throw new IllegalStateException("handler crashed");
            });
            Task<Integer> good = scope.spawn("good", () -> {
                Weft.sleep(Duration.ofMillis(5));
                return 7;
            });
            return good.join();
        }, (task, e) -> failures.add(task.name() + ": " + e.getMessage())));
        assertThat(r).isEqualTo(7);
        assertThat(failures).containsExactly("bad: handler crashed");
    }

    @Test
    void spawningIntoAClosedScopeFailsWithAdvice() {
        assertThatThrownBy(() -> Runs.oneLoop(() -> {
            TaskScope leaked = TaskScope.run(scope -> scope);
            leaked.spawn(() -> 1);
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("is closed")
                .hasMessageContaining("open a new TaskScope");
    }

    @Test
    void spawningFromATaskThatDoesNotOwnTheScopeFails() {
        Throwable thrown = catchIt(() -> Runs.oneLoop(() -> TaskScope.run(a -> {
            Channel<TaskScope> handoff = Channel.create(1);
            a.spawn("holder", () -> TaskScope.run(b -> {
                handoff.send(b);
                Weft.sleep(Duration.ofMinutes(5)); // keeps b open; cancelled when the root's body fails
                return null;
            }));
            TaskScope foreign = handoff.receive();
            foreign.spawn(() -> 1); // the root does not own b and does not run inside it
            return null;
        })));
        assertThat(thrown).isInstanceOf(IllegalStateException.class).hasMessageContaining("cannot spawn into");
    }

    @Test
    void childrenMaySpawnSiblingsIntoTheirScope() {
        AtomicInteger ran = new AtomicInteger();
        Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.spawn(() -> {
                scope.spawn(() -> ran.incrementAndGet());
                return ran.incrementAndGet();
            });
            return null;
        }));
        assertThat(ran).hasValue(2);
    }

    @Test
    void closeOnExitClosesInReverseOrderAfterChildren() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Runs.oneLoop(() -> TaskScope.run(scope -> {
            scope.closeOnExit(() -> events.add("close first-registered"));
            scope.closeOnExit(() -> events.add("close second-registered"));
            scope.spawn(() -> {
                Weft.sleep(Duration.ofMillis(2));
                events.add("child done");
                return null;
            });
            return null;
        }));
        assertThat(events).containsExactly("child done", "close second-registered", "close first-registered");
    }

    @Test
    void weftRunInsideATaskIsRejected() {
        assertThatThrownBy(() -> Runs.oneLoop(() -> Weft.run(() -> 1)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("TaskScope.run");
    }

    @Test
    void rootTimeoutCancelsTheProgramAndCleanupRuns() {
        List<String> events = Collections.synchronizedList(new ArrayList<>());
        Throwable thrown = catchIt(() -> Weft.run(Weft.options().loops(1).handleSigint(false)
                .timeout(Duration.ofMillis(20)), () -> {
            try {
                Weft.sleep(Duration.ofMinutes(5));
            } finally {
                events.add("root cleanup");
            }
            return null;
        }));
        assertThat(thrown).isInstanceOf(Cancelled.class);
        assertThat(((Cancelled) thrown).reason()).isEqualTo(CancelReason.DEADLINE);
        assertThat(events).containsExactly("root cleanup");
        String err = StdErr.capture(() -> assertThat(Weft.exitStatus(() -> {
            throw thrown;
        })).isEqualTo(Weft.EXIT_TIMEOUT));
        assertThat(err).contains("weft: the program's deadline passed; cleanup finished");
    }

    static Throwable catchIt(ThrowingRunnable<? extends Throwable> r) {
        try {
            r.run();
            return null;
        } catch (Throwable t) {
            return t;
        }
    }
}
