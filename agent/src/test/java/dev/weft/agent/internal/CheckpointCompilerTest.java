package dev.weft.agent.internal;

import static dev.weft.agent.internal.TransformingLoader.call;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import example.agent.Loops;
import example.agent.Monitors;
import example.agent.HiddenClasses;
import example.agent.HiddenSpinner;
import example.agent.Probe;
import example.agent.Recursive;
import example.agent.UncancellableClass;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.constantpool.ConstantPoolBuilder;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The transform chain on fixture classes, with checks calling {@link Probe} (which counts them and throws once
 * armed) so that each test sees exactly which checks run. The real runtime is exercised in {@code AgentRunTest}.
 */
class CheckpointCompilerTest {
    private static final ClassDesc PROBE = ClassDesc.of(Probe.class.getName());

    @AfterEach
    void resetProbe() {
        Probe.reset();
    }

    private static CheckpointCompiler compiler(String args) {
        return new CheckpointCompiler(AgentOptions.parse(args).withHookOwner(PROBE));
    }

    private static Class<?> load(String args, Class<?> fixture) throws ClassNotFoundException {
        return new TransformingLoader(compiler(args), Set.of(fixture.getName())).loadClass(fixture.getName());
    }

    /** Number of calls to the hook in the transformed method {@code method}. */
    private static long checksIn(String args, Class<?> fixture, String method) {
        byte[] out = compiler(args).compile(TransformingLoader.bytesOf(fixture.getName()), fixture.getClassLoader(), true)
                .bytes();
        if (out == null) {
            return 0;
        }
        ClassModel cm = ClassFile.of().parse(out);
        MethodModel m = cm.methods().stream().filter(x -> x.methodName().equalsString(method)).findFirst().orElseThrow();
        return m.code().orElseThrow().elementStream()
                .filter(e -> e instanceof InvokeInstruction i && i.owner().asSymbol().equals(PROBE)
                        && i.name().equalsString("poll")).count();
    }

    @Test
    void tightLoopWithNoCallsIsCancelledAndItsFinallyRuns() throws Throwable {
        Class<?> c = load("", Loops.class);
        Probe.armAt = 1_000;
        assertThatThrownBy(() -> call(c, "spinForever")).isInstanceOf(Probe.ProbeCancelled.class);
        assertThat(c.getField("finallyRan").getBoolean(null)).isTrue();
        assertThat(checksIn("", Loops.class, "spinForever")).isEqualTo(1);
    }

    @Test
    void everyIterationOfAnUncountedLoopIsChecked() throws Throwable {
        Class<?> c = load("", Loops.class);
        assertThat(call(c, "collatzSteps", 27L)).isEqualTo(111);
        assertThat(Probe.polls).isEqualTo(111);
    }

    @Test
    void nestedLoopsAreCheckedAtBothBackEdges() throws Throwable {
        assertThat(checksIn("", Loops.class, "nested")).isEqualTo(2);
        Class<?> c = load("", Loops.class);
        assertThat(call(c, "nested", 3, 4)).isEqualTo(Loops.nested(3, 4));
        // the inner loop is counted, so strip-mined: one check per chunk (here one per outer iteration)
        assertThat(Probe.polls).isEqualTo(3 + 3);
        Probe.reset();
        Probe.armAt = 2;
        assertThatThrownBy(() -> call(c, "nested", 1_000_000, 1_000_000)).isInstanceOf(Probe.ProbeCancelled.class);
    }

    @Test
    void countedLoopIsStripMinedWithOneCheckPerChunk() throws Throwable {
        Class<?> c = load("chunk=1024", Loops.class);
        int[] a = new int[10_000];
        int[] b = new int[10_000];
        Arrays.setAll(b, i -> i);
        call(c, "scale", a, b, 3);
        assertThat(a[9_999]).isEqualTo(29_997);
        assertThat(Probe.polls).isEqualTo((10_000 + 1023) / 1024);
        Probe.reset();
        assertThat(call(c, "sumTo", 5_000)).isEqualTo(Loops.sumTo(5_000));
        assertThat(Probe.polls).isEqualTo((5_001 + 1023) / 1024);
    }

