package dev.weft.processor;

import static org.assertj.core.api.Assertions.assertThat;

import dev.weft.processor.probe.NamedClassesProbe;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.StandardJavaFileManager;
import javax.tools.StandardLocation;
import javax.tools.ToolProvider;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Classes nobody wrote by hand: random hierarchies of one to three levels (bases annotated or not), each level
 * with random primitive, reference, boxed and fixed-array fields (names shadowing across levels), compiled with
 * the processor and measured by JOL and {@code Instrumentation} in a JVM forked per layout. Every generated
 * shallow and deep size must equal the measured one. The seed is fixed ({@code -Dweft.layout.seed} changes it)
 * so a failure names a class that can be reproduced.
 */
class RandomClassesMatchJvmTest {
    private static final int CLASS_COUNT = 300;
    private static final long SEED = Long.getLong("weft.layout.seed", 20_251_201L);

    @TempDir
    static Path temp;
    private static Path classes;
    private static Path names;
    private static final Map<String, String> SOURCES = new LinkedHashMap<>(); // binary name -> its hierarchy's source

    @BeforeAll
    static void compileRandomClasses() throws IOException {
        String source = generate(new Random(SEED));
        classes = Files.createDirectories(temp.resolve("classes"));
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        DiagnosticCollector<JavaFileObject> diagnostics = new DiagnosticCollector<>();
        try (StandardJavaFileManager files = compiler.getStandardFileManager(diagnostics, Locale.ROOT, null)) {
            files.setLocation(StandardLocation.CLASS_OUTPUT, List.of(classes.toFile()));
            files.setLocation(StandardLocation.SOURCE_OUTPUT, List.of(classes.toFile()));
            JavaFileObject file = new SimpleJavaFileObject(URI.create("string:///r/R.java"), JavaFileObject.Kind.SOURCE) {
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
        assertThat(diagnostics.getDiagnostics().stream().filter(d -> d.getKind() == Diagnostic.Kind.ERROR)
                .map(d -> d.getLineNumber() + ": " + d.getMessage(Locale.ROOT)))
                .as("random classes (seed %d) compile", SEED).isEmpty();
        names = Files.write(temp.resolve("names.txt"), SOURCES.keySet());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "COMPRESSED_OOPS,                   -XX:-UseCompactObjectHeaders",
        "COMPACT_HEADERS,                   -XX:+UseCompactObjectHeaders",
        "UNCOMPRESSED_OOPS,                 -XX:-UseCompressedOops",
        "COMPACT_HEADERS_UNCOMPRESSED_OOPS, -XX:+UseCompactObjectHeaders -XX:-UseCompressedOops",
    })
    void generatedSizesOfRandomClassesMatchJolAndInstrumentation(String layout, String flags) throws Exception {
        List<String> lines = ProbeJvm.run(temp, flags, classes.toString(), NamedClassesProbe.class.getName(),
                names.toString());
        SoftAssertions softly = new SoftAssertions();
        int cases = 0;
        for (String line : lines) {
            String[] f = line.split(" ");
            if (!f[0].equals("CASE")) {
                continue;
            }
            cases++;
            String why = "%s on %s (seed %d):%n%s";
            Object[] args = {f[1], layout, SEED, SOURCES.get(f[1])};
            softly.assertThat(f[4]).as("JOL shallow vs generated, " + why, args).isEqualTo(f[2]);
            softly.assertThat(f[6]).as("Instrumentation shallow vs generated, " + why, args).isEqualTo(f[2]);
            softly.assertThat(f[5]).as("JOL deep vs generated, " + why, args).isEqualTo(f[3]);
        }
        softly.assertThat(cases).as("random classes measured").isEqualTo(CLASS_COUNT);
        softly.assertAll();
    }

    /** One source file {@code r/R.java} with {@link #CLASS_COUNT} hierarchies nested in it. */
    private static String generate(Random random) {
        StringBuilder all = new StringBuilder("package r;\nimport dev.weft.memory.*;\n@SuppressWarnings(\"unused\")\n"
                + "final class R {\n    @StaticSize static final class Leaf { int v = 1; }\n");
        for (int i = 0; i < CLASS_COUNT; i++) {
            StringBuilder hierarchy = new StringBuilder();
            int levels = 1 + random.nextInt(3);
            String parent = null;
            for (int level = 0; level < levels; level++) {
                boolean root = level == levels - 1;
                String name = root ? "C" + i : "C" + i + "L" + level;
                hierarchy.append(root || random.nextBoolean() ? "    @StaticSize " : "    ")
                        .append(root ? "static final class " : "static class ").append(name)
                        .append(parent == null ? "" : " extends " + parent).append(" {");
                int fields = random.nextInt(root ? 9 : 6);
                for (int k = 0; k < fields; k++) {
                    hierarchy.append(' ').append(field(random, "f" + k));
                }
                hierarchy.append(" }\n");
                parent = name;
            }
            SOURCES.put("r.R$C" + i, hierarchy.toString());
            all.append(hierarchy);
        }
        return all.append("}\n").toString();
    }

    private static final String[] PRIMITIVES = {"boolean", "byte", "char", "short", "int", "float", "long", "double"};

    /** A random field declaration whose initializer populates everything the deep size counts. */
    private static String field(Random random, String name) {
        int kind = random.nextInt(14);
        if (kind < PRIMITIVES.length) {
            return PRIMITIVES[kind] + " " + name + ";";
        }
        return switch (kind) {
            case 8, 9 -> "Leaf " + name + " = new Leaf();";
            case 10 -> "Integer " + name + " = " + (100_000 + random.nextInt(1000)) + ";"; // outside the box cache
            case 11, 12 -> {
                String element = PRIMITIVES[random.nextInt(PRIMITIVES.length)];
                int length = random.nextInt(10);
                yield "final @FixedLength(" + length + ") " + element + "[] " + name + " = new " + element + "["
                        + length + "];";
            }
            default -> {
                int length = random.nextInt(4);
                List<String> leaves = new ArrayList<>();
                for (int e = 0; e < length; e++) {
                    leaves.add("new Leaf()");
                }
                yield "final @FixedLength(" + length + ") Leaf[] " + name + " = {" + String.join(", ", leaves) + "};";
            }
        };
    }
}
