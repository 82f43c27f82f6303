package dev.weft.agent.internal;

import static dev.weft.agent.internal.TransformingLoader.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.CancelScope;
import dev.weft.Cancelled;
import dev.weft.Weft;
import example.agent.Loops;
import example.agent.Monitors;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Compiled checks calling the real {@code dev.weft.abi.AgentHooks.poll()}, inside real Weft tasks. */
class RealRuntimeDeliveryTest {
    private static Class<?> load() throws ClassNotFoundException {
        return new TransformingLoader(new CheckpointCompiler(AgentOptions.defaults()), Set.of(Loops.class.getName()))
                .loadClass(Loops.class.getName());
    }

    @Test
    void deadlineCancelsATightLoopWithNoCallsAndItsFinallyRuns() throws Throwable {
        Class<?> c = load();
        boolean caught = Weft.run(() -> {
            CancelScope scope = CancelScope.withTimeout(Duration.ofMillis(50));
            scope.run(() -> call(c, "spinForever"));
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
        assertThat(c.getField("finallyRan").getBoolean(null)).isTrue();
    }

    @Test
    void deadlineCancelsAStripMinedCountedLoop() throws Throwable {
        Class<?> c = load();
        AtomicInteger reached = new AtomicInteger(-1);
        boolean caught = Weft.run(() -> {
            CancelScope scope = CancelScope.withTimeout(Duration.ofMillis(20));
            scope.run(() -> reached.set((Integer) call(c, "countedLong", new int[1024])));
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
        assertThat(reached).as("the loop did not run to its end").hasValue(-1);
    }

    @Test
    void cancellationInsideSynchronizedBlockIsDeliveredAfterTheBlock() throws Throwable {
        Class<?> c = load();
        List<String> trace = new ArrayList<>();
        Weft.run(() -> {
            CancelScope scope = CancelScope.create();
            scope.cancel();
            scope.run(() -> call(c, "loopInSynchronized", 10_000, trace));
            return null;
        });
        assertThat(trace).containsExactly("block done holding=true");
    }

    @Test
    void cancelIsNeverDeliveredInACalleeWhileTheCallerHoldsAMonitor() throws Throwable {
        Class<?> c = new TransformingLoader(new CheckpointCompiler(AgentOptions.defaults()),
                Set.of(Monitors.class.getName())).loadClass(Monitors.class.getName());
        List<String> trace = new ArrayList<>();
        List<String> synchronizedTrace = new ArrayList<>();
        Object lock = c.getField("LOCK").get(null);
        AtomicBoolean heldAtThrow = new AtomicBoolean(true);
        Weft.run(() -> {
            CancelScope scope = CancelScope.create();
            scope.cancel();
            scope.run(() -> {
                try {
                    call(c, "calleeUnderLock", 10_000, trace);
                } finally {
                    heldAtThrow.set(Thread.holdsLock(lock));
                }
            });
            CancelScope second = CancelScope.create();
            second.cancel();
            second.run(() -> call(c, "afterSynchronizedMethod", 10_000, synchronizedTrace));
            return null;
        });
        assertThat(trace).containsExactly("callee returned holding=true");
        assertThat(heldAtThrow).isFalse();
        assertThat(synchronizedTrace).containsExactly("callee returned holding=true", "caller resumed holding=false");
    }

    @Test
    void cancelIsNeverDeliveredUnderAMonitorTakenByCodeTheAgentDidNotCompile() throws Throwable {
        Class<?> c = new TransformingLoader(new CheckpointCompiler(AgentOptions.defaults()),
                Set.of(Monitors.class.getName())).loadClass(Monitors.class.getName());
        List<String> trace = new ArrayList<>();
        java.util.Vector<Integer> v = new java.util.Vector<>(List.of(1, 2));
        AtomicBoolean heldAtThrow = new AtomicBoolean(true);
        boolean caught = Weft.run(() -> {
            CancelScope scope = CancelScope.create();
            scope.cancel();
            scope.run(() -> {
                try {
                    call(c, "underForeignMonitor", 10_000, v, trace);
                } finally {
                    heldAtThrow.set(Thread.holdsLock(v));
                }
            });
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
        // both callbacks ran whole under Vector's lock; the first check after forEach returned delivered
        assertThat(trace).containsExactly("callback done holding=true", "callback done holding=true",
                "after forEach holding=false");
        assertThat(heldAtThrow).isFalse();
    }

    @Test
    void codeOutsideAnyWeftTaskIsNeverThrownAt() throws Throwable {
        Class<?> c = load();
        AtomicInteger steps = new AtomicInteger();
        Weft.run(() -> {
            CancelScope scope = CancelScope.create();
            scope.cancel(); // a cancellation is pending in this process while the plain thread runs
            scope.run(() -> {
                Thread plain = Thread.ofPlatform().start(() -> {
                    try {
                        steps.set((Integer) call(c, "collatzSteps", 27L));
                    } catch (Throwable t) {
                        steps.set(-1);
                    }
                });
                // waiting is itself a cancellation point: wait under a shield, the outer scope stays cancelled
                CancelScope.create().shield(true).run(plain::join);
            });
            return null;
        });
        assertThat(steps).hasValue(111);
    }

    @Test
    void uncancellableCriticalSectionRunsToItsEndInACancelledTask() throws Throwable {
        Class<?> c = load();
        AtomicInteger result = new AtomicInteger();
        // in a cancelled task the annotated method finishes; the next check outside throws
        List<String> after = new ArrayList<>();
        Weft.run(() -> {
            CancelScope scope = CancelScope.create();
            scope.cancel();
            scope.run(() -> {
                result.set((Integer) call(c, "uncancellableWithLock", 1_000));
                after.add("returned");
                call(c, "collatzSteps", 27L);
                after.add("not reached");
            });
            return null;
        });
        assertThat(result).hasValue(1_000);
        assertThat(after).containsExactly("returned");
    }
}