    @Test
    void aLoopCallingOnlyConstantTimeJdkMethodsIsStripMinedAndOneCallingTheProgramIsCheckedEveryIteration()
            throws Throwable {
        Class<?> c = load("chunk=1024", Loops.class);
        String s = "ab".repeat(5_000);
        assertThat(call(c, "matchesCapped", s, 'a', 1_000_000)).isEqualTo(5_000);
        assertThat(Probe.polls).as("one check per chunk of 1,024").isEqualTo((10_000 + 1023) / 1024);
        Probe.reset();
        Probe.armAt = 3;
        assertThatThrownBy(() -> call(c, "matchesCapped", "a".repeat(100_000), 'a', 1_000_000))
                .as("still cancelled within a chunk").isInstanceOf(Probe.ProbeCancelled.class);
        Probe.reset();
        assertThat(call(c, "matchesVia", s, 'a')).isEqualTo(5_000);
        assertThat(Probe.polls).as("a call into the program's own code: one check per iteration").isEqualTo(10_000);
        assertThat(MethodFacts.isConstantTimeJdkCall(invoke("java/lang/Math", "min", "(II)I", true))).isTrue();
        assertThat(MethodFacts.isConstantTimeJdkCall(invoke("java/lang/CharSequence", "charAt", "(I)C", false)))
                .isTrue();
        assertThat(MethodFacts.isConstantTimeJdkCall(invoke("java/lang/String", "indexOf", "(I)I", false)))
                .as("linear in the string").isFalse();
        assertThat(MethodFacts.isConstantTimeJdkCall(invoke("example/agent/Loops", "same", "(CC)I", true)))
                .isFalse();
    }

    private static InvokeInstruction invoke(String owner, String name, String type, boolean isStatic) {
        ConstantPoolBuilder cp = ConstantPoolBuilder.of();
        ClassDesc o = ClassDesc.ofInternalName(owner);
        MethodTypeDesc t = MethodTypeDesc.ofDescriptor(type);
        if (isStatic) {
            return InvokeInstruction.of(Opcode.INVOKESTATIC, cp.methodRefEntry(o, name, t));
        }
        return owner.equals("java/lang/CharSequence")
                ? InvokeInstruction.of(Opcode.INVOKEINTERFACE, cp.interfaceMethodRefEntry(o, name, t))
                : InvokeInstruction.of(Opcode.INVOKEVIRTUAL, cp.methodRefEntry(o, name, t));
    }

    @Test
    void defaultChunkIsSizedByTheLoopBody() throws Throwable {
        // scale's loop is 13 instructions an iteration: 131,072 / 13 rounds down to 8,192 iterations per check
        Class<?> c = load("", Loops.class);
        int[] a = new int[100_000];
        int[] b = new int[100_000];
        Arrays.setAll(b, i -> i);
        call(c, "scale", a, b, 3);
        assertThat(a[99_999]).isEqualTo(299_997);
        assertThat(Probe.polls).isEqualTo((100_000 + 8191) / 8192);
        assertThat(StripMining.chunkFor(1024, 13)).isEqualTo(8192);
        assertThat(StripMining.chunkFor(1024, 40)).as("131,072 / 40 = 3,276").isEqualTo(2048);
        assertThat(StripMining.chunkFor(1024, 128)).isEqualTo(1024);
        assertThat(StripMining.chunkFor(1024, 5000)).as("never below the chunk option").isEqualTo(1024);
        assertThat(StripMining.chunkFor(1024, 1)).as("never above 8 times it").isEqualTo(8192);
    }

