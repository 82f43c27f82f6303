package dev.weft.conformance;

import static dev.weft.conformance.Harness.HOUR;
import static dev.weft.conformance.Harness.run;
import static dev.weft.conformance.Harness.thrown;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.Blocking;
import dev.weft.CancelScope;
import dev.weft.Cancellation;
import dev.weft.Cancelled;
import dev.weft.Channel;
import dev.weft.Task;
import dev.weft.TaskScope;
import dev.weft.Weft;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Trio's cancellation rules where they meet the JVM: JDK blocking calls (which Weft wakes with an interrupt),
 * the thread's own interrupt status, {@link Blocking}, Weft's waits as unconditional checkpoints, task-tree
 * introspection and context inheritance by {@link ScopedValue}.
 */
@Timeout(value = 10, unit = TimeUnit.SECONDS)
class TrioJvmConformanceTest {
    private static final ScopedValue<String> REQUEST = ScopedValue.newInstance();

    private final List<String> events = Collections.synchronizedList(new ArrayList<>());

    // docs "Cancellation semantics" (level-triggered, blocking-cleanup-example) for JDK calls: after take() was interrupted
    // and the code dropped the InterruptedException, a Thread.sleep in finally still wakes at once
    @Test
    void jdkSleepInFinallyWakesAtOnceAfterAnInterruptedTakeWasSwallowed() {
        Harness.Rescue rescue = new Harness.Rescue(Duration.ofSeconds(3));
        CancelScope scope = CancelScope.create();
        LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
        try {
            run(() -> TaskScope.run(ts -> {
                ts.spawn("canceller", () -> {                // runs once the body is parked in take() (one loop)
                    scope.cancel();
                    return null;
                });
                scope.run(() -> {
                    rescue.watchCurrentThread();
                    try {
                        try {
                            queue.take();
                            events.add("take returned (wrong)");
                        } catch (InterruptedException dropped) {
                            events.add("take interrupted");
                        }
                    } finally {
                        try {
                            Thread.sleep(HOUR);
                            events.add("sleep returned (wrong)");
                        } catch (InterruptedException e) {
                            events.add("sleep interrupted");
                        }
                    }
                });
                return null;
            }));
        } finally {
            rescue.done();
        }
        assertThat(rescue.rescued()).as("Thread.sleep(1 h) in finally never woke; the test's rescue interrupted it").isFalse();
        assertThat(events).containsExactly("take interrupted", "sleep interrupted");
    }

