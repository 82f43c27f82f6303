package dev.weft.agent.internal;

import static dev.weft.agent.internal.TransformingLoader.call;
import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.CancelScope;
import dev.weft.Cancelled;
import dev.weft.Weft;
import dev.weft.internal.cancel.AgentChecks;
import example.agent.HiddenClasses;
import example.agent.HiddenSpinner;
import example.agent.Initializer;
import example.agent.Loops;
import example.agent.Monitors;
import example.agent.Recursive;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
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

    @Test
    void deadlineCancelsRecursionWithoutLoopsUnderTheDefaultPolicy() throws Throwable {
        Class<?> c = new TransformingLoader(new CheckpointCompiler(AgentOptions.defaults()),
                Set.of(Recursive.class.getName())).loadClass(Recursive.class.getName());
        for (String method : List.of("fib", "ping")) {
            AtomicLong result = new AtomicLong(-1);
            boolean caught = Weft.run(() -> {
                CancelScope scope = CancelScope.withTimeout(Duration.ofMillis(50));
                scope.run(() -> result.set((Long) call(c, method, 60))); // about 10^12 calls
                return scope.cancelledCaught();
            });
            assertThat(caught).as(method).isTrue();
            assertThat(result).as(method + " did not run to its end").hasValue(-1);
        }
    }

    @Test
    void aCatchAllThatRestartsByRecursionCannotSwallowTheCancel() throws Throwable {
        Class<?> c = new TransformingLoader(new CheckpointCompiler(AgentOptions.defaults()),
                Set.of(Recursive.class.getName())).loadClass(Recursive.class.getName());
        List<String> trace = new ArrayList<>();
        boolean caught = Weft.run(() -> {
            CancelScope scope = CancelScope.withTimeout(Duration.ofMillis(50));
            scope.run(() -> call(c, "restartOnAnyFailure", trace));
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
        // the loop's check threw, the handler restarted, the restarted call's entry check threw out of the handler
        assertThat(trace).containsExactly("restart after Cancelled");
    }

    @Test
    void deadlineCancelsALoopInAClassFileOlderThanVersion50() throws Throwable {
        byte[] in = OldClassFiles.build("example.gen.OldSpin", 49, 0, false);
        CheckpointCompiler.Result r = new CheckpointCompiler(AgentOptions.defaults()).compile(in,
                getClass().getClassLoader(), true);
        assertThat(r.bytes()).as(r.detail()).isNotNull();
        Class<?> c = OldClassFiles.define(r.bytes());
        boolean caught = Weft.run(() -> {
            CancelScope scope = CancelScope.withTimeout(Duration.ofMillis(50));
            scope.run(() -> call(c, "spinForever"));
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
    }

    @Test
    void deadlineCancelsALoopInAHiddenClassTheApplicationDefines() throws Throwable {
        CheckpointCompiler compiler = new CheckpointCompiler(AgentOptions.defaults());
        var err = new java.io.ByteArrayOutputStream();
        WeftTransformer transformer = new WeftTransformer(compiler, Report.open(null, new java.io.PrintStream(err)),
                null, null);
        Class<?> c = new TransformingLoader(compiler, Set.of(HiddenClasses.class.getName()))
                .loadClass(HiddenClasses.class.getName());
        AgentChecks.installHiddenClassCompiler(transformer::compileHidden);
        try {
            Runnable spinner = (Runnable) call(c, "defineSpinner");
            boolean caught = Weft.run(() -> {
                CancelScope scope = CancelScope.withTimeout(Duration.ofMillis(50));
                scope.run(spinner::run);
                return scope.cancelledCaught();
            });
            assertThat(caught).isTrue();
            assertThat((String) c.getField("finallyRanIn").get(null)).startsWith(HiddenSpinner.class.getName() + "/");
            assertThat(err.toString()).isEmpty();
        } finally {
            AgentChecks.installHiddenClassCompiler(null);
        }
    }

    @Test
    void aCancelPendingInTheTaskIsNeverThrownInsideTheTransformer() throws Throwable {
        Class<?> loops = load();
        var err = new java.io.ByteArrayOutputStream();
        WeftTransformer transformer = new WeftTransformer(new CheckpointCompiler(AgentOptions.defaults()),
                Report.open(null, new java.io.PrintStream(err, true)), null, null);
        AtomicInteger compiledCodeRan = new AtomicInteger();
        // code with compiled checks that the transformer runs, as opted-in java.util code is: here in the loader
        // through which the compiler reads the class hierarchy
        ClassLoader loader = new ClassLoader("checks-while-transforming", getClass().getClassLoader()) {
            @Override
            public java.io.InputStream getResourceAsStream(String name) {
                try {
                    compiledCodeRan.addAndGet((Integer) call(loops, "collatzSteps", 27L));
                } catch (Error e) {
                    throw e; // a Cancelled thrown inside the transformer: the test fails below
                } catch (Throwable t) {
                    throw new IllegalStateException(t);
                }
                return super.getResourceAsStream(name);
            }
        };
        AtomicReference<byte[]> out = new AtomicReference<>();
        Weft.run(() -> {
            CancelScope scope = CancelScope.create();
            scope.cancel();
            scope.run(() -> out.set(transformer.transform(null, loader, "example/agent/Monitors", null, null,
                    TransformingLoader.bytesOf(Monitors.class.getName()))));
            return null;
        });
        assertThat(compiledCodeRan.get()).as("the checks ran inside the transformer").isPositive();
        assertThat(out.get()).as("compiled, not loaded unchanged: " + err).isNotNull();
        assertThat(err.toString()).isEmpty();
    }

    @Test
    void aCancelIsNeverThrownInsideAStaticInitializerEvenInTheMethodsItCalls() throws Throwable {
        Class<?> c = new TransformingLoader(new CheckpointCompiler(AgentOptions.defaults()),
                Set.of(Initializer.class.getName())).loadClass(Initializer.class.getName());
        AtomicLong sum = new AtomicLong(-1);
        List<String> after = new ArrayList<>();
        boolean caught = Weft.run(() -> {
            CancelScope scope = CancelScope.create();
            scope.cancel();
            scope.run(() -> {
                sum.set((Long) call(c, "tableSum")); // initializes the class: sum()'s checks run inside <clinit>
                after.add("initialized");
                call(c, "sum", 1_000);
                after.add("not reached");
            });
            return scope.cancelledCaught();
        });
        assertThat(caught).isTrue();
        assertThat(sum).as("the initializer ran to its end").hasValue(Initializer.sum(100_000));
        assertThat(after).containsExactly("initialized");
    }
}