    @Test
    void countedLoopNoLongerThanOneChunkRunsAsCompiledAfterOneCheck() throws Throwable {
        Class<?> c = load("chunk=16", Loops.class);
        for (int n : new int[] {0, 1, 15, 16, 17, 100}) {
            int[] a = new int[n];
            Arrays.setAll(a, i -> i * 7 % 5);
            Probe.reset();
            assertThat(call(c, "evenMinusOdd", a)).as("n=" + n).isEqualTo(Loops.evenMinusOdd(a));
            assertThat(Probe.polls).as("checks for n=" + n).isEqualTo(n == 0 ? 0 : (n + 15) / 16);
        }
        Probe.reset();
        int top = Integer.MAX_VALUE - 1;
        assertThat(call(c, "rangeSumInclusive", top - 99, top)).isEqualTo(Loops.rangeSumInclusive(top - 99, top));
        assertThat(Probe.polls).isEqualTo((100 + 15) / 16);
        Probe.reset();
        assertThat(call(c, "rangeSumInclusive", top - 15, top)).isEqualTo(Loops.rangeSumInclusive(top - 15, top));
        assertThat(Probe.polls).as("16 iterations: one chunk").isEqualTo(1);
    }

    @Test
    void wideRangeWhoseLengthOverflowsAnIntIsStillStripMined() throws Throwable {
        Class<?> c = load("chunk=16", Loops.class);
        Probe.armAt = 3;
        assertThatThrownBy(() -> call(c, "rangeSum", -2_000_000_000, 2_000_000_000))
                .isInstanceOf(Probe.ProbeCancelled.class);
        assertThat(Probe.polls).isEqualTo(3);
    }

    @Test
    void stripMinedLoopStillDeliversWithinOneChunk() throws Throwable {
        Class<?> c = load("chunk=1024", Loops.class);
        Probe.armAt = 3;
        int[] a = new int[100_000];
        assertThatThrownBy(() -> call(c, "scale", a, new int[100_000], 1)).isInstanceOf(Probe.ProbeCancelled.class);
    }

    @Test
    void recursionWithoutLoopsIsCheckedAtEntryUnderTheDefaultPolicy() throws Throwable {
        assertThat(checksIn("", Loops.class, "fib")).isEqualTo(1);
        assertThat(checksIn("", Loops.class, "fibEntry")).as("one entry check, not two").isEqualTo(1);
        assertThat(checksIn("recursion=false", Loops.class, "fib")).isZero();
        assertThat(checksIn("recursion=false,example.agent.Loops#fib=entry", Loops.class, "fib")).isEqualTo(1);
        Class<?> c = load("", Loops.class);
        assertThat(call(c, "fib", 10)).isEqualTo(55L);
        assertThat(Probe.polls).isEqualTo(177); // calls made by fib(10)
        Probe.armAt = 5_000;
        assertThatThrownBy(() -> call(c, "fib", 40)).isInstanceOf(Probe.ProbeCancelled.class);
    }

    @Test
    void selfAndMutuallyRecursiveMethodsGetAnEntryCheckAndOthersDoNot() throws Throwable {
        assertThat(checksIn("", Recursive.class, "fib")).isEqualTo(1);
        assertThat(checksIn("", Recursive.class, "ping")).isEqualTo(1);
        assertThat(checksIn("", Recursive.class, "pong")).isEqualTo(1);
        assertThat(checksIn("", Recursive.class, "depth")).as("through a virtual call").isEqualTo(1);
        assertThat(checksIn("", Recursive.class, "count")).as("through the interface it implements").isEqualTo(1);
        assertThat(checksIn("", Recursive.class, "callsFib")).as("calls a recursive method, not on a cycle").isZero();
        assertThat(checksIn("", Recursive.class, "synchronizedFib")).isZero();
        assertThat(checksIn("", Recursive.class, "uncancellableFib")).isZero();
        Class<?> c = load("", Recursive.class);
        Probe.armAt = 1_000;
        assertThatThrownBy(() -> call(c, "ping", 40)).isInstanceOf(Probe.ProbeCancelled.class);
        assertThat(Probe.polls).isEqualTo(1_000);
        Probe.reset();
        assertThat(c.getConstructor(int.class).newInstance(10)).isNotNull();
        assertThat(Probe.polls).as("a self-recursive constructor, checked before super()").isEqualTo(11);
        Probe.armed = true;
        assertThatThrownBy(() -> c.getConstructor(int.class).newInstance(10))
                .hasCauseInstanceOf(Probe.ProbeCancelled.class);
        assertThat(c.getConstructor().newInstance()).as("the other constructor is not recursive").isNotNull();
        assertThat(call(c, "synchronizedFib", 15)).as("never cancelled inside its monitor").isEqualTo(610L);
        assertThat(call(c, "uncancellableFib", 15)).isEqualTo(610L);
    }

