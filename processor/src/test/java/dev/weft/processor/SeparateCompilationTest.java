package dev.weft.processor;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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

/**
 * A class that uses types from a library compiled earlier (read from class files, with their private fields,
 * sealed hierarchies and nested classes) gets the same sizes as when everything is compiled from source in one
 * run; the one-run sizes are the ones {@code StaticSizesMatchJvmTest} checks against JOL.
 */
class SeparateCompilationTest {
    private static final String LIBRARY = """
            package lib;
            import dev.weft.memory.*;
            public class PlainBase {
                private long a;
                protected byte b;
                public Leaf leaf;
                private transient short hidden;
                private static Object ignored;
            }
            """;
    private static final String LEAF = """
            package lib;
            import dev.weft.memory.*;
            @StaticSize
            public final class Leaf {
                private int v;
                private Long boxed;
                private final @FixedLength(3) char[] code = new char[3];
            }
            """;
    private static final String SHAPES = """
            package lib;
            import dev.weft.memory.*;
            public sealed interface Shape permits Shape.Circle, Shape.Box, Shape.Kind {
                @StaticSize record Circle(double r) implements Shape {}
                @StaticSize record Box(long w, long h, Leaf label) implements Shape {}
                enum Kind implements Shape { ROUND, SQUARE }
                final class Holder { @StaticSize public static final class Nested { public byte x; public Leaf l; } }
            }
            """;
    private static final String OUTER = """
            package lib;
            public class Outer {
                public class InnerBase { int x; }
            }
            """;
    private static final String USER = """
            package app;
            import dev.weft.memory.*;
            @StaticSize
            final class User extends lib.PlainBase {
                int own;
                lib.Shape shape;
                lib.Shape.Holder.Nested nested;
                final @FixedLength(2) lib.Leaf[] leaves = new lib.Leaf[2];
            }
            """;

    @TempDir
    Path dir;

    @Test
    void typesReadFromClassFilesGetTheSameSizesAsTypesCompiledFromSource() throws IOException {
        Path together = dir.resolve("together");
        assertThat(compile(together, List.of(LIBRARY, LEAF, SHAPES, USER), "")).isEmpty();
        Path library = dir.resolve("library");
        assertThat(compile(library, List.of(LIBRARY, LEAF, SHAPES), "")).isEmpty();
        Path user = dir.resolve("user");
        assertThat(compile(user, List.of(USER), library.toString())).isEmpty();
        assertThat(user.resolve("lib")).as("the library came from class files, not recompiled").doesNotExist();

        Map<String, Long> fromSource = constants(together.resolve("app/UserStaticSize.java"));
        Map<String, Long> fromClassFiles = constants(user.resolve("app/UserStaticSize.java"));
        assertThat(fromSource).hasSize(8);
        assertThat(fromClassFiles).isEqualTo(fromSource);
    }

    @Test
    void innerSuperclassReadFromAClassFileIsRejected() throws IOException {
        Path library = dir.resolve("library");
        assertThat(compile(library, List.of(OUTER), "")).isEmpty();
        List<Diagnostic<? extends JavaFileObject>> errors = compile(dir.resolve("user"), List.of("""
                package app;
                @dev.weft.memory.StaticSize
                final class User extends lib.Outer.InnerBase {
                    User(lib.Outer outer) { outer.super(); }
                }
                """), library.toString());
        assertThat(errors).extracting(d -> d.getMessage(Locale.ROOT)).singleElement().asString()
                .contains("extends lib.Outer.InnerBase, an inner class", "make lib.Outer.InnerBase static");
    }

    /** The generated {@code NAME = 123L} constants of a generated file. */
    private static Map<String, Long> constants(Path generated) throws IOException {
        Map<String, Long> out = new TreeMap<>();
        Matcher m = Pattern.compile("long (\\w+_BYTES_\\w+) = (\\d+)L;").matcher(Files.readString(generated));
        while (m.find()) {
            out.put(m.group(1), Long.parseLong(m.group(2)));
        }
        return out;
    }

    private static List<Diagnostic<? extends JavaFileObject>> compile(Path out, List<String> sources, String classPath)
            throws IOException {
        Files.createDirectories(out);
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        List<JavaFileObject> files = new ArrayList<>();
        Pattern name = Pattern.compile("package (\\w+);[\\s\\S]*?(?:class|interface|record) (\\w+)");
        for (String source : sources) {
            Matcher m = name.matcher(source);
            assertThat(m.find()).as("package and type in %s", source).isTrue();
            files.add(new SimpleJavaFileObject(URI.create("string:///" + m.group(1) + "/" + m.group(2) + ".java"),
                    JavaFileObject.Kind.SOURCE) {
                @Override
                public CharSequence getCharContent(boolean ignoreEncodingErrors) {
                    return source;
                }
            });
        }
        try (StandardJavaFileManager manager = compiler.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            manager.setLocation(StandardLocation.CLASS_OUTPUT, List.of(out.toFile()));
            manager.setLocation(StandardLocation.SOURCE_OUTPUT, List.of(out.toFile()));
            String path = System.getProperty("java.class.path") + (classPath.isEmpty() ? "" : File.pathSeparator + classPath);
            JavaCompiler.CompilationTask task = compiler.getTask(null, manager, diagnostics,
                    List.of("-classpath", path, "--release", "25", "-implicit:none"), null, files);
            task.setProcessors(List.of(new StaticSizeProcessor()));
            task.call();
        }
        return diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR).toList();
    }
}
