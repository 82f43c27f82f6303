package dev.weft.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A class whose size cannot be static does not compile, and the error sits on the field, names it, says why,
 * and suggests {@code RuntimeStaticSized}.
 */
class StaticSizeErrorsTest {
    @TempDir
    Path out;

    static Stream<Arguments> unboundedFields() {
        return Stream.of(
                Arguments.of("a String", "String name;", "name", "String, whose length is unbounded"),
                Arguments.of("an unbounded collection", "java.util.List<Integer> items;", "items",
                        "interface type java.util.List"),
                Arguments.of("an interface with unknown implementations", "Runnable task;", "task",
                        "implementations are unknown"),
                Arguments.of("an array without a fixed length", "final long[] data = new long[8];", "data",
                        "without @FixedLength"),
                Arguments.of("a non-final fixed array", "@FixedLength(8) long[] data = new long[8];", "data",
                        "not final"),
                Arguments.of("a fixed array with the wrong dimensions", "final @FixedLength(8) long[][] grid = null;",
                        "grid", "2 array dimension(s) but @FixedLength gives 1"),
                Arguments.of("a non-final class", "Object any;", "any", "java.lang.Object, which is not final"),
                Arguments.of("a type variable", "T value;", "value", "type variable"),
                Arguments.of("a final class without @StaticSize", "Plain plain;", "plain", "not annotated @StaticSize"),
                Arguments.of("a recursive type", "Node next;", "next", "contains itself"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unboundedFields")
    void unboundedFieldIsACompileErrorNamingTheFieldAndSuggestingRuntimeStaticSized(
            String what, String field, String fieldName, String reason) throws IOException {
        String source = """
                package p;
                import dev.weft.memory.*;
                @StaticSize
                final class Bad<T> {
                    int fine;
                    %s
                }
                final class Plain { int x; }
                @StaticSize final class Node { Node next; }
                """.formatted(field);
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Bad", source);
        Diagnostic<? extends JavaFileObject> error = errors.stream()
                .filter(d -> d.getMessage(Locale.ROOT).contains("'" + fieldName + "'"))
                .findFirst().orElseThrow(() -> new AssertionError("no error names field " + fieldName + ": " + errors));
        String message = error.getMessage(Locale.ROOT);
        assertThat(message).contains(reason).contains("RuntimeStaticSized");
        if (!fieldName.equals("next")) {
            assertThat(error.getLineNumber()).as("error reported on the field's line").isEqualTo(6);
            assertThat(errors).as("one error, not one per layout").hasSize(1 + (source.contains("Node next") ? 1 : 0));
        }
    }

    @Test
    void implementingStaticSizedWithoutTheAnnotationIsAnError() throws IOException {
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Unannotated", """
                package p;
                final class Unannotated implements dev.weft.memory.StaticSized {
                    public long deepSizeBytesMax() { return 16; }
                }
                """);
        assertThat(errors).singleElement().satisfies(d -> assertThat(d.getMessage(Locale.ROOT))
                .contains("p.Unannotated implements StaticSized but is not annotated @StaticSize")
                .contains("RuntimeStaticSized"));
    }

    @Test
    void annotatingAnInterfaceOrAbstractClassIsAnError() throws IOException {
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Shapes", """
                package p;
                @dev.weft.memory.StaticSize interface Shapes {}
                @dev.weft.memory.StaticSize abstract class Base {}
                """);
        assertThat(errors).extracting(d -> d.getMessage(Locale.ROOT))
                .anySatisfy(m -> assertThat(m).contains("p.Shapes is an interface"))
                .anySatisfy(m -> assertThat(m).contains("p.Base is abstract"));
    }

    @Test
    void innerClassIsRejectedBecauseJavacAddsTheEnclosingInstanceAfterProcessing() throws IOException {
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Host", """
                package p;
                import dev.weft.memory.*;
                final class Host {
                    long big;
                    @StaticSize final class Inner { int x; }
                }
                """);
        assertThat(errors).singleElement().satisfies(d -> {
            assertThat(d.getMessage(Locale.ROOT)).contains("p.Host.Inner is an inner class", "this$0",
                    "make it static");
            assertThat(d.getLineNumber()).isEqualTo(5);
        });
        assertThat(out.resolve("p/Host_InnerStaticSize.java")).doesNotExist();
    }

    @Test
    void fieldHoldingAnInnerClassIsRejectedOnTheField() throws IOException {
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Host", """
                package p;
                import dev.weft.memory.*;
                final class Host {
                    @StaticSize final class Inner { int x; }
                    @StaticSize static final class User { Inner inner; }
                }
                """);
        assertThat(errors).extracting(d -> d.getMessage(Locale.ROOT))
                .anySatisfy(m -> assertThat(m).contains("field 'inner' has type p.Host.Inner, which is an inner class",
                        "make it static"));
    }

    @Test
    void classExtendingAnInnerClassIsRejectedNamingTheSuperclass() throws IOException {
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Host", """
                package p;
                import dev.weft.memory.*;
                final class Host {
                    class Inner { int x; }
                }
                @StaticSize
                final class Sub extends Host.Inner {
                    Sub(Host host) { host.super(); }
                }
                """);
        assertThat(errors).singleElement().satisfies(d -> assertThat(d.getMessage(Locale.ROOT))
                .contains("extends p.Host.Inner, an inner class", "make p.Host.Inner static"));
    }

    @Test
    void localClassesAndRecordsAreRejectedNotIgnored() throws IOException {
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Host", """
                package p;
                import dev.weft.memory.*;
                final class Host {
                    void run(long captured) {
                        @StaticSize final class Local { int x; long y = captured; }
                        @StaticSize record LocalPoint(int x, int y) {}
                    }
                    static { @StaticSize class InInitializer { byte b; } }
                    Object make() {
                        class Carrier { @StaticSize static final class MemberOfLocal { int y; } }
                        return new Object() { @StaticSize static final class MemberOfAnonymous { int z; } };
                    }
                }
                """);
        assertThat(errors).extracting(d -> d.getLineNumber() + ": " + d.getMessage(Locale.ROOT)).satisfiesExactlyInAnyOrder(
                m -> assertThat(m).startsWith("5: ").contains("Local is declared inside a method body", "move it out"),
                m -> assertThat(m).startsWith("6: ").contains("LocalPoint is declared inside a method body"),
                m -> assertThat(m).startsWith("8: ").contains("InInitializer is declared inside a method body"),
                m -> assertThat(m).startsWith("10: ").contains("MemberOfLocal is declared inside a method body"),
                m -> assertThat(m).startsWith("11: ").contains("MemberOfAnonymous is declared inside a method body"));
    }

    @Test
    void anonymousClassCannotCarryTheAnnotation() throws IOException {
        // @StaticSize targets type declarations only, so javac itself refuses it on an anonymous class
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Host", """
                package p;
                import dev.weft.memory.*;
                final class Host {
                    Object make() { return new @StaticSize Object() { int x; }; }
                }
                """);
        assertThat(errors).isNotEmpty().allSatisfy(d -> assertThat(d.getLineNumber()).isEqualTo(4));
    }

    @Test
    void implicitlyStaticNestedTypesAndStaticClassesInsideInnerClassesAreAccepted() throws IOException {
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Host", """
                package p;
                import dev.weft.memory.*;
                final class Host {
                    @StaticSize record Nested(int x) {}
                    interface Api { @StaticSize final class Member { long y; } }
                    class Inner { @StaticSize static final class Deep { byte b; } }
                }
                """);
        assertThat(errors).isEmpty();
        assertThat(out.resolve("p/Host_NestedStaticSize.java")).exists();
        assertThat(out.resolve("p/Host_Api_MemberStaticSize.java")).exists();
        assertThat(out.resolve("p/Host_Inner_DeepStaticSize.java")).exists();
    }

    static Stream<Arguments> heldOutRejections() {
        return Stream.of(
                Arguments.of("a type variable field in a generic superclass (erased to Object)", """
                        class Base<T> { T value; }
                        @StaticSize final class Bad extends Base<Cell> {}
                        """, "field 'value' (in p.Base) has type T, a type variable erased to java.lang.Object"),
                Arguments.of("a String in a superclass that is not annotated", """
                        class Base { String name; }
                        @StaticSize final class Bad extends Base {}
                        """, "field 'name' (in p.Base) is a String"),
                Arguments.of("@FixedLength on a field that is not an array", """
                        @StaticSize final class Bad { @FixedLength(4) Cell cell; }
                        """, "field 'cell' has @FixedLength but its type p.Cell is not an array"),
                Arguments.of("an interface that is not sealed", """
                        interface Open {}
                        @StaticSize final class Bad { Open open; }
                        """, "field 'open' has interface type p.Open"),
                Arguments.of("a sealed interface with a non-sealed implementation", """
                        sealed interface Closed permits Ajar {}
                        non-sealed class Ajar implements Closed {}
                        @StaticSize final class Bad { Closed closed; }
                        """, "field 'closed' has type p.Ajar, which is not final"),
                Arguments.of("a sealed interface with an implementation that is not annotated", """
                        sealed interface Closed permits Plain {}
                        final class Plain implements Closed { long x; }
                        @StaticSize final class Bad { Closed closed; }
                        """, "field 'closed' has type p.Plain, which is not annotated @StaticSize"),
                Arguments.of("a final JDK class", """
                        @StaticSize final class Bad { java.util.Optional<Cell> maybe; }
                        """, "field 'maybe' has type java.util.Optional, a JDK class whose private fields"),
                Arguments.of("an array of Object", """
                        @StaticSize final class Bad { final @FixedLength(2) Object[] any = new Object[2]; }
                        """, "field 'any' has type java.lang.Object, which is not final"),
                Arguments.of("a type that contains itself through a superclass field", """
                        class Base { Bad self; }
                        @StaticSize final class Bad extends Base {}
                        """, "field 'self' (in p.Base) refers to p.Bad, which contains itself"),
                Arguments.of("a JDK superclass", """
                        @StaticSize final class Bad extends Number {
                            public int intValue() { return 0; }
                            public long longValue() { return 0; }
                            public float floatValue() { return 0; }
                            public double doubleValue() { return 0; }
                        }
                        """, "extends java.lang.Number, a JDK class"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("heldOutRejections")
    void heldOutClassWithoutAStaticSizeIsRejectedNamingTheFieldAndTheFix(String what, String body, String reason)
            throws IOException {
        String source = "package p;\nimport dev.weft.memory.*;\n@StaticSize final class Cell { int v; }\n" + body;
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Bad", source);
        assertThat(errors).extracting(d -> d.getMessage(Locale.ROOT)).as(what)
                .anySatisfy(m -> assertThat(m).contains(reason).contains("@StaticSize Bad"));
        assertThat(out.resolve("p/BadStaticSize.java")).as("nothing generated for a rejected class").doesNotExist();
    }

    @Test
    void twoClassesWhoseGeneratedNamesClashAreAnErrorNamingBoth() throws IOException {
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Outer", """
                package p;
                import dev.weft.memory.*;
                final class Outer { @StaticSize static final class Inner { int x; } }
                @StaticSize final class Outer_Inner { long y; }
                """);
        assertThat(errors).extracting(d -> d.getMessage(Locale.ROOT)).singleElement().asString()
                .contains("p.Outer_Inner and p.Outer.Inner both get the generated class p.Outer_InnerStaticSize",
                        "rename one of them");
    }

    @Test
    void validClassCompilesAndGetsOneConstantPerLayout() throws IOException {
        List<Diagnostic<? extends JavaFileObject>> errors = compile("p.Good", """
                package p;
                import dev.weft.memory.*;
                @StaticSize
                final class Good implements StaticSized {
                    long a;
                    final @FixedLength(3) Part[] parts = {new Part(1, 2), new Part(3, 4), new Part(5, 6)};
                    public long deepSizeBytesMax() { return GoodStaticSize.DEEP_BYTES; }
                }
                @StaticSize record Part(int x, Integer boxed) {}
                """);
        assertThat(errors).isEmpty();
        Path generated = out.resolve("p/GoodStaticSize.java");
        assertThat(generated).exists();
        assertThat(Files.readString(generated)).contains("SHALLOW_BYTES_COMPRESSED_OOPS", "DEEP_BYTES_COMPACT_HEADERS",
                "DEEP_BYTES_UNCOMPRESSED_OOPS", "public static final long DEEP_BYTES =");
        assertThat(out.resolve("p/GoodStaticSize.class")).exists();
    }

    private List<Diagnostic<? extends JavaFileObject>> compile(String className, String source) throws IOException {
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            files.setLocation(StandardLocation.CLASS_OUTPUT, List.of(out.toFile()));
            files.setLocation(StandardLocation.SOURCE_OUTPUT, List.of(out.toFile()));
            JavaFileObject file = new SimpleJavaFileObject(
                    URI.create("string:///" + className.replace('.', '/') + ".java"), JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return source;
                }
            };
            JavaCompiler.CompilationTask task = compiler.getTask(null, files, diagnostics,
                    List.of("-classpath", System.getProperty("java.class.path"), "--release", "25"), null, List.of(file));
            task.setProcessors(List.of(new StaticSizeProcessor()));
            task.call();
        }
        return diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR).toList();
    }
}
