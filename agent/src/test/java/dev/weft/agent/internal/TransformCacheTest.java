package dev.weft.agent.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.classfile.ClassFile;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The cross-run cache of compiled classes: hits, misses, corrupt entries, its key, its bound, concurrent writers. */
@Timeout(120)
class TransformCacheTest {
    @TempDir
    Path dir;

    private static final String AGENT = "0123abcd-4242";

    /** A class with one loop in {@code spin}: the compiler changes it. */
    static byte[] spinner(String name) {
        return ClassFile.of().build(ClassDesc.of(name), cb -> cb.withMethodBody("spin", MethodTypeDesc.ofDescriptor("()V"),
                ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, code -> {
                    Label top = code.newBoundLabel();
                    code.goto_(top);
                }));
    }

    private CheckpointCompiler compiler(String options, String agent) {
        AgentOptions o = AgentOptions.parse(options);
        return new CheckpointCompiler(o, new TransformCache(dir, TransformCache.fingerprint(agent, o),
                TransformCache.SIZE_BYTES_DEFAULT));
    }

    @Test
    void aSecondRunLoadsWhatTheFirstCompiled() {
        byte[] original = spinner("example.cache.Spin");
        CheckpointCompiler.Result first = compiler("", AGENT).compile(original, null, true);
        assertThat(first.bytes()).isNotNull();
        assertThat(first.detail()).doesNotContain("cached");
        CheckpointCompiler.Result second = compiler("", AGENT).compile(original, null, true); // a new JVM's compiler
        assertThat(second.bytes()).isEqualTo(first.bytes());
        assertThat(second.policy()).isEqualTo(first.policy());
        assertThat(second.detail()).isEqualTo(first.detail() + " (cached)");
    }

    @Test
    void aCorruptOrTruncatedEntryIsIgnoredAndWrittenAgain() throws Exception {
        byte[] original = spinner("example.cache.Corrupt");
        CheckpointCompiler c = compiler("", AGENT);
        byte[] compiled = c.compile(original, null, true).bytes();
        Path entry = c.cache().fileOf(original, true);
        byte[] data = Files.readAllBytes(entry);
        data[data.length / 2] ^= 0x40;
        Files.write(entry, data);
        assertThat(c.cache().lookup(original, true, null)).as("a flipped bit fails the CRC").isNull();
        assertThat(entry).as("the bad entry is deleted").doesNotExist();
        CheckpointCompiler.Result again = compiler("", AGENT).compile(original, null, true);
        assertThat(again.bytes()).isEqualTo(compiled);
        assertThat(again.detail()).doesNotContain("cached");
        byte[] whole = Files.readAllBytes(entry);
        Files.write(entry, java.util.Arrays.copyOf(whole, whole.length - 20));
        assertThat(c.cache().lookup(original, true, null)).as("a truncated entry").isNull();
        Files.write(entry, new byte[0]);
        assertThat(c.cache().lookup(original, true, null)).as("an empty entry").isNull();
        assertThat(compiler("", AGENT).compile(original, null, true).bytes()).isEqualTo(compiled);
        assertThat(compiler("", AGENT).compile(original, null, true).detail()).endsWith("(cached)");
    }

    @Test
    void theKeyHoldsTheAgentTheOptionsAndWhetherTheClassIsTheApplications() {
        byte[] original = spinner("example.cache.Keyed");
        compiler("", AGENT).compile(original, null, true);
        assertThat(compiler("", AGENT).compile(original, null, true).detail()).endsWith("(cached)");
        for (String options : List.of("stripmine=false", "recursion=false", "chunk=2048", "default=backedge/64",
                "hook=inline", "verify=false", "example.cache.**=entry")) {
            CheckpointCompiler.Result r = compiler(options, AGENT).compile(original, null, true);
            assertThat(r.detail()).as(options).doesNotContain("cached");
        }
        assertThat(compiler("", "ffff0000-4242").compile(original, null, true).detail()).as("another agent jar")
                .doesNotContain("cached");
        CheckpointCompiler c = compiler("", AGENT);
        assertThat(c.cache().lookup(original, false, null)).as("the same bytes as a JDK class").isNull();
        assertThat(compiler("report=stderr", AGENT).compile(original, null, true).detail())
                .as("the report does not change the output").endsWith("(cached)");
        assertThat(TransformCache.optionsText(AgentOptions.parse("report=x")))
                .isEqualTo(TransformCache.optionsText(AgentOptions.parse("")));
    }

    @Test
    void theNextRunOfAClassPathIsServedFromItsPackAndAChangedJarRereadsTheHierarchy() throws Exception {
        Path jar = Files.write(dir.resolve("app.jar"), new byte[] {1, 2, 3}); // the class path: its size and time count
        byte[] original = spinner("example.cache.Packed");
        byte[] compiled = spinner("example.cache.PackedCompiled");
        ClassLoader before = serving("example/cache/Shape", ClassFile.of().build(ClassDesc.of("example.cache.Shape"),
                cb -> cb.withSuperclass(ClassDesc.of("java.lang.Object"))));
        ClassLoader after = serving("example/cache/Shape", ClassFile.of().build(ClassDesc.of("example.cache.Shape"),
                cb -> cb.withSuperclass(ClassDesc.of("java.lang.Number"))));
        TransformCache first = new TransformCache(dir, "fp", TransformCache.SIZE_BYTES_DEFAULT);
        first.usePack(jar.toString());
        assertThat(first.packLookup(original, true, before)).isNull();
        first.store(original, true, new CheckpointCompiler.Result(compiled, "backedge", "d"),
                List.of(ClassDesc.of("example.cache.Shape")), "example/cache/Packed", before);
        first.writePack();

        TransformCache second = new TransformCache(dir, "fp", TransformCache.SIZE_BYTES_DEFAULT);
        second.usePack(jar.toString());
        CheckpointCompiler.Result hit = second.packLookup(original, true, before);
        assertThat(hit).isNotNull();
        assertThat(hit.bytes()).isEqualTo(compiled);
        assertThat(hit.detail()).isEqualTo("d (cached)");
        assertThat(second.packLookup(original, false, before)).as("another loader kind").isNull();
        assertThat(second.packLookup(spinner("example.cache.Other"), true, before)).isNull();

        Files.write(jar, new byte[] {1, 2, 3, 4}); // the jar changed: the facts are read again through the loader
        TransformCache third = new TransformCache(dir, "fp", TransformCache.SIZE_BYTES_DEFAULT);
        third.usePack(jar.toString());
        assertThat(third.packLookup(original, true, after)).as("Shape's superclass changed").isNull();
        assertThat(third.packLookup(original, true, before)).isNotNull();
    }

