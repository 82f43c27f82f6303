package dev.weft.memory.stack;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.weft.internal.stack.FrameModel;
import dev.weft.memory.MemoryPlan;
import dev.weft.memory.StackBound;
import dev.weft.memory.StackBound.SiteKind;
import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.CodeAttribute;
import java.lang.reflect.AccessFlag;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The analysis behind {@link StackBound}: frame sizes from class files, the worst path over calls, virtual calls
 * and lambdas, declared depths and sizes, and every kind of site that keeps a bound from being one.
 */
class StackBoundTest {
    private static final StackBound.Analyser ANALYSER = StackBound.analyser()
            .classPath(List.of(Path.of("target/test-classes")))
            .agentChecks(false)
            .declare(Probe.class.getName() + "#here", 0);
    private static final String U = Unresolved.class.getName();
    private static final String F = Fixtures.class.getName();

    /** The interpreted frame of {@code owner.name}, in words, read independently from its class file. */
    private static long frameWords(Class<?> owner, String name) throws IOException {
        try (InputStream in = owner.getResourceAsStream(owner.getSimpleName() + ".class")) {
            ClassModel cm = ClassFile.of().parse(in.readAllBytes());
            for (MethodModel m : cm.methods()) {
                if (m.methodName().equalsString(name)) {
                    CodeAttribute code = (CodeAttribute) m.code().orElseThrow();
                    int args = (m.flags().has(AccessFlag.STATIC) ? 0 : 1);
                    for (var p : m.methodTypeSymbol().parameterList()) {
                        args += p.descriptorString().equals("J") || p.descriptorString().equals("D") ? 2 : 1;
                    }
                    return 11 + code.maxLocals() - args + code.maxStack();
                }
            }
        }
        throw new AssertionError("no method " + name);
    }

    @Test
    void leafFrameIsTheInterpreterLayoutPlusLocalsAndStackPlusTheEntrysArguments() throws IOException {
        StackBound b = ANALYSER.analyse(U + "#leaf");
        assertThat(b.isBounded()).isTrue();
        assertThat(b.taskFrameBytes()).isEqualTo((frameWords(Unresolved.class, "leaf") + 4) * 8);
        assertThat(b.bytes()).as("the chunk's header, metadata and bitmap").isGreaterThan(b.frameBytes() + 56);
        assertThat(b.worstPath()).hasSize(1);
    }

    @Test
    void wholeStackAddsTheRuntimesFramesAndTheHeapBoundEveryChunkTheyCanTake() {
        StackBound b = ANALYSER.analyse(F + "#chain");
        long words = b.taskFrameBytes() / 8 + FrameModel.RUNTIME_FRAME_WORDS;
        assertThat(b.frameBytes()).isEqualTo(words * 8);
        assertThat(b.chunksMax()).as("one chunk per 11 words at most").isEqualTo((words + 10) / 11);
        long sum = 0;
        for (long i = 0; i < b.chunksMax(); i++) {
            sum += FrameModel.chunkBytes(words - 11 * i + FrameModel.CHUNK_LOCKSTACK_WORDS);
        }
        assertThat(b.bytes()).as("chunk i from the bottom holds at most the stack 11 i words up")
                .isBetween(sum, sum + 8 * b.chunksMax());
        assertThat(b.bytes()).isGreaterThan(FrameModel.chunkBytes(words) * 2);
        assertThat(b.report()).contains("bytes of stack chunks, at most " + b.chunksMax(), "the runtime's frames");
    }

    @Test
    void onlyFramesOnTheWayToAFreezeCountAMonitorIsOneAndAThrowIsNot() throws IOException {
        StackBound pure = ANALYSER.analyse(U + "#pure");
        assertThat(pure.isBounded()).isTrue();
        assertThat(pure.taskFrameBytes()).as("its arguments only: it returns before any freeze").isEqualTo(2 * 8);
        assertThat(pure.worstPath()).isEmpty();
        StackBound locked = ANALYSER.analyse(U + "#locked");
        assertThat(locked.taskFrameBytes()).as("blocked on its monitor, with pure() returned")
                .isEqualTo((frameWords(Unresolved.class, "locked") + 2 + 2) * 8);
        StackBound exceptions = ANALYSER.analyse(F + "#exceptions");
        assertThat(exceptions.worstPath()).extracting(StackBound.Frame::method)
                .as("Throwable's constructors lock only the exception they build").noneMatch(m -> m.contains("Throwable"))
                .anySatisfy(m -> assertThat(m).contains("Fixtures.handler"));
        StackBound.Analyser withAgent = ANALYSER.agentChecks(true);
        assertThat(withAgent.analyse(U + "#pure").taskFrameBytes()).as("the agent's check can freeze in any method")
                .isGreaterThan(frameWords(Unresolved.class, "pure") * 8);
        assertThat(withAgent.analyse(F + "#exceptions").worstPath()).extracting(StackBound.Frame::method)
                .anySatisfy(m -> assertThat(m).contains("Throwable.<init>"));
    }