    // same rule, scope cancelled before the JDK calls: each of them throws InterruptedException, and again after a swallowed one
    @Test
    void everyJdkBlockingCallInACancelledScopeThrowsInterruptedException() {
        Harness.Rescue rescue = new Harness.Rescue(Duration.ofSeconds(3));
        CancelScope scope = CancelScope.create();
        try {
            run(() -> {
                scope.run(() -> {
                    rescue.watchCurrentThread();
                    scope.cancel();
                    for (int i = 0; i < 3; i++) {
                        try {
                            new CountDownLatch(1).await();
                            events.add("await returned (wrong)");
                        } catch (InterruptedException dropped) {
                            events.add("await interrupted");
                        }
                    }
                    try {
                        Thread.sleep(HOUR);
                    } catch (InterruptedException e) {
                        events.add("sleep interrupted");
                    }
                    Cancellation.checkpoint();
                });
                return null;
            });
        } finally {
            rescue.done();
        }
        assertThat(rescue.rescued()).as("a JDK wait in a cancelled scope never woke; the test's rescue interrupted it").isFalse();
        assertThat(events).containsExactly("await interrupted", "await interrupted", "await interrupted", "sleep interrupted");
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // test_run.py::test_cancel_unbound ("Can't reuse": a cancel after exit does nothing) under a race: cancel() from
    // another thread while the scope exits must never leave an interrupt behind
    @Test
    // a bound on a hang: 20,000 spin handshakes between two threads take seconds on a loaded 2-core machine
    @Timeout(value = 60, unit = TimeUnit.SECONDS)
    void cancelRacingTheScopesExitLeavesNoStrayInterrupt() throws InterruptedException {
        int iterations = 20_000;
        CancelScope poison = CancelScope.create();
        AtomicReference<CancelScope> slot = new AtomicReference<>();
        AtomicInteger acked = new AtomicInteger();
        Thread canceller = Thread.ofPlatform().name("conformance-canceller").start(() -> {
            for (int n = 0; ; n++) {
                CancelScope s;
                for (int spin = 0; (s = slot.getAndSet(null)) == null; spin++) {
                    pause(spin);
                }
                if (s == poison) {
                    return;
                }
                s.cancel();
                acked.set(n + 1);                           // this cancel() has returned: its interrupt, if any, is sent
            }
        });
        List<Integer> strays = new ArrayList<>();
        try {
            run(() -> {
                for (int i = 0; i < iterations; i++) {
                    int spins = i % 200;                    // sweeps the cancel across the scope's exit
                    boolean checkpoint = i % 2 == 0;
                    CancelScope s = CancelScope.create();
                    slot.set(s);
                    s.run(() -> {
                        for (int k = 0; k < spins; k++) {
                            Thread.onSpinWait();
                        }
                        if (checkpoint) {
                            Cancellation.checkpoint();
                        }
                    });
                    for (int spin = 0; acked.get() != i + 1; spin++) { // handshake, not a sleep: cancel() returned
                        pause(spin);
                    }
                    if (Thread.interrupted()) {
                        strays.add(i);
                    }
                }
                return null;
            });
        } finally {
            slot.set(poison);
            canceller.join();
        }
        assertThat(strays).as("iterations (of %d) after which the task was left interrupted", iterations).isEmpty();
    }

    /**
     * One wait of a spin handshake: a spin at first, then a yield, so that on a loaded machine the other side gets
     * the core instead of waiting out this thread's time slice (20,000 pure-spin handshakes took over 60 s at a load
     * of 8 on 2 cores).
     */
    private static void pause(int spin) {
        if (spin < 200) {
            Thread.onSpinWait();
        } else {
            Thread.yield();
        }
    }

    // docs "Cancellation semantics" (exactly the work in the cancelled scope is cancelled): the program's own interrupt
    // set before a cancel is still set after the scope
    @Test
    void interruptSetByTheProgramBeforeACancelSurvivesTheScope() {
        CancelScope s = CancelScope.create();
        boolean[] interruptedAfter = new boolean[1];
        run(() -> {
            Thread.currentThread().interrupt();
            s.run(() -> {
                s.cancel();
                Cancellation.checkpoint();
            });
            interruptedAfter[0] = Thread.currentThread().isInterrupted();
            Thread.interrupted();
            return null;
        });
        assertThat(s.cancelledCaught()).isTrue();
        assertThat(interruptedAfter[0]).as("the program's interrupt status after the cancelled scope").isTrue();
    }

    // docs "Cancellation and primitive operations": a call that blocks is woken when its scope is cancelled and raises Cancelled
    @Test
    void blockingCallIsWokenByACancelAndRaisesCancelled() {
        CancelScope scope = CancelScope.create();
        LinkedBlockingQueue<String> never = new LinkedBlockingQueue<>();
        run(() -> TaskScope.run(ts -> {
            Channel<String> inCall = Channel.create(1);
            ts.spawn("blocked", () -> {
                scope.run(() -> {
                    try {
                        Blocking.call(() -> {
                            inCall.trySend("in the call");
                            return never.take();
                        });
                        events.add("call returned (wrong)");
                    } catch (Cancelled c) {
                        events.add("cancelled");
                        throw c;
                    }
                });
                return null;
            });
            inCall.receive();
            scope.cancel();
            return null;
        }));
        assertThat(events).containsExactly("cancelled");
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // test_run.py::test_failed_abort: a wait that cannot be aborted delays the cancel; once it ends the task is cancelled
    @Test
    void callThatIgnoresTheInterruptDelaysTheCancelUntilItReturns() {
        CancelScope scope = CancelScope.create();
        CountDownLatch wake = new CountDownLatch(1);
        run(() -> TaskScope.run(ts -> {
            Channel<String> signals = Channel.create(4);
            ts.spawn("stubborn_sleeper", () -> {
                scope.run(() -> {
                    events.add("sleep");
                    try {
                        Blocking.call(() -> {
                            signals.trySend("sleeping");
                            long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(8); // safety bound only
                            while (System.nanoTime() < giveUp) {
                                try {
                                    if (wake.await(giveUp - System.nanoTime(), TimeUnit.NANOSECONDS)) {
                                        events.add("woke");
                                        return 1;
                                    }
                                } catch (InterruptedException e) {
                                    events.add("interrupt ignored");
                                    signals.trySend("interrupted");
                                }
                            }
                            events.add("gave up (wrong)");
                            return 0;
                        });
                        Cancellation.checkpoint();
                        events.add("not cancelled (wrong)");
                    } catch (Cancelled c) {
                        events.add("cancelled");
                        throw c;
                    }
                });
                return null;
            });
            assertThat(signals.receive()).isEqualTo("sleeping");
            scope.cancel();
            assertThat(signals.receive()).isEqualTo("interrupted");
            assertThat(events).as("the cancel did not end the call").containsExactly("sleep", "interrupt ignored");
            wake.countDown();
            return null;
        }));
        assertThat(events).containsExactly("sleep", "interrupt ignored", "woke", "cancelled");
        assertThat(scope.cancelledCaught()).isTrue();
    }

    // docs "Cancellation and primitive operations": in a cancelled scope an operation raises even if it would not block, and did not happen
    @Test
    void channelOperationsInACancelledScopeRaiseAndDoNotHappen() {
        run(() -> {
            Channel<String> full = Channel.create(1);
            full.trySend("item");
            Channel<String> empty = Channel.create(1);
            CancelScope scope = CancelScope.create();
            scope.run(() -> {
                scope.cancel();
                assertThatThrownBy(full::receive).isInstanceOf(Cancelled.class);
                assertThatThrownBy(() -> empty.send("x")).isInstanceOf(Cancelled.class);
            });
            assertThat(full.size()).as("receive took nothing").isEqualTo(1);
            assertThat(empty.size()).as("send enqueued nothing").isZero();
            return null;
        });
    }

    // docs "Checkpoints" (Trio's own blocking functions are unconditional checkpoints): join raises in a cancelled scope even if the task is done
    @Test
    void joinIsACheckpointEvenWhenTheTaskHasFinished() {
        run(() -> TaskScope.run(ts -> {
            Task<String> done = ts.spawn("done", () -> "result");
            assertThat(done.join()).isEqualTo("result");
            CancelScope scope = CancelScope.create();
            scope.run(() -> {
                scope.cancel();
                assertThatThrownBy(done::join).isInstanceOf(Cancelled.class);
            });
            return null;
        }));
    }

    // test_run.py::test_task_tree_introspection / test_current_root_task (the task tree can be inspected): Weft.dump() from a
    // thread outside every task finds the running runtime, also when it does not handle SIGINT
    @Test
    void dumpFromOutsideATaskFindsTheRunningRuntimeWithoutSigintHandling() throws InterruptedException {
        CountDownLatch started = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread runner = Thread.ofPlatform().name("conformance-runner").start(() -> {
            try {
                Weft.run(Weft.options().loops(1).handleSigint(false).name("dump-me"), () -> {
                    started.countDown();
                    release.await();
                    return null;
                });
            } catch (Throwable t) {
                failure.set(t);
            } finally {
                started.countDown();
            }
        });
        String dump;
        try {
            assertThat(started.await(5, TimeUnit.SECONDS)).isTrue();
            dump = Weft.dump();
        } finally {
            release.countDown();
            runner.join();
        }
        assertThat(failure.get()).isNull();
        assertThat(dump).doesNotContain("no runtime is running").contains("dump-me");
    }

    // test_run.py::test_contextvar_support / test_contextvar_multitask, for java.lang.ScopedValue (JEP 506): bindings made
    // in a task are seen by the children it spawns, as StructuredTaskScope forks see them
    @Test
    void scopedValueBoundInATaskIsSeenByItsChildrenAndGrandchildren() {
        List<String> seen = run(() -> ScopedValue.where(REQUEST, "r-42").call(() -> TaskScope.run(ts -> {
            Task<String> child = ts.spawn("child", () -> REQUEST.isBound() ? REQUEST.get() : "<unbound>");
            Task<String> grandchild = ts.spawn("parent-of-grandchild", () -> TaskScope.run(inner ->
                    inner.spawn("grandchild", () -> REQUEST.isBound() ? REQUEST.get() : "<unbound>").join()));
            return List.of(child.join(), grandchild.join());
        })));
        assertThat(seen).containsExactly("r-42", "r-42");
        assertThat(thrown(() -> run(() -> REQUEST.get()))).as("no binding outside where(...)").isNotNull();
    }
}