    @Test
    void theReportNamesEachRecursiveMethodWithHowItRecursesAndWhyItHasNoCheck() {
        CheckpointCompiler.Result r = compiler("").compile(TransformingLoader.bytesOf(Recursive.class.getName()),
                Recursive.class.getClassLoader(), true);
        assertThat(r.detail()).contains("recursive-entries=7").contains("<init>(self,entry)", "fib(self,entry)",
                "count(self,entry)", "ping(mutual,entry)",
                "pong(mutual,entry)", "depth(self,entry)", "restartOnAnyFailure(self,entry)",
                "synchronizedFib(self,none:synchronized)", "uncancellableFib(self,none:uncancellable)")
                .doesNotContain("callsFib(");
    }

    @Test
    void recursionIsFoundOnCyclesOfTheClassCallGraphOnly() {
        // 0 -> 1 -> 2 -> 0 is a cycle; 3 -> 0 and 4 -> 4 (self); 5 alone
        int[] c = Recursion.components(new int[][] {{1}, {2}, {0}, {0}, {4}, {}});
        assertThat(c[0]).isEqualTo(c[1]).isEqualTo(c[2]);
        assertThat(c[3]).isNotEqualTo(c[0]);
        assertThat(c[4]).isNotEqualTo(c[0]).isNotEqualTo(c[3]).isNotEqualTo(c[5]);
        // a long chain ending in a cycle does not overflow: the walk is iterative
        int n = 200_000;
        int[][] chain = new int[n][];
        for (int i = 0; i < n; i++) {
            chain[i] = new int[] {i + 1 < n ? i + 1 : n - 2};
        }
        int[] cc = Recursion.components(chain);
        assertThat(cc[n - 1]).isEqualTo(cc[n - 2]).isNotEqualTo(cc[0]);
    }

    @Test
    void counterPolicyChecksEveryNthBackEdge() throws Throwable {
        Class<?> c = load("", Loops.class);
        assertThat(call(c, "every16", 1_000)).isEqualTo(1_000);
        assertThat(Probe.polls).isEqualTo(1_000 / 16);
        Probe.reset();
        Class<?> d = load("example.agent.Loops#collatzSteps=backedge/10", Loops.class);
        assertThat(call(d, "collatzSteps", 27L)).isEqualTo(111);
        assertThat(Probe.polls).isEqualTo(11);
    }

    @Test
    void nonePolicyByRuleOrAnnotationLeavesCodeAlone() throws Throwable {
        assertThat(checksIn("", Loops.class, "noneByAnnotation")).isZero();
        assertThat(checksIn("example.agent.Loops#collatz*=none", Loops.class, "collatzSteps")).isZero();
        assertThat(compiler("example.agent.**=none").compile(TransformingLoader.bytesOf(Loops.class.getName()),
                null, true).bytes()).isNull();
        assertThat(compiler("default=none").compile(TransformingLoader.bytesOf(Loops.class.getName()),
                null, true).bytes()).isNull();
    }

    @Test
    void loopInsideALambdaIsChecked() throws Throwable {
        Class<?> c = load("", Loops.class);
        assertThat(call(c, "lambdaLoop", 100)).isEqualTo(100);
        assertThat(Probe.polls).isEqualTo(100);
    }

    @Test
    void switchDrivenLoopIsChecked() throws Throwable {
        Class<?> c = load("", Loops.class);
        assertThat(call(c, "switchLoop", 10)).isEqualTo(10);
        assertThat(Probe.polls).isGreaterThanOrEqualTo(20);
        Probe.reset();
        Probe.armAt = 7;
        assertThatThrownBy(() -> call(c, "switchLoop", 1_000_000)).isInstanceOf(Probe.ProbeCancelled.class);
    }