    @Test
    void callChainSumsItsFramesAlongTheWorstPath() throws IOException {
        StackBound b = ANALYSER.analyse(U + "#chainA");
        long words = frameWords(Unresolved.class, "chainA") + frameWords(Unresolved.class, "chainB")
                + frameWords(Unresolved.class, "leaf") + 1;
        assertThat(b.taskFrameBytes()).isEqualTo(words * 8);
        assertThat(b.worstPath()).extracting(StackBound.Frame::method)
                .containsExactly(U + ".chainA(I)J", U + ".chainB(J)J", U + ".leaf(JJ)J");
        assertThat(b.worstPath().get(0).callSite()).matches(".*chainA\\(Unresolved\\.java:\\d+\\)");
        assertThat(b.report()).contains("stack bound of " + U + "#chainA", "chainB", "Unresolved.java:");
    }

    @Test
    void interfaceCallTakesTheCostliestImplementation() {
        StackBound b = ANALYSER.analyse(F + "#shapes");
        assertThat(b.isBounded()).isTrue();
        assertThat(b.worstPath()).extracting(StackBound.Frame::method)
                .anySatisfy(m -> assertThat(m).contains("Fixtures$Triangle.area"));
        for (String impl : List.of("$Square", "$Circle", "$Polygon", "$Triangle")) {
            assertThat(ANALYSER.analyse(F + impl + "#area").taskFrameBytes()).isLessThan(b.taskFrameBytes());
        }
    }

    @Test
    void lambdaIsFollowedToItsImplementationThroughTheSpunClassesFrame() {
        StackBound b = ANALYSER.analyse(F + "#lambdas");
        assertThat(b.isBounded()).as(b.report()).isTrue();
        assertThat(b.worstPath()).extracting(StackBound.Frame::method)
                .anySatisfy(m -> assertThat(m).startsWith("lambda " + F + "$Step.apply"));
        StackBound viaLambda = ANALYSER.analyse(F + "#twice");
        assertThat(viaLambda.taskFrameBytes()).as("twice(Step) reaches every Step lambda, c3 via the method reference")
                .isGreaterThan(ANALYSER.analyse(F + "#methodRef").taskFrameBytes());
    }

    @Test
    void recursionWithoutADepthIsUnboundedAndTheReportNamesTheCycle() {
        StackBound b = ANALYSER.analyse(U + "#fact");
        assertThat(b.isBounded()).isFalse();
        assertThat(b.unresolved()).singleElement().satisfies(s -> {
            assertThat(s.kind()).isEqualTo(SiteKind.RECURSION);
            assertThat(s.location()).matches(".*Unresolved\\.fact\\(Unresolved\\.java:\\d+\\)");
            assertThat(s.target()).isEqualTo(U + ".fact(J)J -> " + U + ".fact(J)J");
            assertThat(s.fix()).contains("@MaxDepth");
        });
        assertThat(b.report()).startsWith("NO stack bound for " + U + "#fact");
    }

    @Test
    void declaredDepthBoundsARecursionByDepthTimesItsFrame() throws IOException {
        StackBound annotated = ANALYSER.analyse(F + "#depth");
        assertThat(annotated.isBounded()).isTrue();
        assertThat(annotated.taskFrameBytes()).isEqualTo((40 * frameWords(Fixtures.class, "depth") + 1) * 8);
        StackBound declared = ANALYSER.maxDepth(U + "#fact", 10).analyse(U + "#fact");
        assertThat(declared.isBounded()).isTrue();
        assertThat(declared.taskFrameBytes()).isEqualTo((10 * frameWords(Unresolved.class, "fact") + 2) * 8);
        assertThat(declared.worstPath().get(0).activations()).isEqualTo(10);
    }

