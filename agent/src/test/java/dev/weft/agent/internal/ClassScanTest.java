package dev.weft.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The pre-scan never skips a class the full compiler would change: checked class by class against
 * {@link CheckpointCompiler#compileFully} over JDK modules and every library jar on the test class path, and on the
 * agent's own fixtures, with and without recursion entries.
 */
@Timeout(600)
class ClassScanTest {
    /** Classes taken from each source at most, so that the test stays within a minute on a busy machine. */
    private static final int PER_SOURCE_MAX = 1500;

    record Sample(String source, String name, byte[] bytes, ClassLoader loader) {}

    @Test
    void neverSkipsAClassTheCompilerChangesAmongJdkAndLibraryClasses() throws IOException {
        List<Sample> samples = new ArrayList<>();
        samples.addAll(jdk("java.base", "java/util/", "java/math/", "java/text/"));
        samples.addAll(jdk("java.desktop", "javax/swing/"));
        samples.addAll(jdk("java.xml", "javax/xml/", "org/w3c/"));
        for (String entry : System.getProperty("java.class.path").split(java.io.File.pathSeparator)) {
            if (entry.endsWith(".jar") && !Path.of(entry).getFileName().toString().startsWith("weft-")) {
                samples.addAll(jar(Path.of(entry)));
            }
        }
        assertThat(samples).hasSizeGreaterThan(5000);
        compare(samples, AgentOptions.parse("instrument=**"), "recursion entries");
        compare(samples.subList(0, samples.size() / 4), AgentOptions.parse("instrument=**,recursion=false"),
                "no recursion entries");
    }

    @Test
    void findsEveryKindOfChangeInTheFixtures() {
        CheckpointCompiler compiler = new CheckpointCompiler(AgentOptions.defaults());
        for (String fixture : List.of("example.agent.Loops", "example.agent.Monitors", "example.agent.Recursive",
                "example.agent.HiddenClasses", "example.agent.HiddenSpinner", "example.agent.Counter",
                "example.agent.Initializer", "example.agent.UncancellableClass", "example.agent.Probe")) {
            byte[] bytes = TransformingLoader.bytesOf(fixture);
            CheckpointCompiler.Result full = compiler.compileFully(bytes, getClass().getClassLoader(), true);
            ClassScan.Scan scan = ClassScan.scan(bytes, true);
            assertThat(scan.internalName()).isEqualTo(fixture.replace('.', '/'));
            if (full.bytes() != null) {
                assertThat(scan.verdict()).as(fixture + ": " + full.detail()).isEqualTo(ClassScan.Verdict.MAY_CHANGE);
            }
        }
    }

    @Test
    void skipsAStraightLineClassAndKeepsOneLoop() {
        byte[] plain = java.lang.classfile.ClassFile.of().build(java.lang.constant.ClassDesc.of("example.Plain"),
                cb -> cb.withMethodBody("f", java.lang.constant.MethodTypeDesc.ofDescriptor("(I)I"),
                        java.lang.classfile.ClassFile.ACC_STATIC, code -> code.iload(0).iconst_1().iadd().ireturn()));
        assertThat(ClassScan.scan(plain, true).verdict()).isEqualTo(ClassScan.Verdict.UNCHANGED);
        CheckpointCompiler.Result r = new CheckpointCompiler(AgentOptions.defaults()).compile(plain, null, true);
        assertThat(r.bytes()).isNull();
        assertThat(r.detail()).isEqualTo(CheckpointCompiler.PRESCAN_UNCHANGED);

        byte[] loop = java.lang.classfile.ClassFile.of().build(java.lang.constant.ClassDesc.of("example.Spin"),
                cb -> cb.withMethodBody("spin", java.lang.constant.MethodTypeDesc.ofDescriptor("()V"),
                        java.lang.classfile.ClassFile.ACC_STATIC, code -> {
                            java.lang.classfile.Label top = code.newBoundLabel();
                            code.goto_(top);
                        }));
        assertThat(ClassScan.scan(loop, true).verdict()).isEqualTo(ClassScan.Verdict.MAY_CHANGE);
        assertThat(new CheckpointCompiler(AgentOptions.defaults()).compile(loop, null, true).bytes()).isNotNull();
    }

    @Test
    void answersMayChangeForBytesItCannotRead() {
        assertThat(ClassScan.scan(new byte[] {(byte) 0xCA, (byte) 0xFE}, true).verdict())
                .isEqualTo(ClassScan.Verdict.MAY_CHANGE);
        byte[] plain = TransformingLoader.bytesOf("example.agent.Loops");
        assertThat(ClassScan.scan(java.util.Arrays.copyOf(plain, plain.length / 2), true).verdict())
                .isEqualTo(ClassScan.Verdict.MAY_CHANGE);
    }

    private static void compare(List<Sample> samples, AgentOptions options, String what) {
        CheckpointCompiler compiler = new CheckpointCompiler(options);
        int changed = 0;
        int skipped = 0;
        List<String> missed = new ArrayList<>();
        for (Sample s : samples) {
            String dotted = s.name().replace('/', '.');
            if (PolicyRules.refusalReason(dotted) != null) {
                continue;
            }
            CheckpointCompiler.Result full;
            try {
                full = compiler.compileFully(s.bytes(), s.loader(), true);
            } catch (RuntimeException cannotCompile) {
                continue; // loaded unchanged with a warning either way
            }
            ClassScan.Scan scan = ClassScan.scan(s.bytes(), options.recursionEntries());
            assertThat(scan.internalName()).isEqualTo(s.name());
            if (scan.verdict() == ClassScan.Verdict.UNCHANGED) {
                skipped++;
            }
            if (full.bytes() != null) {
                changed++;
                if (scan.verdict() == ClassScan.Verdict.UNCHANGED) {
                    missed.add(s.source() + " " + dotted + ": " + full.detail());
                }
            }
            // the compiler as the agent runs it (methods with nothing to add pass through, only changed methods
            // verified) does the same to the class, and what it writes verifies whole
            CheckpointCompiler.Result fast = compiler.compile(s.bytes(), s.loader(), true);
            assertThat(fast.bytes() != null).as(dotted).isEqualTo(full.bytes() != null);
            if (fast.bytes() != null) {
                assertThat(fast.detail()).as(dotted).isEqualTo(full.detail());
                if (changed % 4 == 0) {
                    assertThat(verifyWhole(fast.bytes(), s.loader())).as(dotted).isEmpty();
                }
            }
        }
        System.out.printf("ClassScan (%s): %d classes, %d changed by the compiler, %d skipped by the scan%n",
                what, samples.size(), changed, skipped);
        assertThat(missed).as("classes the scan skipped although the compiler changes them (" + what + ")").isEmpty();
        assertThat(changed).isGreaterThan(samples.size() / 10);
    }

    private static List<VerifyError> verifyWhole(byte[] bytes, ClassLoader loader) {
        java.lang.classfile.ClassHierarchyResolver r = loader == null
                ? java.lang.classfile.ClassHierarchyResolver.defaultResolver()
                : java.lang.classfile.ClassHierarchyResolver.ofResourceParsing(loader)
                        .orElse(java.lang.classfile.ClassHierarchyResolver.defaultResolver());
        java.lang.classfile.ClassModel m = java.lang.classfile.ClassFile.of().parse(bytes);
        if (m.majorVersion() < java.lang.classfile.ClassFile.JAVA_6_VERSION) {
            return List.of(); // checked as a copy with stack maps by the compiler itself (OLD_VERIFIED_AS)
        }
        return java.lang.classfile.ClassFile.of(java.lang.classfile.ClassFile.ClassHierarchyResolverOption.of(r))
                .verify(bytes);
    }

    private static List<Sample> jdk(String module, String... prefixes) throws IOException {
        FileSystem jrt = FileSystems.getFileSystem(URI.create("jrt:/"));
        List<Sample> out = new ArrayList<>();
        for (String prefix : prefixes) {
            Path dir = jrt.getPath("modules", module, prefix);
            try (Stream<Path> files = Files.walk(dir)) {
                files.filter(p -> p.toString().endsWith(".class") && !p.toString().endsWith("module-info.class"))
                        .sorted().limit(PER_SOURCE_MAX).forEach(p -> {
                            String name = jrt.getPath("modules", module).relativize(p).toString();
                            out.add(new Sample(module, name.substring(0, name.length() - 6), read(p), null));
                        });
            }
        }
        return out;
    }

    private static List<Sample> jar(Path jar) throws IOException {
        List<Sample> out = new ArrayList<>();
        ClassLoader loader = ClassScanTest.class.getClassLoader();
        try (JarFile jf = new JarFile(jar.toFile())) {
            List<JarEntry> entries = jf.stream().filter(e -> e.getName().endsWith(".class")
                    && !e.getName().startsWith("META-INF/") && !e.getName().endsWith("module-info.class"))
                    .sorted(java.util.Comparator.comparing(JarEntry::getName)).limit(PER_SOURCE_MAX).toList();
            for (JarEntry e : entries) {
                try (var in = jf.getInputStream(e)) {
                    String n = e.getName();
                    out.add(new Sample(jar.getFileName().toString(), n.substring(0, n.length() - 6), in.readAllBytes(),
                            loader));
                }
            }
        }
        return out;
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