    @Test
    void loopInSynchronizedBlockIsCancelledRightAfterTheBlockWithTheMonitorReleased() throws Throwable {
        assertThat(checksIn("", Loops.class, "loopInSynchronized")).isEqualTo(1); // after monitorexit only
        Class<?> c = load("", Loops.class);
        Probe.armed = true;
        List<String> trace = new ArrayList<>();
        assertThatThrownBy(() -> call(c, "loopInSynchronized", 1_000, trace)).isInstanceOf(Probe.ProbeCancelled.class);
        assertThat(trace).containsExactly("block done holding=true");
        assertThat(Thread.holdsLock(Loops.LOCK)).isFalse();
        Object lock = c.getField("LOCK").get(null);
        assertThat(Thread.holdsLock(lock)).isFalse();
        AtomicBoolean acquired = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        Thread t = Thread.ofPlatform().start(() -> {
            synchronized (lock) {
                acquired.set(true);
            }
            done.countDown();
        });
        assertThat(done.await(30, TimeUnit.SECONDS)).as("another thread can take the monitor").isTrue();
        t.join();
        assertThat(acquired).isTrue();
    }

    @Test
    void checkedCalleeOfASynchronizedBlockDoesNotThrowInsideItAndTheCheckAfterTheBlockDoes() throws Throwable {
        Class<?> c = load("", Monitors.class);
        Probe.armed = true;
        List<String> trace = new ArrayList<>();
        assertThatThrownBy(() -> call(c, "calleeUnderLock", 1_000, trace)).isInstanceOf(Probe.ProbeCancelled.class);
        assertThat(trace).containsExactly("callee returned holding=true");
        assertThat(Probe.polls).as("the callee's checks ran, and did not throw").isGreaterThan(1_000);
        assertThat(Probe.depth).isZero();
        assertThat(Thread.holdsLock(c.getField("LOCK").get(null))).isFalse();
    }

    @Test
    void checkedCalleeOfASynchronizedMethodIsCancelledAtTheFirstCheckAfterItReturns() throws Throwable {
        Class<?> c = load("", Monitors.class);
        Probe.armed = true;
        List<String> trace = new ArrayList<>();
        assertThatThrownBy(() -> call(c, "afterSynchronizedMethod", 1_000, trace))
                .isInstanceOf(Probe.ProbeCancelled.class);
        assertThat(trace).containsExactly("callee returned holding=true", "caller resumed holding=false");
        assertThat(Probe.depth).isZero();
        assertThat(Probe.depthMax).isEqualTo(1);
    }

    @Test
    void nestedMonitorsHoldTheCancelUntilTheLastIsReleased() throws Throwable {
        Class<?> c = load("", Monitors.class);
        Probe.armed = true;
        List<String> trace = new ArrayList<>();
        assertThatThrownBy(() -> call(c, "nested", 100, trace)).isInstanceOf(Probe.ProbeCancelled.class);
        assertThat(trace).containsExactly("inner", "outer");
        assertThat(Probe.depthMax).isEqualTo(2);
        assertThat(Probe.depth).isZero();
    }

