package dev.weft.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged {@code weft-processor} jar works alone on the annotation processor path, as a user's build puts
 * it: a forked {@code javac -processorpath <the jar>} sizes a class, the sizes it generates match JOL, and the
 * published (dependency-reduced) POM does not pull in the runtime.
 * Runs in the {@code package} phase, after the jar is built (see {@code processor/pom.xml}).
 */
class ProcessorJarTest {
    private static final long FORK_TIMEOUT_S = 120;

    @TempDir
    Path dir;

    @Test
    void processorJarAloneOnTheProcessorPathCompilesAStaticSizeClassWithExactSizes() throws Exception {
        String jarProperty = System.getProperty("weft.processor.jar");
        // -Dtest=ProcessorJarTest also selects it in the test phase, before there is a jar
        assumeTrue(jarProperty != null, "runs in the package phase (processor-jar execution), where the jar exists");
        Path jar = Path.of(jarProperty);
        assertThat(jar).as("the packaged processor jar").isRegularFile();
        Path src = Files.createDirectories(dir.resolve("src/p"));
        Files.writeString(src.resolve("Sample.java"), """
                package p;
                import dev.weft.memory.*;
                @StaticSize
                public final class Sample {
                    byte tag = 1;
                    long sequence = 2;
                    Leaf leaf = new Leaf();
                    final @FixedLength(5) short[] codes = new short[5];
                    @StaticSize public static final class Leaf { int value = 3; Integer boxed = 100_000; }
                }
                """);
        Files.writeString(src.resolve("Main.java"), """
                package p;
                public final class Main {
                    public static void main(String[] args) {
                        System.out.println("GENERATED " + SampleStaticSize.SHALLOW_BYTES + " " + SampleStaticSize.DEEP_BYTES);
                        Object o = new Sample();
                        System.out.println("JOL " + org.openjdk.jol.info.ClassLayout.parseInstance(o).instanceSize()
                                + " " + org.openjdk.jol.info.GraphLayout.parseInstance(o).totalSize());
                    }
                }
                """);
        String runtime = classPathEntryWith("dev/weft/memory/StaticSize.class");
        String jol = classPathEntryWith("org/openjdk/jol/info/GraphLayout.class");
        Path bin = Path.of(ProcessHandle.current().info().command().orElseThrow()).getParent();
        Path classes = dir.resolve("classes");
        Path generated = dir.resolve("generated");
        String compiled = run(List.of(bin.resolve("javac").toString(), "--release", "25",
                "-processorpath", jar.toString(), "-cp", runtime + File.pathSeparator + jol,
                "-d", classes.toString(), "-s", generated.toString(),
                src.resolve("Sample.java").toString(), src.resolve("Main.java").toString()));
        assertThat(generated.resolve("p/SampleStaticSize.java")).as("javac output:%n%s", compiled).exists();
        String output = run(List.of(bin.resolve("java").toString(), "-Djol.magicFieldOffset=true",
                "-cp", classes + File.pathSeparator + runtime + File.pathSeparator + jol, "p.Main"));
        String[] generatedSizes = line(output, "GENERATED ");
        String[] measured = line(output, "JOL ");
        assertThat(generatedSizes).as("generated shallow and deep sizes vs JOL; output:%n%s", output)
                .containsExactly(measured);
        try (JarFile contents = new JarFile(jar.toFile())) {
            assertThat(contents.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class")))
                    .as("the jar carries its own copy of the layout machinery, relocated under dev.weft.processor")
                    .allMatch(n -> n.startsWith("dev/weft/processor/"))
                    .contains("dev/weft/processor/internal/memory/FieldLayoutEngine.class");
        }
        String pom = Files.readString(Path.of(System.getProperty("weft.processor.pom")), StandardCharsets.UTF_8);
        String dependencies = pom.substring(pom.indexOf("<dependencies>"), pom.indexOf("</dependencies>"));
        assertThat(dependencies).as("the published POM: a processor path resolved from it needs nothing else")
                .doesNotContain("<artifactId>weft-runtime</artifactId>");
    }

    private static String[] line(String output, String prefix) {
        return output.lines().filter(l -> l.startsWith(prefix)).map(l -> l.substring(prefix.length()).split(" "))
                .findFirst().orElseThrow(() -> new AssertionError("no line " + prefix + "in:\n" + output));
    }

    private static String classPathEntryWith(String resource) throws IOException {
        for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (Files.isDirectory(path) ? Files.exists(path.resolve(resource)) : hasEntry(path, resource)) {
                return entry;
            }
        }
        throw new AssertionError("no class path entry has " + resource + ": " + System.getProperty("java.class.path"));
    }

    private static boolean hasEntry(Path jar, String resource) throws IOException {
        if (!Files.isRegularFile(jar)) {
            return false;
        }
        try (JarFile file = new JarFile(jar.toFile())) {
            return file.getEntry(resource) != null;
        }
    }

    /** Runs a JDK tool; returns its output, failing with it if the tool exits non-zero. */
    private String run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile(dir, "tool", ".txt");
        Process process = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true)
                .redirectOutput(out.toFile()).start();
        if (!process.waitFor(FORK_TIMEOUT_S, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError(command.getFirst() + " did not finish in " + FORK_TIMEOUT_S + " s");
        }
        String text = Files.readString(out, StandardCharsets.UTF_8);
        assertThat(process.exitValue()).as("%s exited; output:%n%s", Arrays.toString(command.toArray()), text).isZero();
        return text;
    }
}