    @Test
    void mutualRecursionNeedsADepthOnOneMethodOfTheCycle() {
        StackBound b = ANALYSER.analyse(F + "#mutual");
        assertThat(b.isBounded()).isTrue();
        assertThat(b.worstPath().get(1).method()).contains("recursion through", "isEven", "isOdd");
    }

    @Test
    void reflectionMethodHandlesAndObjectConcatenationAreUnresolvedWithTheirLocation() {
        assertThat(ANALYSER.analyse(U + "#reflective").unresolved()).extracting(StackBound.Site::kind)
                .contains(SiteKind.REFLECTION);
        assertThat(ANALYSER.analyse(U + "#handle").unresolved()).extracting(StackBound.Site::kind)
                .contains(SiteKind.METHOD_HANDLE);
        assertThat(ANALYSER.analyse(U + "#plainConcat").isBounded()).isTrue();
    }

    @Test
    void objectInAConcatenationCallsEveryToStringUnlessItIsDeclared() {
        // javac (since JDK 19) calls String.valueOf(o) before the concatenation: a virtual call of
        // Object.toString, with every implementation in java.base, some recursive, some reflective
        StackBound concat = ANALYSER.analyse(U + "#concat");
        assertThat(concat.isBounded()).isFalse();
        assertThat(concat.unresolved()).extracting(StackBound.Site::kind).contains(SiteKind.RECURSION);
        StackBound declared = ANALYSER.declare("java.lang.Object#toString", 4096).analyse(U + "#concat");
        assertThat(declared.isBounded()).as(declared.report()).isTrue();
        assertThat(declared.worstPath()).extracting(StackBound.Frame::note).contains("declared size");
        assertThat(declared.frameBytes()).isGreaterThan(4096);
    }

    @Test
    void classOfAModuleLeftOutIsMissingAndNamesTheModule() {
        StackBound b = ANALYSER.analyse(U + "#otherModule");
        assertThat(b.unresolved()).anySatisfy(s -> {
            assertThat(s.kind()).isEqualTo(SiteKind.MISSING_CLASS);
            assertThat(s.fix()).contains("--module java.management");
        });
    }

    @Test
    void declaredSizeReplacesTheCallsStack() {
        StackBound b = ANALYSER.declare(U + "#chainB", 10_000).analyse(U + "#chainA");
        assertThat(b.frameBytes()).isGreaterThanOrEqualTo(10_000);
        assertThat(b.worstPath()).extracting(StackBound.Frame::note).contains("declared size");
    }

    @Test
    void visitLimitFailsNamingTheWaysOut() {
        assertThatThrownBy(() -> ANALYSER.methodsMax(3).analyse(F + "#shapes"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("visited 3 methods, its limit")
                .hasMessageContaining("--declare")
                .hasMessageContaining("methodsMax");
    }

    @Test
    void unknownEntryNamesTheClassesMethods() {
        assertThatThrownBy(() -> ANALYSER.analyse(U + "#nope")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no method nope").hasMessageContaining("leaf");
        assertThatThrownBy(() -> ANALYSER.analyse("no.such.Type#run")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("-cp");
        assertThatThrownBy(() -> ANALYSER.analyse("missingHash")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("CLASS#METHOD");
    }

    @Test
    void memoryPlanTakesABoundAndRefusesAnUnboundedStackNamingTheSite() {
        StackBound bounded = ANALYSER.analyse(U + "#chainA");
        MemoryPlan plan = MemoryPlan.builder("server").stacks("handler stacks", 8, bounded).build();
        assertThat(plan.components()).singleElement().satisfies(c -> {
            assertThat(c.sizeBytesEach()).isEqualTo(bounded.bytes());
            assertThat(c.totalBytes()).isEqualTo(8 * bounded.bytes());
        });
        assertThatThrownBy(() -> MemoryPlan.builder("server").stacks("handler stacks", 8,
                ANALYSER.analyse(U + "#fact"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has no bound").hasMessageContaining("RECURSION")
                .hasMessageContaining("@MaxDepth");
    }
}