    @Test
    void monitorCountStaysBalancedWhenSynchronizedCodeThrows() throws Throwable {
        Class<?> c = load("", Monitors.class);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> call(c, "synchronizedThrows", "m")).hasMessage("m");
            assertThatThrownBy(() -> call(c, "blockThrows", "b")).hasMessage("b");
            assertThat(call(c, "catchesItsOwn", "own")).isEqualTo("caught own");
            assertThat(call(c, "catchesItsOwn", (Object) null)).isEqualTo("no throw");
            call(c, "blockThrows", (Object) null);
        }
        assertThat(Probe.depth).as("every counted monitor was uncounted").isZero();
        assertThat(Probe.depthMax).isEqualTo(2);
        Probe.armed = true;
        assertThatThrownBy(() -> call(c, "spin", 10)).isInstanceOf(Probe.ProbeCancelled.class);
    }

    @Test
    void synchronizedMethodGetsNoCheck() throws Throwable {
        assertThat(checksIn("", Loops.class, "synchronizedMethod")).isZero();
        Class<?> c = load("", Loops.class);
        Probe.armed = true;
        assertThat(call(c, "synchronizedMethod", 1_000)).isEqualTo(1_000);
    }

    @Test
    void uncancellableMethodAndClassRunToTheEnd() throws Throwable {
        assertThat(checksIn("", Loops.class, "uncancellableWithLock")).isZero();
        assertThat(compiler("").compile(TransformingLoader.bytesOf(UncancellableClass.class.getName()), null, true)
                .bytes()).isNull();
        Class<?> c = load("", Loops.class);
        Probe.armed = true;
        assertThat(call(c, "uncancellableWithLock", 1_000)).isEqualTo(1_000);
        assertThat(Loops.RLOCK.isLocked()).isFalse();
    }

    @Test
    void staticInitializerIsNeverInstrumented() {
        assertThat(checksIn("example.agent.**=entry", Loops.class, "<clinit>")).isZero();
    }

    @Test
    void inlineHookDeliversLikeTheCall() throws Throwable {
        Class<?> c = load("hook=inline", Loops.class);
        assertThat(call(c, "collatzSteps", 27L)).isEqualTo(111);
        assertThat(Probe.polls).as("fast path skips the call while nothing is pending").isZero();
    }

    @Test
    void everyTransformedFixturePassesTheVerifier() throws Exception {
        for (String args : List.of("", "default=entry", "default=backedge/7", "hook=inline", "chunk=16")) {
            for (Class<?> fixture : List.of(Loops.class, Monitors.class)) {
                byte[] in = TransformingLoader.bytesOf(fixture.getName());
                CheckpointCompiler.Result r = compiler(args).compile(in, fixture.getClassLoader(), true);
                assertThat(r.bytes()).as(fixture + " " + args + " is transformed").isNotNull();
                assertThat(ClassFile.of().verify(r.bytes())).as(fixture + " " + args).isEmpty();
            }
        }
    }

    @Test
    void weftAndCoreJdkClassesAreRefusedWhateverTheRules() throws Exception {
        CheckpointCompiler all = compiler("dev.weft.**=entry,java.lang.**=entry,java.util.concurrent.**=entry");
        for (Class<?> c : List.of(AgentOptions.class, String.class, java.util.concurrent.locks.AbstractQueuedSynchronizer.class)) {
            byte[] in = c.getClassLoader() == null
                    ? ClassLoader.getSystemResourceAsStream(c.getName().replace('.', '/') + ".class").readAllBytes()
                    : TransformingLoader.bytesOf(c.getName());
            assertThat(all.compile(in, null, false).bytes()).as(c.getName()).isNull();
        }
        // JDK classes outside the refused set are left alone unless a rule opts them in
        byte[] regex = ClassLoader.getSystemResourceAsStream("java/util/regex/Pattern.class").readAllBytes();
        assertThat(compiler("").compile(regex, null, false).bytes()).isNull();
        assertThat(compiler("instrument=java.util.regex.**").compile(regex, null, false).bytes()).isNotNull();
    }

    @Test
    void classThatCannotBeTransformedIsLoadedUnchangedWithOneWarning() {
        var err = new java.io.ByteArrayOutputStream();
        var report = Report.open(null, new java.io.PrintStream(err, true));
        var t = new WeftTransformer(compiler(""), report, null, null);
        byte[] garbage = {(byte) 0xCA, (byte) 0xFE, (byte) 0xBA, (byte) 0xBE, 0, 0, 0, 69, 1, 2, 3};
        ClassLoader app = MethodHandles.lookup().lookupClass().getClassLoader();
        assertThat(t.transform(null, app, "com/example/Broken", null, null, garbage)).isNull();
        assertThat(t.transform(null, app, "com/example/Broken", null, null, garbage)).isNull();
        assertThat(err.toString()).containsOnlyOnce("cannot compile cancellation points into com.example.Broken");
    }

    @Test
    void classFilesOlderThanVersion50AreInstrumentedWithoutStackMapsAndPassTheJvmVerifier() throws Throwable {
        for (int[] version : new int[][] {{49, 0}, {45, 3}}) {
            String name = "example.gen.Old" + version[0] + "_" + version[1];
            String v = version[0] + "." + version[1];
            CheckpointCompiler.Result r = compiler("").compile(OldClassFiles.build(name, version[0], version[1], false),
                    getClass().getClassLoader(), true);
            assertThat(r.bytes()).as(v + ": " + r.detail()).isNotNull();
            assertThat(r.detail()).as(v).contains("class-version=" + v, "jsr-ret-methods=1");
            ClassModel cm = ClassFile.of().parse(r.bytes());
            assertThat(cm.majorVersion()).isEqualTo(version[0]);
            assertThat(cm.methods()).allSatisfy(m -> assertThat(m.code().orElseThrow()
                    .findAttribute(java.lang.classfile.Attributes.stackMapTable())).as(v + " has no stack maps").isEmpty());
            Class<?> c = OldClassFiles.define(r.bytes()); // verified by the JVM when first called
            Probe.reset();
            assertThat(call(c, "countTo", 5_000)).isEqualTo(5_000);
            assertThat(Probe.polls).as(v + ": the counted loop is strip-mined").isBetween(1L, 5L);
            Probe.reset();
            assertThat(call(c, "viaSubroutine", 5_000)).as("left unchanged").isEqualTo(5_001);
            assertThat(Probe.polls).isZero();
            Probe.armAt = 1_000;
            assertThatThrownBy(() -> call(c, "spinForever")).as(v).isInstanceOf(Probe.ProbeCancelled.class);
        }
    }

    @Test
    void anOldClassWhoseTransformationTheVerifierRejectsIsLoadedUnchanged() {
        byte[] in = OldClassFiles.build("example.gen.OldBroken", 49, 0, true);
        // the JVM's own inference verifier rejects it too, unchanged
        assertThatThrownBy(() -> call(OldClassFiles.define(in), "broken", 3)).isInstanceOf(VerifyError.class);
        assertThatThrownBy(() -> compiler("").compile(in, getClass().getClassLoader(), true))
                .hasMessageContaining("fails verification");
        assertThat(compiler("verify=false").compile(in, getClass().getClassLoader(), true).bytes()).isNotNull();
    }

    @Test
    void callsThatDefineHiddenClassesAreRoutedThroughTheHookAndTheHiddenClassIsCompiled() throws Throwable {
        byte[] out = compiler("").compile(TransformingLoader.bytesOf(HiddenClasses.class.getName()),
                HiddenClasses.class.getClassLoader(), true).bytes();
        assertThat(out).isNotNull();
        List<String> calls = new ArrayList<>();
        ClassFile.of().parse(out).methods().forEach(m -> m.code().ifPresent(code -> code.forEach(e -> {
            if (e instanceof InvokeInstruction i && i.name().stringValue().startsWith("defineHiddenClass")) {
                calls.add(i.opcode() + " " + i.owner().asInternalName() + "." + i.name().stringValue());
            }
        })));
        assertThat(calls).containsExactlyInAnyOrder("INVOKESTATIC example/agent/Probe.defineHiddenClass",
                "INVOKESTATIC example/agent/Probe.defineHiddenClassWithClassData");
        var err = new java.io.ByteArrayOutputStream();
        Path reportFile = java.nio.file.Files.createTempFile("weft-agent-report", ".txt");
        Report report = Report.open(reportFile.toString(), new java.io.PrintStream(err, true));
        WeftTransformer transformer = new WeftTransformer(compiler(""), report, null, null);
        Probe.hiddenCompiler = transformer::compileHidden;
        Class<?> c = load("", HiddenClasses.class);
        Runnable spinner = (Runnable) call(c, "defineSpinner");
        assertThat(spinner.getClass().isHidden()).isTrue();
        Probe.armAt = 1_000;
        assertThatThrownBy(spinner::run).isInstanceOf(Probe.ProbeCancelled.class);
        assertThat((String) c.getField("finallyRanIn").get(null)).startsWith(HiddenSpinner.class.getName() + "/");
        Probe.reset();
        Probe.hiddenCompiler = transformer::compileHidden;
        Probe.armAt = 10;
        Runnable withData = (Runnable) call(c, "defineSpinnerWithClassData", "data");
        assertThatThrownBy(withData::run).isInstanceOf(Probe.ProbeCancelled.class);
        assertThat(Probe.hiddenDefinitions).isEqualTo(1);
        assertThat(java.nio.file.Files.readString(reportFile)).contains("instrumented " + HiddenSpinner.class.getName()
                + " policy=backedge hidden-class ");
        assertThat(err.toString()).as("no warning").isEmpty();
    }

    @Test
    void aClassLoadedWhileTheTransformerRunsOnTheSameThreadIsLoadedUnchangedAndReported() throws Exception {
        var err = new java.io.ByteArrayOutputStream();
        Path reportFile = java.nio.file.Files.createTempFile("weft-agent-report", ".txt");
        Report report = Report.open(reportFile.toString(), new java.io.PrintStream(err, true));
        WeftTransformer transformer = new WeftTransformer(compiler(""), report, null, null);
        List<byte[]> nested = new ArrayList<>();
        // the compiler reads class files through the defining loader for the class hierarchy: a class load there
        // is a class loaded while transforming, as when opted-in JDK code the compiler runs loads one
        ClassLoader loading = new ClassLoader("loading-while-transforming", getClass().getClassLoader()) {
            @Override
            public java.io.InputStream getResourceAsStream(String name) {
                if (nested.isEmpty()) {
                    nested.add(transformer.transform(null, this, "example/agent/Monitors", null, null,
                            TransformingLoader.bytesOf(Monitors.class.getName())));
                }
                return super.getResourceAsStream(name);
            }
        };
        byte[] outer = transformer.transform(null, loading, "example/agent/Loops", null, null,
                TransformingLoader.bytesOf(Loops.class.getName()));
        assertThat(outer).isNotNull();
        assertThat(nested).as("the compiler read a class file through the loader").hasSize(1);
        assertThat(nested.getFirst()).isNull();
        assertThat(java.nio.file.Files.readString(reportFile)).contains("skipped example.agent.Monitors policy=backedge"
                + " loaded while the agent was transforming example.agent.Loops", "instrumented example.agent.Loops ");
        // and the mark is gone afterwards: the same class transforms on its own
        assertThat(transformer.transform(null, getClass().getClassLoader(), "example/agent/Monitors", null, null,
                TransformingLoader.bytesOf(Monitors.class.getName()))).isNotNull();
    }

    @Test
    void threadsCompilingClassesOfOneLoaderAtOnceShareItsClassHierarchyCache() throws Exception {
        CountDownLatch firstReading = new CountDownLatch(1);
        CountDownLatch secondDone = new CountDownLatch(1);
        Thread[] first = new Thread[1];
        AtomicBoolean held = new AtomicBoolean();
        // the first thread's first read of a class file waits until the second thread compiled a class of its own
        ClassLoader loader = new ClassLoader("shared-hierarchy", getClass().getClassLoader()) {
            @Override
            public java.io.InputStream getResourceAsStream(String name) {
                if (Thread.currentThread() == first[0] && held.compareAndSet(false, true)) {
                    firstReading.countDown();
                    try {
                        secondDone.await(30, TimeUnit.SECONDS);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                return super.getResourceAsStream(name);
            }
        };
        CheckpointCompiler compiler = compiler("");
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<byte[]> firstOut = new AtomicReference<>();
        first[0] = Thread.ofPlatform().unstarted(() -> {
            try {
                firstOut.set(compiler.compile(TransformingLoader.bytesOf(Loops.class.getName()), loader, true).bytes());
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        first[0].start();
        assertThat(firstReading.await(30, TimeUnit.SECONDS)).as("the first compile read a class file").isTrue();
        byte[] second = compiler.compile(TransformingLoader.bytesOf(Monitors.class.getName()), loader, true).bytes();
        secondDone.countDown();
        first[0].join(30_000);
        assertThat(failure.get()).isNull();
        assertThat(second).isNotNull();
        assertThat(firstOut.get()).isNotNull();
    }
}