    @Test
    void anEntryCompiledAgainstAnotherClassHierarchyIsAMiss() {
        byte[] original = spinner("example.cache.Joins");
        byte[] compiled = spinner("example.cache.JoinsCompiled");
        ClassLoader before = serving("example/cache/Shape", ClassFile.of().build(ClassDesc.of("example.cache.Shape"),
                cb -> cb.withSuperclass(ClassDesc.of("java.lang.Object"))));
        ClassLoader after = serving("example/cache/Shape", ClassFile.of().build(ClassDesc.of("example.cache.Shape"),
                cb -> cb.withSuperclass(ClassDesc.of("java.lang.Number"))));
        TransformCache cache = new TransformCache(dir, "fp", TransformCache.SIZE_BYTES_DEFAULT);
        cache.store(original, true, new CheckpointCompiler.Result(compiled, "backedge", "d"),
                List.of(ClassDesc.of("example.cache.Shape"), ClassDesc.of("java.lang.String")), "example/cache/Joins",
                before);
        assertThat(cache.lookup(original, true, before)).isNotNull();
        assertThat(new TransformCache(dir, "fp", TransformCache.SIZE_BYTES_DEFAULT).lookup(original, true, after))
                .as("Shape's superclass changed").isNull();

        TransformCache other = new TransformCache(dir, "fp", TransformCache.SIZE_BYTES_DEFAULT);
        other.store(spinner("example.cache.Unknown"), true, new CheckpointCompiler.Result(compiled, "backedge", "d"),
                List.of(ClassDesc.of("example.cache.Nowhere")), "example/cache/Unknown", before);
        assertThat(other.lookup(spinner("example.cache.Unknown"), true, before))
                .as("a hierarchy answered without a class file is not cached").isNull();
    }

    @Test
    void theFolderIsTrimmedToItsBound() throws Exception {
        long bound = 256 << 10;
        TransformCache cache = new TransformCache(dir, "fp", bound);
        byte[] payload = new byte[3000];
        for (int i = 0; i < 400; i++) {
            byte[] original = spinner("example.cache.Many" + i);
            cache.store(original, true, new CheckpointCompiler.Result(payload, "backedge", "d"), List.of(), "x", null);
        }
        assertThat(cache.writtenBytes()).isGreaterThan(4 * bound);
        long entryBytes = Files.size(cache.fileOf(spinner("example.cache.Many399"), true));
        // trimmed to three quarters of the bound whenever an eighth of it was written since the last trim
        assertThat(folderBytes(cache.dir())).isLessThanOrEqualTo(bound + bound / 8 + entryBytes);
        assertThat(cache.lookup(spinner("example.cache.Many399"), true, null)).as("the newest entry stays")
                .isNotNull();
    }

    @Test
    void concurrentWritersOfOneFolderLeaveOnlyWholeEntries() throws Exception {
        int writers = 6;
        int classes = 40;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        try {
            for (int w = 0; w < writers; w++) {
                TransformCache jvm = new TransformCache(dir, "fp", TransformCache.SIZE_BYTES_DEFAULT); // one per JVM
                done.add(pool.submit(() -> {
                    go.await();
                    for (int i = 0; i < classes; i++) {
                        byte[] original = spinner("example.cache.Shared" + i); // every writer writes every entry
                        jvm.store(original, true, new CheckpointCompiler.Result(original, "backedge", "n" + i),
                                List.of(), "x", null);
                        assertThat(jvm.lookup(original, true, null)).isNotNull();
                    }
                    return null;
                }));
            }
            go.countDown();
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        TransformCache reader = new TransformCache(dir, "fp", TransformCache.SIZE_BYTES_DEFAULT);
        for (int i = 0; i < classes; i++) {
            byte[] original = spinner("example.cache.Shared" + i);
            CheckpointCompiler.Result r = reader.lookup(original, true, null);
            assertThat(r).isNotNull();
            assertThat(r.bytes()).isEqualTo(original);
            assertThat(r.detail()).isEqualTo("n" + i + " (cached)");
        }
        try (Stream<Path> files = Files.walk(reader.dir())) {
            assertThat(files.filter(f -> f.getFileName().toString().startsWith(".tmp-")).toList())
                    .as("temporary files left behind").isEmpty();
        }
    }

    private static long folderBytes(Path d) throws Exception {
        try (Stream<Path> files = Files.walk(d)) {
            long sum = 0;
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                sum += Files.size(f);
            }
            return sum;
        }
    }

    /** A loader whose only resource is {@code internalName}.class with {@code bytes}. */
    private static ClassLoader serving(String internalName, byte[] bytes) {
        return new ClassLoader(null) {
            @Override
            public java.io.InputStream getResourceAsStream(String name) {
                return name.equals(internalName + ".class") ? new java.io.ByteArrayInputStream(bytes) : null;
            }
        };
    }
}
